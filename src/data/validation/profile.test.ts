import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { profileFile } from './profile.js';
import { RELATIVE_ERROR } from './quantile-sketch.js';

const PYTHON = '/usr/bin/python3';
const hasPandas = spawnSync(PYTHON, ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0;
const REFERENCE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../test/helpers/pandas-profile.py');

function write(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-profile-')), name);
  fs.writeFileSync(file, text);
  return file;
}

/** A CSV with every kind of column pandas reads: ints, floats with NA spellings, text categories, free text, bools, dates. */
function sampleCsv(rows: number, seed: number): string {
  const r = mulberry32(seed);
  const lines = ['id,age,income,score,color,comment,active,date_joined,ratio'];
  const nas = ['', 'NA', 'NaN', 'null', 'N/A'];
  for (let i = 0; i < rows; i++) {
    const income = r() < 0.07 ? nas[Math.floor(r() * nas.length)] : (r() * 90000 + 1000).toFixed(2);
    const score = (r() - 0.5) * 10 ** Math.floor(r() * 4);
    const color = r() < 0.03 ? '' : ['red', 'green', 'blue', 'dark "navy"'][Math.floor(r() * 4)];
    const comment = `"note ${Math.floor(r() * 1e6)}, ${'x'.repeat(Math.floor(r() * 12))}"`;
    const date = `202${Math.floor(r() * 5)}-0${1 + Math.floor(r() * 9)}-${10 + Math.floor(r() * 18)}`;
    lines.push(
      [
        i * 3,
        18 + Math.floor(r() * 70),
        income,
        score.toPrecision(6),
        color.includes('"') ? '"dark ""navy"""' : color,
        comment,
        r() < 0.3 ? 'True' : 'False',
        date,
        r().toFixed(3),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const DTYPE: Record<string, string> = { int64: 'int', float64: 'float', bool: 'bool', object: 'string' };

describe.skipIf(!hasPandas)('mlx data profile against pandas (python3-pandas)', () => {
  for (const rows of [500, 100_000]) {
    it(`${rows} rows: types, nulls, min/max, mean/std, quantiles, categories and lengths match pandas${rows > 65536 ? ' (quantiles from the sketch, within its stated error)' : ''}`, async () => {
      const file = write('sample.csv', sampleCsv(rows, rows));
      const ours = await profileFile(file);
      const py = spawnSync(PYTHON, [REFERENCE, file], { encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(py.status, py.stderr).toBe(0);
      const ref = JSON.parse(py.stdout) as { rows: number; columns: Record<string, any> };
      expect(ours.rows).toBe(ref.rows);
      expect(ours.columns.map((c) => c.name)).toEqual(Object.keys(ref.columns));
      for (const c of ours.columns) {
        const p = ref.columns[c.name];
        const want = c.name.startsWith('date') ? 'datetime' : DTYPE[p.dtype];
        expect(c.type, c.name).toBe(want);
        expect(c.nulls, c.name).toBe(p.nulls);
        if (c.distinct !== null) expect(c.distinct, c.name).toBe(p.nunique);
        if (p.min !== undefined) {
          expect(c.min, c.name).toBe(p.min);
          expect(c.max, c.name).toBe(p.max);
          expect(c.mean!, c.name).toBeCloseTo(p.mean, 6);
          expect(Math.abs(c.std! - p.std) / p.std, c.name).toBeLessThan(1e-9);
          for (const [q, v] of Object.entries(p.quantiles as Record<string, number>)) {
            const got = c.quantiles![q]!;
            if (c.quantiles_exact) expect(Math.abs(got - v), `${c.name} q${q}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
            else {
              // The sketch: within 0.1% (RELATIVE_ERROR) of the value at the quantile's rank, the one below or the one above.
              const lo = p.quantiles_lower[q] as number;
              const hi = p.quantiles_higher[q] as number;
              const err = Math.min(Math.abs(got - lo) / Math.max(Math.abs(lo), 1e-300), Math.abs(got - hi) / Math.max(Math.abs(hi), 1e-300));
              expect(lo === 0 && hi === 0 ? got : err, `${c.name} q${q}`).toBeLessThanOrEqual(RELATIVE_ERROR);
            }
          }
        }
        if (p.true_share !== undefined) expect(c.true_share, c.name).toBeCloseTo(p.true_share, 9);
        if (p.categories) expect(Object.fromEntries((c.categories ?? []).map((x) => [x.value, x.count])), c.name).toEqual(p.categories);
        if (p.length && c.type === 'string') expect([c.length!.min, c.length!.max], c.name).toEqual(p.length);
        if (p.date_min) {
          expect(new Date(c.min as string).toISOString()).toBe(new Date(`${p.date_min}Z`).toISOString());
          expect(new Date(c.max as string).toISOString()).toBe(new Date(`${p.date_max}Z`).toISOString());
        }
      }
      const id = ours.columns.find((c) => c.name === 'id')!;
      expect(id.unique).toBe(true);
      expect(ours.columns.find((c) => c.name === 'age')!.unique).toBe(false);
    }, 120_000);
  }
});

describe('profileFile', () => {
  it('reads JSON lines: keys in order of first appearance, a missing key is a null, JSON types as they are', async () => {
    const file = write('d.jsonl', '{"a": 1, "b": "x"}\n\n{"a": 2.5, "c": true}\n{"a": null, "b": "2024-01-02", "c": false}\n');
    const p = await profileFile(file);
    expect(p.rows).toBe(3);
    expect(p.columns.map((c) => [c.name, c.type, c.nulls])).toEqual([
      ['a', 'float', 1],
      ['b', 'string', 1],
      ['c', 'bool', 1],
    ]);
  });

  it('TSV and CRLF line ends; "inf" is a float, hex is text', async () => {
    const p = await profileFile(write('d.tsv', 'x\ty\r\n1\t0x1A\r\ninf\t2\r\n'));
    expect(p.columns.map((c) => c.type)).toEqual(['float', 'string']);
    expect(p.columns[0].max).toBe(Infinity);
  });
});

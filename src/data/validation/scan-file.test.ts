import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { profileFile as profileWhole } from './profile.js';
import { QuantileSketch } from './quantile-sketch.js';
import { profileFile, segmentCuts, validateFile } from './scan-file.js';
import type { DataSchema } from './schema.js';
import { validateFile as validateWhole } from './validate.js';

// Segmented reading (scan-file.ts) against the one-pass reading it replaces for large files: with
// 64 KB segments a few-MB file is cut in dozens of places, so every merge (types, nulls, categories,
// sketches, keys, duplicates across segments, examples in line order) is exercised in this thread.

const SEG = { threads: 1, segmentBytes: 64 * 1024 };
let dir: string;
const file = (name: string) => path.join(dir, name);

/** Equal, numbers within a relative 1e-9 (sums added in another order differ in the last digits). */
function close(a: unknown, b: unknown, at = ''): void {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) {
    expect(Math.abs(a - b), `${at}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a)));
    return;
  }
  if (a === null || typeof a !== 'object') return void expect(b, at).toEqual(a);
  expect(Object.keys(b as object).sort(), at).toEqual(Object.keys(a).sort());
  for (const [k, v] of Object.entries(a)) close(v, (b as Record<string, unknown>)[k], `${at}.${k}`);
}

function table(rows: number, seed: number, extra: (i: number) => string = () => ''): string {
  const rand = mulberry32(seed);
  const lines = ['id,name,score,ratio,when,flag,city'];
  for (let i = 0; i < rows; i++) {
    // A duplicate id every 7,001 rows (in another segment than the first), text in the score column every 9,001.
    const id = i % 7001 === 7000 ? i - 5000 : i;
    const name = i % 5 === 0 ? `"Smith, ${i % 13}"` : i % 11 === 0 ? '"say ""hi"""' : `n${i % 300}`;
    const score = i % 9001 === 9000 ? 'abc' : i % 17 === 0 ? (i % 2 ? '' : 'NA') : String(Math.floor(rand() * 120) - 5);
    const ratio = (rand() * 1000 - 400).toFixed(3);
    const when = `202${i % 5}-0${1 + (i % 9)}-1${i % 10}`;
    lines.push(`${id},${name},${score},${ratio},${when},${rand() < 0.5 ? 'True' : 'False'},city-${i % 1500}${extra(i)}`);
  }
  return `${lines.join('\n')}\n`;
}

const schema: DataSchema = {
  mlx_data_schema: 1,
  expectations: [
    { expect: 'columns', columns: ['id', 'name', 'score', 'ratio', 'when', 'flag', 'city'], severity: 'error' },
    { expect: 'unique', column: 'id', severity: 'error' },
    { expect: 'type', column: 'score', type: 'int', severity: 'error' },
    { expect: 'range', column: 'score', min: 0, max: 100, severity: 'error' },
    { expect: 'max_null_share', column: 'score', max: 0.01, severity: 'warn' },
    { expect: 'length', column: 'name', max: 8, severity: 'warn' },
    { expect: 'categories', column: 'flag', values: ['True'], severity: 'error' },
    { expect: 'unique', column: 'city', severity: 'warn' },
    { expect: 'expression', expr: 'ratio < 590 or score is null', severity: 'error' },
  ],
} as DataSchema;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-scan-'));
  fs.writeFileSync(file('big.csv'), table(40_000, 1));
  fs.writeFileSync(file('big.tsv'), table(20_000, 2).replaceAll(',', '\t'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('segmented profiling and validation', () => {
  it('cuts just past line ends, about every segment', () => {
    const cuts = segmentCuts(file('big.csv'), fs.statSync(file('big.csv')).size, SEG.segmentBytes);
    expect(cuts.length).toBeGreaterThan(20);
    const bytes = fs.readFileSync(file('big.csv'));
    for (const c of cuts.slice(1, -1)) expect(bytes[c - 1]).toBe(10);
    expect(cuts.at(-1)).toBe(bytes.length);
  });

  it('profiles as one pass does (means and deviations to the last digits)', async () => {
    for (const name of ['big.csv', 'big.tsv']) {
      const whole = await profileWhole(file(name));
      const seg = await profileFile(file(name), SEG);
      close(whole, seg);
      expect(seg.columns.find((c) => c.name === 'id')!.unique).toBe(false);
    }
  });

  it('validates as one pass does: counts, examples in line order, duplicates across segments', async () => {
    const whole = await validateWhole(file('big.csv'), schema, 's');
    const seg = await validateFile(file('big.csv'), schema, 's', SEG);
    close(whole.results, seg.results);
    close(whole.columns, seg.columns);
    const dup = seg.results.find((r) => r.expect === 'unique' && r.column === 'id')!;
    expect(dup.unexpected).toBe(5);
    expect(dup.examples!.map((e) => e.line)).toEqual([7002, 14003, 21004, 28005, 35006]);
    expect(seg.results.every((r) => r.status !== 'skipped')).toBe(true);
  });

  it('shows a duplicate from another segment as written (05 and +5 repeat 5)', async () => {
    const text = table(30_000, 6).split('\n');
    text[20_001] = text[20_001].replace(/^\d+,/, '05,');
    text[25_001] = text[25_001].replace(/^\d+,/, '+5,');
    fs.writeFileSync(file('dups.csv'), text.join('\n'));
    const x: DataSchema = { mlx_data_schema: 1, expectations: [{ expect: 'unique', column: 'id', severity: 'error' }] } as DataSchema;
    const whole = await validateWhole(file('dups.csv'), x, 's');
    const seg = await validateFile(file('dups.csv'), x, 's', SEG);
    expect(seg.results).toEqual(whole.results);
    expect(seg.results[0].examples!.map((e) => e.value)).toEqual(['2000', '9001', '05', '16002', '+5']);
  });

  it('reports the first duplicates by line when a later segment repeats many earlier values out of order (numbers, dates)', async () => {
    // Rows 25,001-25,040 repeat ids and dates of the first segment in decreasing order, so the merge
    // meets them in another order than their lines.
    const text = table(30_000, 8).split('\n');
    const DATE = /,(202\d-0\d-1\d),/;
    for (let k = 0; k < 40; k++) {
      const from = text[400 - k * 9];
      text[25_001 + k] = text[25_001 + k].replace(/^\d+/, from.match(/^\d+/)![0]).replace(DATE, `,${from.match(DATE)![1]},`);
    }
    fs.writeFileSync(file('many-dups.csv'), text.join('\n'));
    const x: DataSchema = {
      mlx_data_schema: 1,
      expectations: ['id', 'when', 'city'].map((column) => ({ expect: 'unique', column, severity: 'error' })),
    } as DataSchema;
    const whole = await validateWhole(file('many-dups.csv'), x, 's');
    const seg = await validateFile(file('many-dups.csv'), x, 's', SEG);
    expect(seg.results).toEqual(whole.results);
    const ids = seg.results[0];
    expect(ids.unexpected).toBeGreaterThanOrEqual(40);
    expect(ids.examples!.length).toBe(5);
    expect(ids.examples!.map((e) => e.line)).toEqual([...ids.examples!.map((e) => e.line)].sort((a, b) => a - b));
  });

  it('falls back to one pass when a quoted newline spans a cut: the same result exactly', async () => {
    fs.writeFileSync(file('multi.csv'), table(30_000, 3, (i) => (i % 3 === 0 ? ',"two\nlines"' : ',one')).replace('city\n', 'city,memo\n'));
    const whole = await profileWhole(file('multi.csv'));
    expect(await profileFile(file('multi.csv'), SEG)).toEqual(whole);
    expect(whole.rows).toBe(30_000);
  });

  it('reports a ragged row or bad UTF-8 far into the file exactly as one pass does', async () => {
    const text = table(30_000, 4).split('\n');
    text[25_000] += ',extra';
    fs.writeFileSync(file('ragged.csv'), text.join('\n'));
    const message = await profileWhole(file('ragged.csv')).catch((e: Error) => e.message);
    expect(message).toMatch(/line 25001 has 8 fields/);
    await expect(profileFile(file('ragged.csv'), SEG)).rejects.toThrow(message);
    await expect(validateFile(file('ragged.csv'), schema, 's', SEG)).rejects.toThrow(message);
    const bytes = Buffer.from(table(30_000, 5));
    bytes[bytes.length - 40] = 0xff;
    fs.writeFileSync(file('latin.csv'), bytes);
    const bad = await profileWhole(file('latin.csv')).catch((e: Error) => e.message);
    expect(bad).toMatch(/line 30001 is not UTF-8/);
    await expect(profileFile(file('latin.csv'), SEG)).rejects.toThrow(bad);
  });

  it('refuses an expression naming a column the file lacks before reading, as one pass does', async () => {
    const x: DataSchema = { mlx_data_schema: 1, expectations: [{ expect: 'expression', expr: 'scor > 1', severity: 'error' }] } as DataSchema;
    const message = await validateWhole(file('big.csv'), x, 's').catch((e: Error) => e.message);
    expect(message).toMatch(/names the column "scor"/);
    await expect(validateFile(file('big.csv'), x, 's', SEG)).rejects.toThrow(message);
  });
});

describe('QuantileSketch.merge', () => {
  it('gives the quantiles one sketch of every value gives, exact or sketched', () => {
    for (const n of [1000, 200_000]) {
      const rand = mulberry32(n);
      const values = Array.from({ length: n }, () => (rand() - 0.3) * 1e4);
      const one = new QuantileSketch();
      const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
      values.forEach((v, i) => (one.add(v), parts[Math.floor((i * 3) / n)].add(v)));
      const merged = parts[0];
      merged.merge(QuantileSketch.revive(structuredClone(parts[1])));
      merged.merge(parts[2]);
      const qs = [0, 0.01, 0.25, 0.5, 0.75, 0.99, 1];
      expect(merged.isExact).toBe(one.isExact);
      expect(merged.quantiles(qs)).toEqual(one.quantiles(qs));
    }
  });

  it('gives the same quantiles from sealed segments (their held values bucketed where they were read), exact or sketched', () => {
    // Segment sizes around EXACT (65,536 values): totals that stay exact, cross it on the second merge, or start sketched.
    for (const sizes of [
      [20_000, 30_000, 10_000],
      [40_000, 20_000, 30_000, 5],
      [70_000, 1_000, 60_000],
      [10, 70_000],
    ]) {
      const rand = mulberry32(sizes.length * 7 + sizes[0]);
      const one = new QuantileSketch();
      const parts = sizes.map((n) => {
        const s = new QuantileSketch();
        for (let i = 0; i < n; i++) {
          const v = rand() < 0.05 ? 0 : (rand() - 0.4) * 10 ** Math.floor(rand() * 6);
          s.add(v);
          one.add(v);
        }
        s.seal();
        return QuantileSketch.revive(structuredClone(s));
      });
      const merged = parts[0];
      for (const p of parts.slice(1)) merged.merge(p);
      const qs = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1];
      expect(merged.count).toBe(one.count);
      expect(merged.isExact, sizes.join(',')).toBe(one.isExact);
      expect(merged.quantiles(qs), sizes.join(',')).toEqual(one.quantiles(qs));
    }
  });
});

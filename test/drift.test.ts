// `mlx drift` as users and CI use it (issue 5): real spawned CLI, numbers checked against scipy
// (test/fixtures/drift-cli/expected.json, written by make-expected.py), test selection as
// Evidently, JSON shape, inputs, column options, corrections, prediction drift, terminal output.
// The actions (--fail-on-drift, --on-drift, --log-to-run, --html) are in drift-actions.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlx, mlxJson, tempProject } from './helpers/cli.js';
import { csvToJsonl, FILES, SEED_FEATURES, sha256, write, writeAll } from './fixtures/drift-cli/data.js';

const T = 60_000;
const expected = JSON.parse(fs.readFileSync(new URL('./fixtures/drift-cli/expected.json', import.meta.url), 'utf8'));

interface Side {
  count: number;
  missing: number;
  [k: string]: unknown;
}
interface Col {
  column: string;
  type: string;
  test: string;
  statistic: number;
  p_value: number | null;
  threshold: number;
  drift: boolean;
  reference: Side;
  current: Side;
  [k: string]: unknown;
}
interface Report {
  dataset_drift: boolean;
  drift_share: number;
  columns: Col[];
  correction: { method: string; [k: string]: unknown };
  prediction: Col | null;
  [k: string]: unknown;
}

const drift = (dir: string, args: string[]) => mlxJson<Report>(dir, ['drift', ...args]);
const pair = (name: string) => ['--reference', `${name}-reference.csv`, '--current', `${name}-current.csv`];
const byName = (r: Report) => Object.fromEntries(r.columns.map((c) => [c.column, c]));

/** The tolerance: relative 1e-9, absolute 1e-12 for p-values below 1e-10. */
function expectScipy(actual: number | null, want: number | null, what: string): void {
  if (want === null) return void expect(actual, what).toBeNull();
  expect(actual, what).not.toBeNull();
  const tol = Math.abs(want) < 1e-10 ? 1e-12 : 1e-9 * Math.abs(want);
  expect(Math.abs(actual! - want), `${what}: ${actual} vs scipy ${want}`).toBeLessThanOrEqual(tol);
}

/** Every number anywhere in the document is finite (no NaN, no null statistic). */
function expectFinite(doc: unknown, where = '$'): void {
  if (typeof doc === 'number') expect(Number.isFinite(doc), where).toBe(true);
  else if (Array.isArray(doc)) doc.forEach((v, i) => expectFinite(v, `${where}[${i}]`));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) expectFinite(v, `${where}.${k}`);
}

let dir: string;
beforeAll(() => {
  dir = writeAll(tempProject('mlx-drift-'));
});

describe('statistics equal scipy on the very files', () => {
  it('the generated files are byte for byte the ones make-expected.py gave to scipy', () => {
    for (const [name, make] of Object.entries(FILES)) expect(sha256(make()), name).toBe(expected.sha256[name]);
  });

  it(
    "the seed's example (1000×5 normal vs 500×5 shifted +0.5) flags all five with KS, as ks_2samp",
    () => {
      for (const test of ['ks', 'auto']) {
        const r = drift(dir, [...pair('seed'), '--test', test]);
        expect(r.dataset_drift).toBe(true);
        expect(r.drift_share).toBe(1);
        expect(r.columns.map((c) => c.column)).toEqual([...SEED_FEATURES]);
        for (const c of r.columns) {
          expect(c).toMatchObject({ type: 'numerical', test: 'ks', threshold: 0.05, drift: true });
          expectScipy(c.statistic, expected.seed_ks[c.column].statistic, `${c.column} D`);
          expectScipy(c.p_value, expected.seed_ks[c.column].p_value, `${c.column} p`);
          expect(c.reference.count).toBe(1000);
          expect(c.current.count).toBe(500);
        }
      }
    },
    T,
  );

  it(
    '--test auto with a reference of ≤ 1000 rows: KS, chi-square (incl. ≤ 5 numeric values), z for two values',
    () => {
      const cols = byName(drift(dir, pair('small')));
      expect(Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, [c.type, c.test]]))).toEqual({
        num: ['numerical', 'ks'],
        cat: ['categorical', 'chisquare'],
        bin: ['categorical', 'z'],
        few: ['numerical', 'chisquare'],
        flag: ['numerical', 'z'],
      });
      for (const [name, want] of Object.entries<any>(expected.small_auto)) {
        expect(cols[name].test).toBe(want.test);
        expectScipy(cols[name].statistic, want.statistic, `${name} statistic`);
        expectScipy(cols[name].p_value, want.p_value, `${name} p`);
        expect(cols[name].drift).toBe(want.p_value < 0.05);
      }
    },
    T,
  );

  it(
    '--test auto with a reference of > 1000 rows: normed Wasserstein for numbers, Jensen–Shannon otherwise',
    () => {
      const cols = byName(drift(dir, pair('large')));
      for (const [name, want] of Object.entries<any>(expected.large_auto)) {
        expect(cols[name].test, name).toBe(want.test);
        expectScipy(cols[name].statistic, want.statistic, `${name} distance`);
        expect(cols[name].p_value).toBeNull();
        expect(cols[name].threshold).toBe(0.1);
        expect(cols[name].drift).toBe(want.statistic >= 0.1);
      }
      expect(cols.num.test).toBe('wasserstein');
      expect(cols.cat.test).toBe('jensenshannon');
    },
    T,
  );
});

describe('the report', () => {
  it(
    '--json has the shape of the issue',
    () => {
      const r = drift(dir, pair('small'));
      expect(typeof r.dataset_drift).toBe('boolean');
      expect(r.drift_share).toBeCloseTo(1 / 5, 12);
      expect(r.correction).toMatchObject({ method: 'none' });
      for (const c of r.columns) {
        for (const k of ['column', 'type', 'test', 'statistic', 'p_value', 'threshold', 'drift', 'reference', 'current'])
          expect(c, `${c.column}.${k}`).toHaveProperty(k);
        expect(c).not.toHaveProperty('samples');
        const keys = c.type === 'numerical' ? ['count', 'missing', 'mean', 'std', 'min', 'median', 'max'] : ['count', 'missing', 'unique', 'top'];
        for (const side of [c.reference, c.current]) for (const k of keys) expect(side, `${c.column} summary`).toHaveProperty(k);
      }
      expect(byName(r).cat.reference).toMatchObject({ count: 800, missing: 0, unique: 3 });
      expectFinite(r);
    },
    T,
  );

  it(
    'identical files: no drift, statistic 0, p-value 1, nothing NaN, with every test',
    () => {
      for (const test of ['auto', 'ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon']) {
        const numeric = test === 'ks' || test === 'wasserstein' ? ['--columns', 'num,few,flag'] : [];
        const out = mlx(dir, ['drift', '-r', 'small-reference.csv', '-c', 'small-reference.csv', '--test', test, ...numeric, '--json']);
        expect(out.code, `${test}: ${out.stderr}`).toBe(0);
        expect(out.stdout).not.toMatch(/NaN|Infinity/);
        const r = JSON.parse(out.stdout) as Report;
        expectFinite(r);
        expect(r.dataset_drift, test).toBe(false);
        for (const c of r.columns) {
          expect(c.drift, `${test} ${c.column}`).toBe(false);
          expect(Math.abs(c.statistic), `${test} ${c.column}`).toBe(0);
          if (c.p_value !== null) expect(c.p_value, `${test} ${c.column}`).toBe(1);
        }
      }
    },
    T,
  );

  it(
    'constant columns (same constant, different sizes): a defined answer, no drift, never NaN',
    () => {
      const d = tempProject('mlx-drift-const-');
      write(d, 'r.csv', `k,c\n${'7,same\n'.repeat(40)}`);
      write(d, 'c.csv', `k,c\n${'7,same\n'.repeat(25)}`);
      for (const test of ['auto', 'ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon']) {
        const args = ['drift', '-r', 'r.csv', '-c', 'c.csv', '--test', test, '--columns', test === 'ks' || test === 'wasserstein' ? 'k' : 'k,c', '--json'];
        const out = mlx(d, args);
        expect(out.code, `${test}: ${out.stderr}`).toBe(0);
        expect(out.stdout).not.toMatch(/NaN|Infinity/);
        const r = JSON.parse(out.stdout) as Report;
        expectFinite(r);
        for (const c of r.columns) expect([test, c.column, c.drift]).toEqual([test, c.column, false]);
        expect(byName(r).k.reference).toMatchObject({ count: 40, std: 0, min: 7, max: 7 });
      }
    },
    T,
  );

  it(
    'missing values are counted in the summaries, and the tests use the values that are there',
    () => {
      const d = tempProject('mlx-drift-missing-');
      const lines = FILES['seed-reference.csv']().trim().split('\n');
      // Rows 2, 5 and 9 lose their age (empty, NA, NaN), row 3 its income: 3 + 1 missing.
      const holed = lines.map((l, i) =>
        i === 0 ? l : [2, 5, 9].includes(i) ? l.replace(/^[^,]*/, ['', 'NA', 'NaN'][[2, 5, 9].indexOf(i)]) : i === 3 ? l.replace(/,[^,]*/, ',') : l,
      );
      const dropped = lines.filter((_, i) => ![2, 5, 9].includes(i));
      write(d, 'holed.csv', `${holed.join('\n')}\n`);
      write(d, 'dropped.csv', `${dropped.join('\n')}\n`);
      write(d, 'cur.csv', FILES['seed-current.csv']());
      const r = byName(drift(d, ['-r', 'holed.csv', '-c', 'cur.csv', '--test', 'ks']));
      expect(r.age.reference).toMatchObject({ count: 997, missing: 3 });
      expect(r.income.reference).toMatchObject({ count: 999, missing: 1 });
      expect(r.score.reference).toMatchObject({ count: 1000, missing: 0 });
      expect(r.age.current).toMatchObject({ count: 500, missing: 0 });
      const clean = byName(drift(d, ['-r', 'dropped.csv', '-c', 'cur.csv', '--test', 'ks', '--columns', 'age']));
      expect([r.age.statistic, r.age.p_value]).toEqual([clean.age.statistic, clean.age.p_value]);
      // JSON lines: null and an absent key are both missing; so is an empty categorical cell in CSV.
      write(d, 'a.jsonl', '{"x":1,"s":"u"}\n{"x":null,"s":"v"}\n{"s":"u"}\n{"x":2,"s":null}\n{"x":3,"s":"v"}\n');
      write(d, 'b.csv', 'x,s\n1,u\n2,\n3,v\n');
      const j = byName(drift(d, ['-r', 'a.jsonl', '-c', 'b.csv']));
      expect(j.x.reference).toMatchObject({ count: 3, missing: 2 });
      expect(j.s.reference).toMatchObject({ count: 4, missing: 1 });
      expect(j.s.current).toMatchObject({ count: 2, missing: 1 });
    },
    T,
  );

  it(
    'JSON lines input gives the same report as the CSV it came from',
    () => {
      const d = tempProject('mlx-drift-jsonl-');
      for (const side of ['reference', 'current']) {
        write(d, `seed-${side}.csv`, FILES[`seed-${side}.csv`]());
        write(d, `seed-${side}.jsonl`, csvToJsonl(FILES[`seed-${side}.csv`]()));
      }
      const csv = drift(d, pair('seed'));
      const jsonl = drift(d, ['-r', 'seed-reference.jsonl', '-c', 'seed-current.jsonl']);
      expect(jsonl.columns).toEqual(csv.columns);
      expect([jsonl.dataset_drift, jsonl.drift_share]).toEqual([true, 1]);
    },
    T,
  );
});

describe('options', () => {
  it(
    '--columns picks and orders; --categorical and --numerical override inference',
    () => {
      const picked = drift(dir, [...pair('small'), '--columns', 'few,num']);
      expect(picked.columns.map((c) => c.column)).toEqual(['few', 'num']);
      const typed = byName(drift(dir, [...pair('small'), '--categorical', 'num,flag', '--numerical', 'few']));
      expect([typed.num.type, typed.num.test]).toEqual(['categorical', 'chisquare']);
      expect([typed.flag.type, typed.flag.test]).toEqual(['categorical', 'z']);
      expect([typed.few.type, typed.few.test]).toEqual(['numerical', 'chisquare']);
      expect(typed.num.reference).toHaveProperty('unique');
      expect(typed.few.reference).toHaveProperty('mean');
    },
    T,
  );

  it(
    '--drift-share: dataset drift when the share of drifted columns is ≥ it',
    () => {
      // One column of five drifts in the small set.
      expect(drift(dir, [...pair('small'), '--drift-share', '0.2'])).toMatchObject({ dataset_drift: true, drift_share: 0.2 });
      expect(drift(dir, [...pair('small'), '--drift-share', '0.25'])).toMatchObject({ dataset_drift: false, drift_share: 0.2 });
      expect(drift(dir, pair('small')).dataset_drift).toBe(false);
    },
    T,
  );

  it(
    '--correction bonferroni: every p-value test uses 0.05/k, and the output says so',
    () => {
      const r = drift(dir, [...pair('fdr'), '--correction', 'bonferroni']);
      expect(r.correction.method).toBe('bonferroni');
      for (const c of r.columns) expect(c.threshold).toBeCloseTo(0.05 / 5, 15);
      expect(r.columns.filter((c) => c.drift)).toEqual([]);
      const seed = drift(dir, [...pair('seed'), '--test', 'ks', '--correction', 'bonferroni']);
      expect(seed.columns.every((c) => c.drift && Math.abs(c.threshold - 0.01) < 1e-15)).toBe(true);
      const text = mlx(dir, ['drift', ...pair('fdr'), '--correction', 'bonferroni']).stdout;
      expect(text).toMatch(/bonferroni/i);
    },
    T,
  );

  it(
    '--correction fdr: Benjamini–Hochberg step-up on a constructed set of p-values',
    () => {
      const none = drift(dir, pair('fdr'));
      const p = Object.fromEntries(none.columns.map((c) => [c.column, c.p_value!]));
      for (const [name, want] of Object.entries<any>(expected.fdr_auto)) expectScipy(p[name], want.p_value, `${name} p`);
      // Benjamini–Hochberg by hand: the largest rank k with p(k) <= k/m·alpha; reject ranks 1..k.
      const sorted = Object.entries(p).sort((a, b) => a[1] - b[1]);
      const k = Math.max(0, ...sorted.map(([, v], i) => (v <= ((i + 1) / sorted.length) * 0.05 ? i + 1 : 0)));
      const bh = sorted
        .slice(0, k)
        .map(([n]) => n)
        .sort();
      expect(bh).toEqual(['f1', 'f2', 'f3']);
      expect(none.columns.filter((c) => c.drift).map((c) => c.column)).toEqual(['f1', 'f2', 'f3', 'f4']);
      const fdr = drift(dir, [...pair('fdr'), '--correction', 'fdr']);
      expect(fdr.correction.method).toBe('fdr');
      expect(
        fdr.columns
          .filter((c) => c.drift)
          .map((c) => c.column)
          .sort(),
      ).toEqual(bh);
      expect(fdr.columns.map((c) => c.p_value)).toEqual(none.columns.map((c) => c.p_value));
      expect(mlx(dir, ['drift', ...pair('fdr'), '--correction', 'fdr']).stdout).toMatch(/Benjamini.Hochberg/i);
    },
    T,
  );

  it(
    '--prediction-column is reported under "prediction" and does not count in drift_share',
    () => {
      const d = tempProject('mlx-drift-pred-');
      const rows = FILES['seed-reference.csv']().trim().split('\n');
      const withPred = (shift: number) => rows.map((l, i) => (i === 0 ? `${l},pred` : `${l},${(Number(l.split(',')[0]) + shift).toFixed(4)}`)).join('\n');
      write(d, 'r.csv', `${withPred(0)}\n`);
      write(d, 'c.csv', `${withPred(1)}\n`);
      const r = drift(d, ['-r', 'r.csv', '-c', 'c.csv', '--prediction-column', 'pred']);
      expect(r.columns.map((c) => c.column)).toEqual([...SEED_FEATURES]);
      expect(r.prediction).toMatchObject({ column: 'pred', test: 'ks', drift: true });
      expect([r.dataset_drift, r.drift_share]).toEqual([false, 0]);
      const text = mlx(d, ['drift', '-r', 'r.csv', '-c', 'c.csv', '--prediction-column', 'pred']).stdout;
      expect(text).toMatch(/pred \(prediction\)/);
      expect(text).toMatch(/prediction drift/i);
    },
    T,
  );
});

describe('terminal output', () => {
  const ANSI = /\u001b\[/;
  it(
    'a table and one dataset verdict line, no colour codes under NO_COLOR or when stdout is not a TTY',
    () => {
      for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: undefined, FORCE_COLOR: '3' }]) {
        const r = mlx(dir, ['drift', ...pair('seed'), '--test', 'ks'], { env });
        expect(r.code).toBe(0);
        expect(r.stdout).not.toMatch(ANSI);
        expect(r.stderr).toBe('');
        const lines = r.stdout.trimEnd().split('\n');
        expect(lines.find((l) => /column/.test(l))).toMatch(/column.*test.*statistic.*p-value.*threshold/);
        for (const f of SEED_FEATURES)
          expect(
            lines.filter((l) => l.includes(f) && /DRIFT/.test(l)),
            f,
          ).toHaveLength(1);
        const verdicts = lines.filter((l) => /dataset drift/i.test(l));
        expect(verdicts).toEqual(['Dataset drift: 5 of 5 columns drifted (100%, threshold 50%)']);
      }
      const calm = mlx(dir, ['drift', ...pair('small')])
        .stdout.split('\n')
        .filter((l) => /dataset drift/i.test(l));
      expect(calm).toEqual([expect.stringMatching(/^No dataset drift: 1 of 5 columns/)]);
      if (process.env.MLX_PRINT_DRIFT_TABLE) console.log(mlx(dir, ['drift', ...pair('small'), '--correction', 'bonferroni']).stdout);
    },
    T,
  );

  it(
    'a plain check writes nothing: no .mlx store appears in a fresh project',
    () => {
      const d = writeAll(tempProject('mlx-drift-nostore-'));
      expect(mlx(d, ['drift', ...pair('seed')]).code).toBe(0);
      expect(fs.existsSync(path.join(d, '.mlx'))).toBe(false);
    },
    T,
  );
});

// `mlx drift` bad input (issue 5): one `mlx: ` line on stderr naming the offending value, exit 1
// (2 for usage errors), empty stdout, and nothing written: no --html file, no metric logged to
// the --log-to-run run, the --on-drift command not run.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { FILES, write, writeAll } from './fixtures/drift-cli/data.js';

const T = 60_000;
const HOOK = "require('node:fs').writeFileSync('hook-ran', process.env.MLX_DRIFT_REPORT ?? '');\n";
const SEED = FILES['seed-reference.csv']().trim().split('\n');

/** A project with the fixture files, a retraining hook, a run to log to, and some hand-made files. */
function project(): { dir: string; run: string } {
  const dir = writeAll(tempProject('mlx-drift-bad-'));
  write(dir, 'hook.cjs', HOOK);
  const run = mlx(dir, ['runs', 'start', '--name', 'monitor']).stdout.trim();
  expect(run).toMatch(/^[0-9a-f]{32}$/);
  const csv = (rows: string[]) => `${rows.join('\n')}\n`;
  write(dir, 'header-only.csv', `${SEED[0]}\n`);
  write(dir, 'blank.csv', '');
  write(dir, 'blank.jsonl', '\n');
  write(
    dir,
    'no-income.csv',
    csv(
      SEED.map((l) =>
        l
          .split(',')
          .filter((_, i) => i !== 1)
          .join(','),
      ),
    ),
  );
  write(dir, 'extra-col.csv', csv(SEED.map((l, i) => `${l},${i === 0 ? 'extra' : i}`)));
  // Row 4 of the file (the third data row) has "abc" as its income.
  write(dir, 'text-income.csv', csv(SEED.map((l, i) => (i === 3 ? l.replace(/,[^,]*/, ',abc') : l))));
  write(dir, 'text-income.jsonl', '{"age":1,"income":2}\n{"age":2,"income":"n/a-ish"}\n');
  write(dir, 'no-age-values.csv', csv(SEED.map((l, i) => (i === 0 ? l : l.replace(/^[^,]*/, '')))));
  write(dir, 'bad.jsonl', '{"age":1}\n{"age":\n');
  write(dir, 'bad-quote.csv', 'age,income\n1,"2\n');
  write(dir, 'data.txt', SEED.join('\n'));
  return { dir, run };
}

function metricCount(dir: string, run: string): number {
  const db = new Database(path.join(dir, '.mlx', 'mlx.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM metrics WHERE run_uuid = ?').pluck().get(run) as number;
  } finally {
    db.close();
  }
}

/**
 * Runs `mlx drift ARGS` with every side effect asked for (an --html file, --log-to-run, an
 * --on-drift hook) unless ARGS sets that flag itself, and checks the error and that nothing
 * was written. `RUN` in ARGS stands for the project's run id.
 */
function refused(args: string[], code: number, mentions: (string | RegExp)[], setup?: (dir: string) => void): string {
  const { dir, run } = project();
  setup?.(dir);
  const has = (flag: string) => args.includes(flag);
  const full = [
    'drift',
    ...args.map((a) => (a === 'RUN' ? run : a)),
    ...(has('--html') ? [] : ['--html', 'out/report.html']),
    ...(has('--log-to-run') ? [] : ['--log-to-run', run]),
    ...(has('--on-drift') ? [] : ['--on-drift', 'node hook.cjs']),
  ];
  const before = fs.readdirSync(dir).sort();
  const line = expectError(mlx(dir, full), code, ...mentions);
  expect(fs.readdirSync(dir).sort(), 'no file written (html, temp file, hook marker)').toEqual(before);
  expect(metricCount(dir, run), 'no metric logged').toBe(0);
  return line;
}

const pair = (ref: string, cur: string) => ['--reference', ref, '--current', cur];
const SEED_PAIR = pair('seed-reference.csv', 'seed-current.csv');

describe('files', () => {
  it(
    'a missing reference or current file is named',
    () => {
      refused(pair('nope.csv', 'seed-current.csv'), 1, ['nope.csv', /not exist|not found|no such/i]);
      refused(pair('seed-reference.csv', 'missing/cur.csv'), 1, ['missing/cur.csv']);
    },
    T,
  );

  it(
    'a column in one file but not the other: the message names the column and the file',
    () => {
      refused(pair('seed-reference.csv', 'no-income.csv'), 1, ['"income"', 'no-income.csv']);
      refused(pair('no-income.csv', 'seed-current.csv'), 1, ['"income"', 'no-income.csv']);
      refused(pair('seed-reference.csv', 'extra-col.csv'), 1, ['"extra"', 'seed-reference.csv']);
      refused([...SEED_PAIR, '--columns', 'age,salary'], 1, ['"salary"']);
      refused([...SEED_PAIR, '--prediction-column', 'pred'], 1, ['"pred" is not a column of', 'reference']);
    },
    T,
  );

  it(
    'a non-numeric value in a column declared --numerical names the file, row and column',
    () => {
      refused([...pair('text-income.csv', 'seed-current.csv'), '--numerical', 'income'], 1, ['text-income.csv', /row 4\b/, '"income"', 'abc']);
      refused([...pair('seed-reference.csv', 'text-income.csv'), '--numerical', 'age,income'], 1, ['text-income.csv', /row 4\b/, '"income"']);
      refused([...pair('text-income.jsonl', 'text-income.jsonl'), '--numerical', 'income'], 1, ['text-income.jsonl', /(row|line) 2\b/, '"income"', 'n/a-ish']);
    },
    T,
  );

  it(
    'empty samples: no data rows, an empty file, a column with no values in one file',
    () => {
      refused(pair('header-only.csv', 'seed-current.csv'), 1, ['header-only.csv']);
      refused(pair('seed-reference.csv', 'header-only.csv'), 1, ['header-only.csv']);
      refused(pair('blank.csv', 'seed-current.csv'), 1, ['blank.csv']);
      refused(pair('blank.jsonl', 'blank.jsonl'), 1, ['blank.jsonl']);
      refused(pair('seed-reference.csv', 'no-age-values.csv'), 1, ['"age"', /current|no-age-values\.csv/]);
      refused(pair('no-age-values.csv', 'seed-current.csv'), 1, ['"age"', /reference|no-age-values\.csv/]);
    },
    T,
  );

  it(
    'unreadable input: malformed JSON lines, an unclosed CSV quote, an unknown file type',
    () => {
      refused(pair('bad.jsonl', 'bad.jsonl'), 1, ['bad.jsonl', /line 2\b/]);
      refused(pair('bad-quote.csv', 'seed-current.csv'), 1, ['bad-quote.csv']);
      refused(pair('data.txt', 'seed-current.csv'), 1, ['data.txt']);
    },
    T,
  );

  it(
    'fewer than 2 values in a sample: refused, naming the column and the file, whatever the test',
    () => {
      // One value says nothing about a distribution: every test refuses rather than answer
      // (the normed Wasserstein distance would divide by a zero std).
      const dir = tempProject('mlx-drift-one-');
      write(dir, 'r.csv', 'x,s\n0.5,a\n0.7,b\n');
      write(dir, 'c.csv', 'x,s\n1.5,a\n,b\n');
      for (const test of ['auto', 'ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon']) {
        const r = mlx(dir, ['drift', ...pair('r.csv', 'c.csv'), '--test', test, '--columns', 'x']);
        expectError(r, 1, '"x"', /only 1 value in the current file/, /at least 2/);
      }
    },
    T,
  );
});

describe('flags', () => {
  it(
    'unknown --test, bad --correction, --categorical and --numerical on one column, ks on categories',
    () => {
      const line = refused([...SEED_PAIR, '--test', 'anova'], 2, ['"anova"']);
      expect(line).toMatch(/ks.*chisquare.*z.*psi.*wasserstein.*jensenshannon/);
      refused([...SEED_PAIR, '--correction', 'holm'], 2, ['"holm"', /bonferroni/]);
      refused([...SEED_PAIR, '--categorical', 'age', '--numerical', 'age'], 2, ['"age"']);
      refused([...SEED_PAIR, '--categorical', 'age', '--test', 'ks'], 1, ['"age"', /categorical/]);
    },
    T,
  );

  it(
    'bad --drift-share (0, 2, abc) and --threshold',
    () => {
      refused([...SEED_PAIR, '--drift-share', '0'], 2, [/--drift-share "?0"?/]);
      refused([...SEED_PAIR, '--drift-share', '2'], 2, [/--drift-share "?2"?/]);
      refused([...SEED_PAIR, '--drift-share', 'abc'], 2, [/--drift-share "?abc"?/]);
      refused([...SEED_PAIR, '--threshold', 'x1'], 2, [/--threshold "?x1"?/]);
      refused([...SEED_PAIR, '--threshold', '-0.05'], 2, [/--threshold "?-0\.05"?/]);
    },
    T,
  );

  it(
    '--html with a name that is not .html',
    () => {
      refused([...SEED_PAIR, '--html', 'report.txt'], 1, ['report.txt', /\.html/]);
    },
    T,
  );

  it(
    'an unknown --log-to-run run id',
    () => {
      const id = 'feedfacefeedfacefeedfacefeedface';
      refused([...SEED_PAIR, '--log-to-run', id], 1, [id]);
    },
    T,
  );

  it(
    'an --on-drift command with an unclosed quote is refused before any work',
    () => {
      refused([...SEED_PAIR, '--on-drift', 'node "hook.cjs'], 1, ['--on-drift', /quote/]);
    },
    T,
  );

  it(
    'an --on-drift command that does not exist (found when drift is found): exit 1, says so, nothing written',
    () => {
      refused([...SEED_PAIR, '--test', 'ks', '--on-drift', 'retrain-nonexistent-xyz --now'], 1, ['retrain-nonexistent-xyz', /not found/]);
    },
    T,
  );

  it(
    'usage errors exit 2: missing --reference or --current, an unknown flag, a flag without its value',
    () => {
      refused(['--current', 'seed-current.csv'], 2, ['--reference']);
      refused(['--reference', 'seed-reference.csv'], 2, ['--current']);
      refused([...SEED_PAIR, '--bogus'], 2, ['--bogus']);
      const { dir } = project();
      expectError(mlx(dir, ['drift', ...SEED_PAIR, '--test']), 2, '--test');
    },
    T,
  );
});

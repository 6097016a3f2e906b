// Bad input (issue 2): a one-line `mlx: ` error naming the offending value, the right exit
// code, nothing on stdout, and nothing written to the store.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { storeRows } from './helpers/store-rows.js';
import { SCHEMA_VERSION } from '../src/store/sqlite/migrations.js';

const T = 60_000;

/** A store with one run holding a param, a metric and a tag. */
function project(): { dir: string; run: string } {
  const dir = tempProject('mlx-bad-');
  const run = mlx(dir, ['runs', 'start', '--name', 'victim']).stdout.trim();
  expect(run).toMatch(/^[0-9a-f]{32}$/);
  expect(mlx(dir, ['log', 'param', 'lr', '0.1', '--run', run]).code).toBe(0);
  expect(mlx(dir, ['log', 'metric', 'loss', '0.5', '--run', run, '--step', '1']).code).toBe(0);
  expect(mlx(dir, ['log', 'tag', 'team', 'a', '--run', run]).code).toBe(0);
  return { dir, run };
}

function dbFile(dir: string): string {
  return path.join(dir, '.mlx', 'mlx.db');
}

function metricCount(dir: string): number {
  const db = new Database(dbFile(dir), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM metrics').pluck().get() as number;
  } finally {
    db.close();
  }
}

function listFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).map(String).sort();
}

/** Everything a refused command could have changed: every row of the store, the artifact files. */
function snapshot(dir: string) {
  return { rows: storeRows(dir), files: listFiles(path.join(dir, '.mlx', 'artifacts')) };
}

/** Runs a bad command against a fresh store and checks the error and that nothing changed. */
function refused(args: string[], code: number, mentions: (string | RegExp)[], opts: { env?: Record<string, string> } = {}) {
  const { dir, run } = project();
  const before = snapshot(dir);
  const line = expectError(
    mlx(
      dir,
      args.map((a) => a.replace('RUN', run)),
      opts,
    ),
    code,
    ...mentions.map((m) => (m === 'RUN' ? run : m)),
  );
  expect(snapshot(dir)).toEqual(before);
  return { dir, run, line };
}

const UNKNOWN = '0123456789abcdef0123456789abcdef';

describe('run ids', () => {
  it(
    'unknown run id',
    () => {
      refused(['log', 'metric', 'loss', '1', '--run', UNKNOWN], 1, [UNKNOWN]);
      refused(['runs', 'show', UNKNOWN], 1, [UNKNOWN]);
    },
    T,
  );

  it(
    'unknown run id in a fresh folder creates no store',
    () => {
      const dir = tempProject();
      expectError(mlx(dir, ['log', 'metric', 'loss', '1', '--run', UNKNOWN]), 1, UNKNOWN);
      expect(fs.existsSync(path.join(dir, '.mlx')), '.mlx created by a refused command').toBe(false);
    },
    T,
  );

  it(
    'ambiguous run id prefix',
    () => {
      const { dir } = project();
      const db = new Database(dbFile(dir));
      for (const tail of ['0'.repeat(26), '1'.repeat(26)]) {
        const id = `abcdef${tail}`;
        db.prepare(
          `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, artifact_uri)
         VALUES (?, ?, 0, 'tester', 'RUNNING', ?, ?)`,
        ).run(id, `twin-${tail[0]}`, Date.now(), `artifacts/0/${id}/artifacts`);
      }
      db.close();
      const before = snapshot(dir);
      expectError(mlx(dir, ['runs', 'show', 'abcdef']), 1, '"abcdef"', /ambiguous/);
      expectError(mlx(dir, ['log', 'metric', 'loss', '1', '--run', 'abcdef']), 1, '"abcdef"', /ambiguous/);
      expect(snapshot(dir)).toEqual(before);
      // One more character makes it unique.
      expect(mlxJson(dir, ['runs', 'show', 'abcdef1']).run_id).toBe(`abcdef${'1'.repeat(26)}`);
    },
    T,
  );

  it(
    'run id too short or not hex',
    () => {
      refused(['log', 'metric', 'loss', '1', '--run', 'abc12'], 1, ['"abc12"']);
      refused(['log', 'param', 'x', '1', '--run', 'xyz123456'], 1, ['"xyz123456"']);
      const dir = tempProject();
      expectError(mlx(dir, ['log', 'metric', 'loss', '1', '--run', 'abc12']), 1, '"abc12"');
      expect(fs.existsSync(path.join(dir, '.mlx')), '.mlx created by a refused command').toBe(false);
    },
    T,
  );

  it(
    'no active run (no --run, no MLX_RUN_ID)',
    () => {
      refused(['log', 'metric', 'loss', '1'], 1, [/no active run/, /MLX_RUN_ID/]);
      const dir = tempProject();
      expectError(mlx(dir, ['log', 'metric', 'loss', '1']), 1, /no active run/);
      expect(fs.existsSync(path.join(dir, '.mlx')), '.mlx created by a refused command').toBe(false);
    },
    T,
  );

  it(
    'logging to a deleted run',
    () => {
      const { dir, run } = project();
      expect(mlx(dir, ['runs', 'delete', run]).code).toBe(0);
      const before = snapshot(dir);
      fs.writeFileSync(path.join(dir, 'ok.jsonl'), '{"type":"metric","key":"loss","value":1}\n');
      fs.writeFileSync(path.join(dir, 'f.txt'), 'x');
      expectError(mlx(dir, ['log', 'metric', 'loss', '1', '--run', run]), 1, run, /deleted/);
      expectError(mlx(dir, ['log', 'param', 'new', '1', '--run', run]), 1, run, /deleted/);
      expectError(mlx(dir, ['log', 'tag', 'new', '1', '--run', run]), 1, run, /deleted/);
      expectError(mlx(dir, ['log', 'artifact', 'f.txt', '--run', run]), 1, run, /deleted/);
      const batch = expectError(mlx(dir, ['log', 'batch', 'ok.jsonl', '--run', run]), 1, run, /deleted/);
      expect(snapshot(dir)).toEqual(before);
      expect(batch, 'no line of the file is at fault').not.toMatch(/line 0/);
    },
    T,
  );
});

describe('values and keys', () => {
  it(
    'non-numeric metric value',
    () => {
      refused(['log', 'metric', 'loss', 'abc', '--run', 'RUN'], 1, ['"abc"']);
      const dir = tempProject();
      expectError(mlx(dir, ['log', 'metric', 'loss', 'abc', '--run', UNKNOWN]), 1, '"abc"');
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
    },
    T,
  );

  it(
    'non-integer step',
    () => {
      refused(['log', 'metric', 'loss', '1', '--step', '1.5', '--run', 'RUN'], 2, ['"1.5"', /step/]);
      refused(['log', 'metric', 'loss', '1', '--step', 'ten', '--run', 'RUN'], 2, ['"ten"']);
    },
    T,
  );

  it(
    'invalid key characters',
    () => {
      for (const kind of ['param', 'metric', 'tag']) refused(['log', kind, 'a$b', '1', '--run', 'RUN'], 1, ['"a$b"']);
    },
    T,
  );

  it(
    'over-long key (251 characters)',
    () => {
      const key = 'k'.repeat(251);
      refused(['log', 'param', key, '1', '--run', 'RUN'], 1, [key.slice(0, 40), /251/, /250/]);
      refused(['log', 'metric', key, '1', '--run', 'RUN'], 1, [key.slice(0, 40), /251/]);
    },
    T,
  );

  it(
    'over-long param value (6001) and tag value (5001)',
    () => {
      refused(['log', 'param', 'big', 'v'.repeat(6001), '--run', 'RUN'], 1, ['"big"', /6001/, /6000/]);
      refused(['log', 'tag', 'big', 'v'.repeat(5001), '--run', 'RUN'], 1, ['"big"', /5001/, /5000/]);
    },
    T,
  );

  it(
    'param re-logged with a different value; the same value again succeeds',
    () => {
      const { dir, run } = project();
      const same = mlx(dir, ['log', 'param', 'lr', '0.1', '--run', run]);
      expect(same.code, same.stderr).toBe(0);
      expect(same.stderr).toBe('');
      const before = snapshot(dir);
      expectError(mlx(dir, ['log', 'param', 'lr', '0.2', '--run', run]), 1, '"lr"', '"0.1"', '"0.2"');
      expect(snapshot(dir)).toEqual(before);
      expect(mlxJson(dir, ['runs', 'show', run]).params).toEqual({ lr: '0.1' });
    },
    T,
  );
});

describe('artifacts', () => {
  it(
    'artifact source missing',
    () => {
      refused(['log', 'artifact', 'missing.bin', '--run', 'RUN'], 1, ['"missing.bin"']);
    },
    T,
  );

  it(
    '--artifact-path that escapes the run folder: ../x and an absolute path',
    () => {
      const { dir, run } = project();
      fs.writeFileSync(path.join(dir, 'f.txt'), 'payload');
      const abs = path.join(dir, 'abs-target');
      const before = snapshot(dir);
      const storeFiles = listFiles(path.join(dir, '.mlx'));
      expectError(mlx(dir, ['log', 'artifact', 'f.txt', '--artifact-path', '../x', '--run', run]), 1, '"../x"');
      expectError(mlx(dir, ['log', 'artifact', 'f.txt', '--artifact-path', abs, '--run', run]), 1, JSON.stringify(abs));
      expect(snapshot(dir)).toEqual(before);
      expect(listFiles(path.join(dir, '.mlx'))).toEqual(storeFiles);
      expect(fs.existsSync(abs)).toBe(false);
    },
    T,
  );
});

describe('search and experiments', () => {
  it(
    'filter syntax error names the position and the token',
    () => {
      const { dir } = project();
      const before = snapshot(dir);
      expectError(mlx(dir, ['runs', 'list', '--filter', 'metrics.loss >> 1']), 1, /position \d+/, '">"');
      expectError(mlx(dir, ['runs', 'list', '--filter', "params.lr = 'a' AND AND"]), 1, /position \d+/, /AND/);
      expectError(mlx(dir, ['runs', 'list', '--filter', 'metrics.loss > 1 )']), 1, /position \d+/, '")"');
      expect(snapshot(dir)).toEqual(before);
    },
    T,
  );

  it(
    'unknown experiment',
    () => {
      refused(['runs', 'list', '--experiment', 'nope'], 1, ['"nope"']);
      refused(['experiments', 'delete', 'nope'], 1, ['"nope"']);
      refused(['experiments', 'rename', 'nope', 'other'], 1, ['"nope"']);
    },
    T,
  );

  it(
    'unknown --status for runs end',
    () => {
      const { line, dir, run } = refused(['runs', 'end', 'RUN', '--status', 'BOGUS'], 1, ['"BOGUS"']);
      expect(line).toMatch(/FINISHED/);
      expect(mlxJson(dir, ['runs', 'show', run]).status).toBe('RUNNING');
    },
    T,
  );
});

describe('store files', () => {
  it(
    'a .mlx/mlx.db that is not SQLite: the error names the file, the file is left alone',
    () => {
      const dir = tempProject();
      fs.mkdirSync(path.join(dir, '.mlx'));
      const garbage = 'this is not a database, only some garbage text that is long enough\n';
      fs.writeFileSync(dbFile(dir), garbage);
      for (const args of [
        ['runs', 'list'],
        ['runs', 'start'],
        ['log', 'metric', 'loss', '1', '--run', UNKNOWN],
        ['experiments', 'list'],
      ])
        expectError(mlx(dir, args), 1, dbFile(dir), /not an SQLite database/);
      expect(fs.readFileSync(dbFile(dir), 'utf8')).toBe(garbage);
      expect(fs.readdirSync(path.join(dir, '.mlx'))).toEqual(['mlx.db']);
    },
    T,
  );

  it(
    'a database with a newer schema is refused, saying it is newer',
    () => {
      const { dir, run } = project();
      const before = snapshot(dir);
      const db = new Database(dbFile(dir));
      db.pragma('user_version = 999');
      db.close();
      for (const args of [
        ['runs', 'list'],
        ['runs', 'show', run],
        ['log', 'metric', 'loss', '2', '--run', run],
        ['runs', 'start'],
      ])
        expectError(mlx(dir, args), 1, dbFile(dir), /newer/, /999/);
      const check = new Database(dbFile(dir));
      expect(check.pragma('user_version', { simple: true })).toBe(999);
      check.pragma(`user_version = ${SCHEMA_VERSION}`);
      check.close();
      expect(snapshot(dir)).toEqual(before);
    },
    T,
  );
});

describe('batch files', () => {
  const line = (k: string, v: number) => JSON.stringify({ type: 'metric', key: k, value: v, step: v });

  it(
    'bad JSON on line 3 of 5: names the line, writes nothing of the file',
    () => {
      const { dir, run } = project();
      const lines = [line('a', 1), line('a', 2), '{"type":"metric","key":"a",value:3}', line('a', 4), line('a', 5)];
      fs.writeFileSync(path.join(dir, 'bad.jsonl'), `${lines.join('\n')}\n`);
      const before = snapshot(dir);
      expectError(mlx(dir, ['log', 'batch', 'bad.jsonl', '--run', run]), 1, /line 3\b/, 'bad.jsonl');
      expect(snapshot(dir)).toEqual(before);
      expect(metricCount(dir)).toBe(1);
    },
    T,
  );

  it(
    'bad key on line 4 of 5 (also from stdin): names the line, writes nothing of the file',
    () => {
      const { dir, run } = project();
      const lines = [line('a', 1), JSON.stringify({ type: 'param', key: 'p', value: 'x' }), line('a', 3), line('a$b', 4), line('a', 5)];
      const text = `${lines.join('\n')}\n`;
      fs.writeFileSync(path.join(dir, 'badkey.jsonl'), text);
      const before = snapshot(dir);
      expectError(mlx(dir, ['log', 'batch', 'badkey.jsonl', '--run', run]), 1, /line 4\b/, '"a$b"');
      expectError(mlx(dir, ['log', 'batch', '-', '--run', run], { input: text }), 1, /line 4\b/, '"a$b"');
      expect(snapshot(dir)).toEqual(before);
      expect(metricCount(dir)).toBe(1);
    },
    T,
  );
});

describe('argument parsing and mlx run', () => {
  it(
    'unknown flag is a usage error (exit 2)',
    () => {
      refused(['log', 'metric', 'loss', '1', '--run', 'RUN', '--bogus'], 2, ['--bogus']);
    },
    T,
  );

  it(
    'missing argument is a usage error (exit 2)',
    () => {
      refused(['log', 'metric', 'loss'], 2, [/value/]);
    },
    T,
  );

  it(
    'mlx run with no command',
    () => {
      const dir = tempProject();
      expectError(mlx(dir, ['run']), 2, /command|cmd/i);
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
      expectError(mlx(dir, ['run', '--']), 2, /command|cmd/i);
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
    },
    T,
  );

  it(
    'mlx run -- no-such-command-xyz: exit 127, no run created (issue 22 item 9; was: a FAILED run)',
    () => {
      const dir = tempProject();
      const r = mlx(dir, ['run', '--', 'no-such-command-xyz', '--flag']);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^mlx: .*no-such-command-xyz/m);
      expect(
        r.stderr.split('\n').every((l) => l === '' || l.startsWith('mlx: ')),
        r.stderr,
      ).toBe(true);
      expect(r.code).toBe(127);
      const { runs } = mlxJson(dir, ['runs', 'list']);
      expect(runs).toHaveLength(0);
    },
    T,
  );
});

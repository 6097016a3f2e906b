// Issue 18, section 4: a file that is there but may not be read is not a file that "does not
// exist". Before, `mlx drift --reference` called an unreadable CSV "not valid CSV: EACCES …",
// `mlx log batch` and `mlx log artifact` blamed the store ("is read-only: … no write permission on
// batch.jsonl"), `mlx predict --input` was an internal error to report, and a file in a folder the
// user may not search "did not exist". Now each says "permission denied" naming the file (exit 1),
// "does not exist" is kept for what is not there, and MLX_DEBUG=1 shows the system's error under
// the one line as "cause: …". Permissions are real: as root the commands run as `nobody` (root
// ignores file modes); as any other user the files are simply made unreadable to ourselves.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, expectError, MLX_BIN, mlx, tempProject, type CliResult } from './helpers/cli.js';
import { sampleModels, writeFile } from './helpers/models.js';
import { freePort } from './helpers/net.js';

const T = 60_000;
const AS_ROOT = process.getuid?.() === 0;

let dir: string;
let run: string;

/** `mlx ARGS` in the project as a user who may not read the files made unreadable below. */
function asReader(args: string[], env: Record<string, string> = {}): CliResult {
  const argv = [process.execPath, MLX_BIN, ...args];
  // nobody's HOME does not exist; onnxruntime would warn that it cannot keep its telemetry id there.
  const [cmd, rest] = AS_ROOT ? ['runuser', ['-u', 'nobody', '--', 'env', `HOME=${dir}`, ...argv]] : [argv[0], argv.slice(1)];
  const r = spawnSync(cmd, rest as string[], { cwd: dir, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = tempProject('mlx-unreadable-');
  run = mlx(dir, ['runs', 'start', '--name', 'r']).stdout.trim();
  expect(run).toMatch(/^[0-9a-f]{32}$/);
  const csv = 'age,income,score,clicks,time\n1,2,3,4,5\n2,3,4,5,6\n3,4,5,6,7\n';
  writeFile(dir, 'current.csv', csv);
  writeFile(dir, 'tabular.onnx', sampleModels().tabular);
  // The same files, which the reader may not read; and one in a folder the reader may not search.
  writeFile(dir, 'secret.csv', csv);
  writeFile(dir, 'secret.jsonl', '{"type":"param","key":"lr","value":"0.1"}\n');
  writeFile(dir, 'secret.onnx', sampleModels().tabular);
  writeFile(dir, 'private/inside.csv', csv);
  for (const f of ['secret.csv', 'secret.jsonl', 'secret.onnx']) fs.chmodSync(path.join(dir, f), 0o000);
  fs.chmodSync(path.join(dir, 'private'), 0o700);
  if (AS_ROOT) {
    // The reader may enter the project and read what is not made secret; the store stays ours (it is only read).
    for (const rel of ['.', ...(fs.readdirSync(dir, { recursive: true }) as string[])]) {
      const p = path.join(dir, rel);
      if (['secret.csv', 'secret.jsonl', 'secret.onnx', 'private', path.join('private', 'inside.csv')].includes(rel)) continue;
      fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
    }
  }
}, T);

afterAll(() => {
  fs.chmodSync(dir, 0o755);
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chmodSync(path.join(dir, rel), 0o755);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The commands that read a file the user names, with that file (args are built once the run exists). */
const commands = (file: { csv: string; jsonl: string; onnx: string }) => [
  { name: 'mlx drift --reference', args: () => ['drift', '--reference', file.csv, '--current', 'current.csv'], shown: `file "${file.csv}"` },
  { name: 'mlx register FILE', args: () => ['register', file.onnx, '--name', 'clf'], shown: `model file "${file.onnx}"` },
  { name: 'mlx log batch FILE', args: () => ['log', 'batch', file.jsonl, '--run', run], shown: `batch file "${file.jsonl}"` },
  { name: 'mlx predict --input', args: () => ['predict', 'tabular.onnx', '--input', file.csv], shown: `input "${file.csv}"` },
  { name: 'mlx log artifact', args: () => ['log', 'artifact', file.csv, '--run', run], shown: `artifact source "${file.csv}"` },
  { name: 'mlx log dataset', args: () => ['log', 'dataset', file.csv, '--run', run], shown: `dataset file "${file.csv}"` },
];

describe('a file that may not be read is said to be so, not to be missing', () => {
  for (const c of commands({ csv: 'secret.csv', jsonl: 'secret.jsonl', onnx: 'secret.onnx' }))
    it(
      `${c.name}: permission denied, naming the file`,
      () => {
        const line = expectError(asReader(c.args()), 1, `${c.shown} cannot be read: permission denied`);
        expect(line).not.toMatch(/does not exist|read-only|not valid|internal error/);
      },
      T,
    );

  for (const c of commands({ csv: 'private/inside.csv', jsonl: 'private/inside.jsonl', onnx: 'private/inside.onnx' }))
    it(
      `${c.name}: a file in a folder the user may not search is not "missing" either`,
      () => {
        expectError(asReader(c.args()), 1, `${c.shown} cannot be read: permission denied`);
      },
      T,
    );

  for (const c of commands({ csv: 'gone.csv', jsonl: 'gone.jsonl', onnx: 'gone.onnx' }))
    it(
      `${c.name}: a file that is not there still "does not exist"`,
      () => {
        expectError(asReader(c.args()), 1, `${c.shown} does not exist`);
      },
      T,
    );

  it(
    "a folder where a file is expected: the system's reason",
    () => {
      fs.mkdirSync(path.join(dir, 'folder.csv'), { recursive: true });
      if (AS_ROOT) fs.chmodSync(path.join(dir, 'folder.csv'), 0o755);
      expectError(
        asReader(['drift', '--reference', 'folder.csv', '--current', 'current.csv']),
        1,
        'file "folder.csv" cannot be read (EISDIR: illegal operation on a directory)',
      );
    },
    T,
  );
});

describe('MLX_DEBUG=1 shows the cause chain under the one line; without it, one line', () => {
  it(
    'an unreadable file: the file system error is the cause',
    () => {
      const args = ['drift', '--reference', 'secret.csv', '--current', 'current.csv'];
      expectError(asReader(args), 1, 'permission denied');
      const r = asReader(args, { MLX_DEBUG: '1' });
      expect(r.code).toBe(1);
      const lines = r.stderr.split('\n');
      expect(lines[0]).toBe('mlx: file "secret.csv" cannot be read: permission denied');
      expect(lines[1]).toMatch(/^MlxError: file "secret.csv" cannot be read/);
      expect(r.stderr).toMatch(/^cause: Error: EACCES: permission denied, \w+ 'secret.csv'$/m);
    },
    T,
  );

  it(
    "a PostgreSQL server that is not there: the driver's error is the cause",
    async () => {
      const port = await freePort();
      const args = ['runs', 'list', '--tracking-uri', `postgresql://mlx@127.0.0.1:${port}/mlx`];
      expectError(mlx(dir, args), 1, `cannot connect to postgresql://mlx@127.0.0.1:${port}/mlx: connection refused`);
      const r = mlx(dir, args, { env: { MLX_DEBUG: '1' } });
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toMatch(/^mlx: cannot connect to /);
      expect(r.stderr).toMatch(new RegExp(`^cause: Error: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`, 'm'));
    },
    T,
  );

  it(
    'a tracking server that is not there: the fetch error and its own cause',
    async () => {
      const port = await freePort();
      const args = ['runs', 'list', '--tracking-uri', `http://127.0.0.1:${port}`];
      expectError(mlx(dir, args), 1, 'cannot reach the tracking server', 'connection refused');
      const r = mlx(dir, args, { env: { MLX_DEBUG: '1' } });
      expect(r.stderr).toMatch(/^cause: TypeError: fetch failed$/m);
      expect(r.stderr).toMatch(/^cause: Error: connect ECONNREFUSED/m);
    },
    T,
  );
});

// Issue 17, item 16: what `mlx register` (and the tracking server's model-versions/create) reads as
// a model. `mlx register /dev/zero` read forever (2 GB resident in 5 s), a FIFO blocked for ever,
// a file over 2 GiB was an "internal error". Now the file is opened (without blocking) and judged
// by fstat on that descriptor: anything but a regular file is refused, and so is a file over the
// model size limit (2048 MB by default, the most protobuf can read; lower with --max-model-mb or
// MLX_MAX_MODEL_MB). Nothing is registered in any of these cases.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTrackingServer, stopServers, type TrackingServer } from '../helpers/mlx-server.js';
import { expectError, mlx, mlxJson, tempProject } from '../helpers/cli.js';
import { project as modelProject, registrySnapshot, runWithModel, sampleModels, T, writeFile } from '../helpers/models.js';

const GiB = 2 ** 30;
const API = '/api/2.0/mlflow';

/** A project with model clf v1 registered and a run holding model/tabular.onnx. */
function project(): { dir: string; run: string } {
  const dir = modelProject('mlx-sec-reg-');
  const run = runWithModel(dir, 'tabular.onnx');
  const r = mlx(dir, ['register', 'tabular.onnx', '--name', 'clf']);
  expect(r.code, r.stderr).toBe(0);
  return { dir, run };
}

/** A sparse file of `bytes` bytes (no disk used): an ONNX header, then zeros. */
function sparse(file: string, bytes: number): string {
  fs.writeFileSync(file, sampleModels().tabular.subarray(0, 64));
  fs.truncateSync(file, bytes);
  return file;
}

/** The run's local artifact folder. */
function artifacts(dir: string, run: string): string {
  return mlxJson(dir, ['runs', 'show', run]).artifact_uri.replace(/^file:\/\//, '');
}

function refused(dir: string, args: string[], code: number, ...mentions: (string | RegExp)[]) {
  const before = registrySnapshot(dir);
  const line = expectError(mlx(dir, args), code, ...mentions);
  expect(line).not.toMatch(/internal error|ERR_FS|EISDIR/);
  expect(registrySnapshot(dir)).toEqual(before);
}

describe('mlx register: sources that are not regular files', () => {
  it(
    '/dev/zero and /dev/urandom: character devices',
    () => {
      const { dir } = project();
      refused(dir, ['register', '/dev/zero', '--name', 'clf'], 1, '"/dev/zero"', /is a character device, not a regular file/);
      refused(dir, ['register', '/dev/urandom', '--name', 'x'], 1, '"/dev/urandom"', /character device/);
    },
    T,
  );

  it(
    'a FIFO (without blocking on it), and a symlink to /dev/zero (judged by what it opens)',
    () => {
      const { dir } = project();
      execFileSync('mkfifo', [path.join(dir, 'pipe.onnx')]);
      refused(dir, ['register', 'pipe.onnx', '--name', 'clf'], 1, '"pipe.onnx"', /is a named pipe \(FIFO\), not a regular file/);
      fs.symlinkSync('/dev/zero', path.join(dir, 'zero.onnx'));
      refused(dir, ['register', 'zero.onnx', '--name', 'clf'], 1, '"zero.onnx"', /character device/);
    },
    T,
  );

  it(
    'a folder holding a folder named model.onnx',
    () => {
      const { dir } = project();
      fs.mkdirSync(path.join(dir, 'm', 'model.onnx'), { recursive: true });
      refused(dir, ['register', 'm', '--name', 'clf'], 1, 'model.onnx', /is a folder, not a regular file/);
    },
    T,
  );

  it(
    'runs:/ sources: a FIFO among the run artifacts',
    () => {
      const { dir, run } = project();
      execFileSync('mkfifo', [path.join(artifacts(dir, run), 'model', 'pipe.onnx')]);
      refused(dir, ['register', `runs:/${run}/model/pipe.onnx`, '--name', 'clf'], 1, 'pipe.onnx', /named pipe/);
    },
    T,
  );
});

describe('mlx register: the model size limit', () => {
  it(
    'a (sparse) file over 2 GiB: over the limit of 2048 MB, the most protobuf reads',
    () => {
      const { dir } = project();
      sparse(path.join(dir, 'huge.onnx'), 2 * GiB + 1);
      refused(dir, ['register', 'huge.onnx', '--name', 'clf'], 1, '"huge.onnx"', /2147483649 bytes/, /over the limit of 2048 MB/, /protobuf/);
    },
    T,
  );

  it(
    '--max-model-mb and MLX_MAX_MODEL_MB lower it; a model within it registers',
    () => {
      const { dir } = project();
      sparse(path.join(dir, 'big.onnx'), 3 * 2 ** 20);
      refused(dir, ['register', 'big.onnx', '--name', 'clf', '--max-model-mb', '2'], 1, /3145728 bytes/, /over the limit of 2 MB/, /--max-model-mb/);
      const before = registrySnapshot(dir);
      const line = expectError(
        mlx(dir, ['register', 'big.onnx', '--name', 'clf'], { env: { MLX_MAX_MODEL_MB: '0.5' } }),
        1,
        /over the limit of 0.5 MB/,
        /MLX_MAX_MODEL_MB/,
      );
      expect(line).not.toMatch(/internal error/);
      expect(registrySnapshot(dir)).toEqual(before);
      const ok = mlx(dir, ['register', 'tabular.onnx', '--name', 'small', '--max-model-mb', '1']);
      expect(ok.code, ok.stderr).toBe(0);
    },
    T,
  );

  it(
    'a bad limit is a usage error naming it',
    () => {
      const { dir } = project();
      refused(dir, ['register', 'tabular.onnx', '--name', 'x', '--max-model-mb', 'lots'], 2, /--max-model-mb "lots"/, /2048/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'x', '--max-model-mb', '4096'], 2, /--max-model-mb "4096"/, /2048/);
      const before = registrySnapshot(dir);
      expectError(mlx(dir, ['register', 'tabular.onnx', '--name', 'x'], { env: { MLX_MAX_MODEL_MB: '-1' } }), 2, /MLX_MAX_MODEL_MB "-1"/);
      expect(registrySnapshot(dir)).toEqual(before);
    },
    T,
  );
});

describe('the tracking server: model-versions/create', () => {
  let dir: string;
  let store: string;
  let uploads: string;
  let s: TrackingServer;
  let low: TrackingServer;
  beforeAll(async () => {
    dir = tempProject('mlx-sec-reg-srv-');
    store = path.join(dir, '.mlx');
    const root = path.join(dir, 'artifacts');
    uploads = path.join(root, 'uploads');
    fs.mkdirSync(uploads, { recursive: true });
    execFileSync('mkfifo', [path.join(uploads, 'pipe.onnx')]);
    sparse(path.join(uploads, 'huge.onnx'), 2 * GiB + 1);
    sparse(path.join(uploads, 'big.onnx'), 3 * 2 ** 20);
    writeFile(uploads, 'tabular.onnx', sampleModels().tabular);
    const args = ['--backend-store-uri', store, '--artifacts-destination', root];
    [s, low] = await Promise.all([startTrackingServer(dir, args), startTrackingServer(dir, args, { MLX_MAX_MODEL_MB: '1' })]);
  }, T);
  afterAll(() => stopServers());

  // mlx's clients send mlx.* input tags (the CLI always sends mlx.sha256): they expect an ONNX model and are told why there is none.
  const strict = [{ key: 'mlx.sha256', value: '0'.repeat(64) }];
  const create = (server: TrackingServer, file: string, tags = strict) =>
    call(server.base, 'POST', `${API}/model-versions/create`, { name: 'srv', source: `mlflow-artifacts:/uploads/${file}`, tags });

  it(
    'refuses a FIFO and a file over the limit with a 400 naming the source, never its own path',
    async () => {
      for (const [server, file, re] of [
        [s, 'pipe.onnx', /named pipe \(FIFO\), not a regular file/],
        [s, 'huge.onnx', /over the limit of 2048 MB/],
        [low, 'big.onnx', /over the limit of 1 MB/],
      ] as const) {
        const r = await create(server, file);
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(r.body.message).toMatch(re);
        expect(r.body.message).toContain(`mlflow-artifacts:/uploads/${file}`);
        expect(r.body.message).not.toContain(dir);
      }
      // A plain MLflow client registers them as MLflow would (the source as given, never read), marked not servable.
      for (const [server, file, re] of [
        [s, 'pipe.onnx', /named pipe \(FIFO\), not a regular file/],
        [low, 'big.onnx', /over the limit of 1 MB/],
      ] as const) {
        const r = await create(server, file, []);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const reason = r.body.model_version.tags.find((t: { key: string }) => t.key === 'mlx.not_servable').value;
        expect(reason).toMatch(re);
        expect(reason).not.toContain(dir);
      }
      const ok = await create(low, 'tabular.onnx', []);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect((await fetch(`${s.base}/health`)).status).toBe(200);
      expect(s.stderr() + low.stderr()).not.toMatch(/internal error/);
    },
    T,
  );

  it(
    'mlx server refuses to start with a bad MLX_MAX_MODEL_MB',
    () => {
      const r = mlx(dir, ['server', '--port', '0', '--backend-store-uri', store], { env: { MLX_MAX_MODEL_MB: 'big' } });
      expectError(r, 2, /MLX_MAX_MODEL_MB "big"/);
    },
    T,
  );
});

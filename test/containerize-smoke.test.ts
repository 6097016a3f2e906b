// Slow (a real `npm install` of the packed mlx): the image of
// `mlx containerize`, built without Docker. The generated Dockerfile's own instructions are carried
// out in a temporary folder (test/helpers/dockerfile.ts): the same npm install of the packed tarball,
// the same COPY of node_modules and the model into the runtime stage, the same ENTRYPOINT + CMD
// command line with the model path the image uses. Then /health, /ready, a real prediction, the
// HEALTHCHECK command and a clean SIGTERM. Only the apt-get line is left out (this machine has
// python3, make and g++); npm is told to prefer its cache, and better-sqlite3 gets this checkout's
// binary as its prebuild, as the image gets one from GitHub (npmInstallEnv in test/helpers/dockerfile.ts).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from './helpers/cli.js';
import { freePort, waitUntil } from './helpers/net.js';
import { cleanHostEnv, copiesIgnored, emulateBuild, hostPath, inRoot, npmInstallEnv, which } from './helpers/dockerfile.js';
import { ok } from './helpers/models.js';
import { servingProject } from './helpers/serve.js';
import { IMAGE_LABELS, encodedImage, imageForm, json } from './helpers/serving-fixtures.js';

const SLOW = 900_000;
const cleanup: (() => void)[] = [];
// Removing the emulated image's node_modules can take minutes on a loaded machine.
afterAll(() => cleanup.forEach((f) => f()), 300_000);

describe('slow e2e: the containerized model, built and started without Docker', () => {
  it(
    'installs the packed mlx as the Dockerfile does, runs its CMD, and serves /health and a prediction',
    async () => {
      const dir = servingProject('mlx-smoke-');
      const root = tempProject('mlx-smoke-image-');
      cleanup.push(() => [dir, root].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
      const port = await freePort();
      ok(dir, ['containerize', 'models:/img/1', '--out', 'ctx', '--port', String(port)]);
      const ctx = path.join(dir, 'ctx');
      const dockerfile = fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8');

      // Everything the Dockerfile copies from the context is let through by .dockerignore.
      expect(copiesIgnored(ctx, dockerfile), 'the context has what the Dockerfile copies').toEqual([]);

      const basePath = `${path.dirname(process.execPath)}:${process.env.PATH}`;
      const stages = emulateBuild(dockerfile, ctx, root, { skipRun: /^apt-get /, runEnv: npmInstallEnv(), basePath });
      expect(stages).toHaveLength(2);
      const [build, image] = stages;
      expect(build.ran).toEqual(['npm install --omit=dev --no-audit --no-fund']);
      expect(build.skipped).toHaveLength(1);
      expect(build.env.ONNXRUNTIME_NODE_INSTALL).toBe('skip');
      // The runtime stage runs nothing, carries no tarball or compiler, and runs as node.
      expect(image.ran).toEqual([]);
      expect(image.user).toBe('node');
      expect(image.expose).toEqual([port]);
      expect(image.env.NODE_ENV).toBe('production');
      expect(fs.readdirSync(inRoot(image, '.')).sort()).toEqual(['model', 'node_modules']);
      expect(fs.existsSync(inRoot(image, 'node_modules/mlx/dist/cli/main.js'))).toBe(true);

      // ENTRYPOINT + CMD as the container would run them: `mlx serve model/img.onnx --host 0.0.0.0 --port P …`.
      const argv = [...image.entrypoint, ...image.cmd];
      expect(argv.slice(0, 8)).toEqual(['mlx', 'serve', 'model/img.onnx', '--host', '0.0.0.0', '--port', String(port), '--labels']);
      const env = { ...cleanHostEnv(), ...image.env, PATH: hostPath(image), NO_COLOR: '1' };
      const exe = which(argv[0], env.PATH);
      expect(exe).toBe(inRoot(image, 'node_modules/.bin/mlx'));
      const proc = spawn(exe, argv.slice(1), { cwd: inRoot(image, '.'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      cleanup.unshift(() => proc.exitCode === null && proc.kill('SIGKILL'));
      let stderr = '';
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      proc.stdout.resume();
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
      const base = `http://127.0.0.1:${port}`;
      await waitUntil(
        async () => (await fetch(`${base}/ready`)).status === 200,
        () => (proc.exitCode !== null ? stderr : null),
        120_000,
      );

      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      // Served from a file, the model keeps its name (the file is named after it) and its registry version (--model-version).
      expect(health.headers.get('x-mlx-model-version')).toBe('1');
      expect(await json(health)).toEqual({
        status: 'healthy',
        model_loaded: true,
        model: 'img',
        version: 1,
        device: 'cpu',
        device_reason: expect.stringMatching(/CUDA execution provider|no NVIDIA GPU/),
      });
      const cat = await encodedImage('cat', 1);
      const p = await json(fetch(`${base}/predict?top_k=2`, { method: 'POST', body: imageForm(cat.bytes) }));
      expect(p).toMatchObject({ label: 'cat', class_id: 0 });
      expect(p.confidence).toBeCloseTo(cat.probs[cat.classId], 4);
      expect(IMAGE_LABELS.split('\n')).toContain(p.top_k[1].label);

      // The image's HEALTHCHECK command, with the image's environment.
      const [hcExe, ...hcArgs] = image.healthcheck;
      const hc = spawnSync(which(hcExe, env.PATH), hcArgs, { cwd: inRoot(image, '.'), env, encoding: 'utf8', timeout: 30_000 });
      expect(hc.status, hc.stderr).toBe(0);

      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Serving wrote nothing beside the model and node_modules (the pods run with a read-only root filesystem).
      expect(fs.readdirSync(inRoot(image, '.')).sort()).toEqual(['model', 'node_modules']);
      expect(stderr).toContain(`serving img version 1 (loaded in`);
    },
    SLOW,
  );
});

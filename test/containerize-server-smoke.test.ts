// Slow (a real `npm install` of the packed mlx): the image of `mlx containerize --tracking-server`,
// built without Docker (test/helpers/dockerfile.ts carries out the Dockerfile's own instructions in a
// temporary folder), then run as the Kubernetes manifests run it: the initContainer's `mlx db upgrade`
// on a fresh PostgreSQL database, and two replicas of ENTRYPOINT + CMD sharing that database and one
// artifacts folder. What one replica records, the other serves. Left out: the apt-get line (this
// machine has python3, make and g++; better-sqlite3 gets this checkout's binary as its prebuild, as
// the image gets one from GitHub) and the mkdir of the artifacts folder (made here, inside the
// image's folder). Without PostgreSQL, the replicas share a SQLite store folder instead.
// It takes 60-100 s (the npm install, a PostgreSQL cluster): a slow e2e, as its name says, run by
// `npm test` like the model image's smoke test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from './helpers/cli.js';
import { freePort, waitUntil } from './helpers/net.js';
import { cleanHostEnv, copiesIgnored, emulateBuild, hostPath, inRoot, npmInstallEnv, which, type Stage } from './helpers/dockerfile.js';
import { ok } from './helpers/models.js';
import { postgresForTests } from './helpers/postgres.js';

const SLOW = 900_000;
const ARTIFACTS = '/var/lib/mlx/artifacts';
const cleanup: (() => void | Promise<void>)[] = [];
// Removing the emulated image's node_modules can take minutes on a loaded machine.
afterAll(async () => {
  for (const f of cleanup) await f();
}, 300_000);
const pg = await postgresForTests();

/** One replica: the image's command line, as its container would run it, on its own port. */
function replica(image: Stage, argv: string[], env: Record<string, string>): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const proc = spawn(which(argv[0], env.PATH), argv.slice(1), { cwd: inRoot(image, '.'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.unshift(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout!.resume();
  return { proc, stderr: () => stderr, exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))) };
}

function waitHealthy(base: string, r: ReturnType<typeof replica>): Promise<void> {
  const healthy = () => fetch(`${base}/health`).then((x) => x.ok);
  return waitUntil(healthy, () => (r.proc.exitCode !== null ? r.stderr() : null), 60_000, `the replica at ${base}`);
}

describe('slow e2e: the tracking server image, built without Docker, as two replicas over one store', () => {
  it(
    "migrates with the initContainer's command, then serves /health, the API with a token, and shared artifacts",
    async () => {
      const dir = tempProject('mlx-server-smoke-');
      const root = tempProject('mlx-server-smoke-image-');
      cleanup.push(() => [dir, root].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
      const [portA, portB] = [await freePort(), await freePort()];
      ok(dir, ['containerize', '--tracking-server', '--k8s', '--out', 'ctx', '--port', String(portA)]);
      const ctx = path.join(dir, 'ctx');
      const dockerfile = fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8');
      expect(copiesIgnored(ctx, dockerfile)).toEqual([]);

      const basePath = `${path.dirname(process.execPath)}:${process.env.PATH}`;
      const stages = emulateBuild(dockerfile, ctx, root, {
        skipRun: /^(apt-get |mkdir -p \/var\/lib\/mlx)/,
        runEnv: npmInstallEnv(),
        basePath,
      });
      const image = stages[1];
      expect(image.user).toBe('node');
      expect(image.expose).toEqual([portA]);
      expect(image.skipped.map((c) => c.replace(/\s+/g, ' '))).toEqual([`mkdir -p ${ARTIFACTS} && chown node:node ${ARTIFACTS}`]);
      fs.mkdirSync(inRoot(image, ARTIFACTS), { recursive: true });
      const artifacts = inRoot(image, ARTIFACTS);

      // The store the Secret would name: a fresh PostgreSQL database, else a SQLite folder.
      const store = pg ? pg.url(await pg.createDatabase()) : path.join(dir, 'store');
      const token = randomBytes(24).toString('hex');
      const env = { ...cleanHostEnv(), ...image.env, PATH: hostPath(image), NO_COLOR: '1', MLX_TRACKING_URI: store, MLX_SERVER_TOKEN: token };

      // The initContainer: `mlx db upgrade`, the URI from the environment. It initialises an empty database.
      const deployment = fs.readFileSync(path.join(ctx, 'k8s/deployment.yaml'), 'utf8');
      expect(deployment).toContain('args: ["db", "upgrade"]');
      if (pg) {
        const up = spawnSync(which('mlx', env.PATH), ['db', 'upgrade'], { cwd: inRoot(image, '.'), env, encoding: 'utf8', timeout: 60_000 });
        expect(up.status, up.stderr).toBe(0);
        expect(up.stdout).toMatch(/^upgraded postgresql:\/\/.* from schema version 0 to \d+/);
        expect(up.stdout + up.stderr).not.toContain(new URL(store).password || '\0');
      }

      // Two replicas: ENTRYPOINT + CMD, the second on its own port, both on the image's artifacts folder.
      const argv = [...image.entrypoint, ...image.cmd].map((a) => (a === ARTIFACTS ? artifacts : a));
      expect(argv).toEqual(['mlx', 'server', '--host', '0.0.0.0', '--port', String(portA), '--artifacts-destination', artifacts]);
      const a = replica(image, argv, env);
      const b = replica(
        image,
        argv.map((x) => (x === String(portA) ? String(portB) : x)),
        env,
      );
      const [baseA, baseB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
      await Promise.all([waitHealthy(baseA, a), waitHealthy(baseB, b)]);

      expect(await (await fetch(`${baseB}/health`)).json()).toEqual({ status: 'OK' });
      expect((await fetch(`${baseA}/api/2.0/mlflow/experiments/search?max_results=10`)).status).toBe(401);
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const call = async (base: string, p: string, body?: unknown) => {
        const res = await fetch(
          `${base}/api/2.0/mlflow/${p}`,
          body === undefined ? { headers: auth } : { method: 'POST', headers: auth, body: JSON.stringify(body) },
        );
        expect(res.status, `${p}: ${await res.clone().text()}`).toBe(200);
        return res.json() as Promise<any>;
      };
      const { experiment_id } = await call(baseA, 'experiments/create', { name: 'smoke' });
      const { run } = await call(baseA, 'runs/create', { experiment_id, start_time: Date.now() });
      await call(baseA, 'runs/log-metric', { run_id: run.info.run_id, key: 'loss', value: 0.25, timestamp: Date.now(), step: 0 });
      // The documented layout: mlflow-artifacts:/<experiment_id>/<run_id>/artifacts.
      expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${experiment_id}/${run.info.run_id}/artifacts`);
      const seen = await call(baseB, `runs/get?run_id=${run.info.run_id}`);
      expect(seen.run.data.metrics).toMatchObject([{ key: 'loss', value: 0.25 }]);

      // An artifact uploaded through one replica lands in the shared folder and is served by the other.
      const rel = `${experiment_id}/${run.info.run_id}/artifacts/notes/readme.txt`;
      const put = await fetch(`${baseB}/api/2.0/mlflow-artifacts/artifacts/${rel}`, {
        method: 'PUT',
        headers: { authorization: auth.authorization },
        body: 'shared',
      });
      expect(put.status).toBe(200);
      expect(fs.readFileSync(path.join(artifacts, rel), 'utf8')).toBe('shared');
      const got = await fetch(`${baseA}/api/2.0/mlflow-artifacts/artifacts/${rel}`, { headers: { authorization: auth.authorization } });
      expect(await got.text()).toBe('shared');

      // The image's HEALTHCHECK, with the image's environment.
      const [hcExe, ...hcArgs] = image.healthcheck;
      const hc = spawnSync(which(hcExe, env.PATH), hcArgs, { cwd: inRoot(image, '.'), env, encoding: 'utf8', timeout: 30_000 });
      expect(hc.status, hc.stderr).toBe(0);

      a.proc.kill('SIGTERM');
      b.proc.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
      // The replicas wrote nothing beside node_modules: the pods run with a read-only root filesystem.
      expect(fs.readdirSync(inRoot(image, '.')).sort()).toEqual(['node_modules']);
    },
    SLOW,
  );
});

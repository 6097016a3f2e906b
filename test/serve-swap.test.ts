// Hot model swap (issue 8) with a real `mlx serve models:/clf@champion`: when the alias moves, the new version
// is loaded beside the old and swapped in under a steady load without a failed request, every response answered
// entirely by one version; SIGHUP checks at once; a new signature or a broken file is refused and counted.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlxJson, mlxSpawn, tempProject } from './helpers/cli.js';
import { offsetModel } from './helpers/rollout.js';
import { register, scrape, startServe, stopAll, type Server } from './helpers/serve.js';
import { json, metric } from './helpers/serving-fixtures.js';

let dir: string;

/** `mlx models alias clf VERSION champion` as a child process (the load keeps running meanwhile). */
function moveAlias(version: number, alias = 'champion'): Promise<void> {
  const p = mlxSpawn(dir, ['models', 'alias', 'clf', String(version), alias]);
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  p.stdout!.resume();
  return new Promise((resolve, reject) => p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mlx models alias failed: ${err}`)))));
}

beforeAll(() => {
  dir = tempProject('mlx-swap-');
  const files: [string, Uint8Array][] = [
    ['v1.onnx', offsetModel(100)],
    ['v2.onnx', offsetModel(200)],
    ['v3.onnx', offsetModel(300, 4)],
    ['v4.onnx', offsetModel(400)],
    ['v5.onnx', offsetModel(500)],
  ];
  for (const [file, bytes] of files) {
    fs.writeFileSync(path.join(dir, file), bytes);
    register(dir, [file, '--name', 'clf']);
  }
  // Version 4's stored file is damaged: it no longer matches its sha256.
  const v4 = mlxJson(dir, ['models', 'show', 'clf/4']);
  const file = (v4.model_version ?? v4).storage_location as string;
  fs.chmodSync(file, 0o644);
  fs.writeFileSync(file, Buffer.from('not the model any more'));
});

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  sent: number;
  received: number;
  x0: number;
  status: number;
  version: number;
  y: number | null;
  error?: string;
}

/** Concurrent loops of POST /invocations until stop() (at most max requests), each answer stamped with a logical clock. */
function steadyLoad(server: Server, workers = 6, max = 50_000) {
  const answers: Answer[] = [];
  let clock = 0;
  let stopped = false;
  const loop = async (w: number) => {
    for (let i = 0; !stopped && answers.length < max; i++) {
      const x0 = w * 1000 + (i % 500);
      const sent = clock++;
      try {
        const r = await fetch(`${server.base}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [[x0, 1, 2]] }),
        });
        const body = (await r.json()) as { predictions?: number[][] };
        answers.push({
          sent,
          received: clock++,
          x0,
          status: r.status,
          version: Number(r.headers.get('x-mlx-model-version')),
          y: body.predictions?.[0]?.[0] ?? null,
        });
      } catch (err) {
        answers.push({ sent, received: clock++, x0, status: 0, version: NaN, y: null, error: String(err) });
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  return {
    answers,
    async stop() {
      stopped = true;
      await done;
      return answers;
    },
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const version = async (s: Server) => (await json(fetch(`${s.base}/health`))).version as number;
const swaps = async (s: Server, result: string) => metric(await scrape(s), 'mlx_model_swaps_total', { variant: 'clf@champion', result });

describe('hot swap when the alias moves', () => {
  it("under a steady load: no request fails, answers switch from version 1 to 2, each answer is its version's own", async () => {
    await moveAlias(1);
    const server = await startServe(dir, 'models:/clf@champion', ['--watch-interval', '1']);
    await server.waitFor(/watching models:\/clf@champion for alias moves every 1 s and on SIGHUP/);
    const load = steadyLoad(server);
    await until('some answers from version 1', () => load.answers.length >= 200);
    await moveAlias(2);
    await until('answers from version 2', () => load.answers.some((a) => a.version === 2));
    const firstV2 = Math.min(...load.answers.filter((a) => a.version === 2).map((a) => a.received));
    await until('more answers after the swap', () => load.answers.filter((a) => a.sent > firstV2).length >= 300);
    const answers = await load.stop();

    expect(
      answers.filter((a) => a.status !== 200),
      'failed requests',
    ).toEqual([]);
    for (const a of answers) {
      expect([1, 2]).toContain(a.version);
      // The version header and the prediction come from the same model: y = x0 + 100 × version.
      expect(a.y, `answer stamped version ${a.version} for x0 ${a.x0}`).toBeCloseTo(a.x0 + 100 * a.version, 3);
    }
    expect(answers.filter((a) => a.version === 1).length).toBeGreaterThan(0);
    // Once a client has seen version 2, every request sent after that is answered by version 2.
    expect(answers.filter((a) => a.sent > firstV2 && a.version !== 2)).toEqual([]);
    expect(await swaps(server, 'done')).toBe(1);
    expect(await swaps(server, 'refused')).toBe(0);
    expect(await version(server)).toBe(2);
    expect(server.stderr()).toMatch(/^mlx: clf@champion: models:\/clf@champion moved to version 2: swapped version 1 for version 2 \(loaded in [\d.]+ s\)$/m);
    const text = await scrape(server);
    expect(metric(text, 'mlx_model_info', { variant: 'clf@champion', version: '2' })).toBe(1);
    expect(metric(text, 'mlx_model_info', { variant: 'clf@champion', version: '1' })).toBeUndefined();
    server.proc.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 120_000);

  it('SIGHUP re-resolves at once (with --watch-interval 0 nothing happens otherwise)', async () => {
    await moveAlias(1);
    const server = await startServe(dir, 'models:/clf@champion', ['--watch-interval', '0']);
    await server.waitFor(/watching models:\/clf@champion for alias moves on SIGHUP \(kill -HUP \d+\)/);
    await moveAlias(2);
    // Nothing checks on its own: still version 1.
    const r = await fetch(`${server.base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [[5, 0, 0]] }),
    });
    expect(r.headers.get('x-mlx-model-version')).toBe('1');
    expect((await json(r)).predictions).toEqual([[105]]);
    server.proc.kill('SIGHUP');
    await server.waitFor('SIGHUP: re-resolving model aliases now');
    await until('version 2 after SIGHUP', async () => (await version(server)) === 2);
    expect(await swaps(server, 'done')).toBe(1);
    expect(server.proc.exitCode, 'SIGHUP does not stop the server').toBeNull();
  }, 60_000);

  it('an alias moved to another signature: refused, logged in one line, counted; the old version keeps serving', async () => {
    await moveAlias(1);
    const server = await startServe(dir, 'models:/clf@champion', ['--watch-interval', '1']);
    const load = steadyLoad(server, 3);
    await moveAlias(3);
    await until('the refusal counted', async () => (await swaps(server, 'refused')) === 1);
    // A broken file (sha256 mismatch): the swap fails, counted apart.
    await moveAlias(4);
    await until('the failure counted', async () => (await swaps(server, 'failed')) === 1);
    const answers = await load.stop();
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.every((a) => a.version === 1 && Math.abs(a.y! - (a.x0 + 100)) < 1e-3)).toBe(true);
    expect(await version(server)).toBe(1);
    const lines = server
      .stderr()
      .split('\n')
      .filter((l) => /clf@champion: models:\/clf@champion moved/.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^mlx: clf@champion: models:\/clf@champion moved to version 3: swap refused, its inputs differ: x float32 \[-1, 3\] now, x float32 \[-1, 4\] there; version 1 keeps serving$/,
    );
    expect(lines[1]).toMatch(/^mlx: clf@champion: models:\/clf@champion moved to version 4: swap failed, cannot load it: .+; version 1 keeps serving$/);
    // Not retried while the alias stays; the next good version swaps in.
    await moveAlias(5);
    await until('version 5', async () => (await version(server)) === 5);
    expect(await swaps(server, 'refused')).toBe(1);
    expect(await swaps(server, 'failed')).toBe(1);
    expect(await swaps(server, 'done')).toBe(1);
  }, 60_000);
});

// --device for mlx serve and mlx predict, spawned: the device is reported on start, in /health,
// /v2 and /metrics; cuda asked for on a machine without it is one line and exit 1 before any port
// opens; a device that is not one is a usage error. (This machine has no GPU and its
// onnxruntime-node has no CUDA provider; src/serving/model-device.test.ts runs the CUDA path
// where both exist and prints why it is skipped where they do not.)
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx } from './helpers/cli.js';
import { scrape, servingProject, startServe, stopAll, type Server } from './helpers/serve.js';
import { tabularRows } from './helpers/serving-fixtures.js';
import { probeCuda } from '../src/serving/device.js';

const real = probeCuda();
const cudaHere = real.providerMissing === null && real.gpus > 0;
if (cudaHere) console.log('serve-device.test: this machine has CUDA; the refusal tests are skipped');
let dir: string;
let server: Server;

beforeAll(async () => {
  dir = servingProject('mlx-device-');
  server = await startServe(dir, 'models:/tab/1');
}, 60_000);
afterAll(async () => {
  await stopAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('mlx serve --device', () => {
  it('auto (the default) says where inference runs and why, on start and in /health, /v2 and /metrics', async () => {
    const device = cudaHere ? 'cuda:0' : 'cpu';
    // The device line follows the 'serving' line startServe waits for: it may come in a later chunk.
    await server.waitFor('mlx: inference on ');
    if (!cudaHere) expect(server.stderr()).toContain(`mlx: inference on cpu (${real.providerMissing ?? 'no NVIDIA GPU'}`);
    const health = (await (await fetch(`${server.base}/health`)).json()) as Record<string, unknown>;
    expect(health.device).toBe(device);
    if (!cudaHere) expect(health.device_reason).toMatch(/CUDA execution provider|no NVIDIA GPU/);
    const meta = (await (await fetch(`${server.base}/v2/models/tab`)).json()) as { parameters: { device: string } };
    expect(meta.parameters.device).toBe(device);
    expect(await scrape(server)).toMatch(new RegExp(`^mlx_model_device\\{model="tab",version="1",variant="tab/1",device="${device}"\\} 1$`, 'm'));
  });

  it.skipIf(cudaHere)('--device cuda where CUDA is missing: one line saying why, exit 1, no port opened', () => {
    const r = mlx(dir, ['serve', 'models:/tab/1', '--port', '0', '--device', 'cuda']);
    expectError(r, 1, 'cannot run on cuda:0: ', real.providerMissing ?? 'no NVIDIA GPU');
    expectError(mlx(dir, ['serve', 'models:/tab/1', '--port', '0', '--device', 'cuda:1']), 1, 'cannot run on cuda:1');
  });

  it('--device cpu serves on the CPU without a word about CUDA', async () => {
    const cpu = await startServe(dir, 'models:/tab/1', ['--device', 'cpu']);
    await cpu.waitFor('mlx: inference on ');
    expect(cpu.stderr()).toContain('mlx: inference on cpu\n');
    expect(((await (await fetch(`${cpu.base}/health`)).json()) as { device: string; device_reason?: string }).device_reason).toBeUndefined();
  });

  it('a device that is not one: usage error naming the flag, exit 2', () => {
    expectError(mlx(dir, ['serve', 'models:/tab/1', '--device', 'tpu']), 2, '--device "tpu" is not a device: use auto, cpu, cuda or cuda:N');
  });
});

describe('mlx predict --device', () => {
  const input = () => {
    const file = path.join(dir, 'rows.jsonl');
    fs.writeFileSync(
      file,
      tabularRows(3)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    return file;
  };

  it('cpu and auto predict on the CPU here', () => {
    for (const device of ['cpu', 'auto']) {
      const r = mlx(dir, ['predict', 'models:/tab/1', '--input', input(), '--device', device]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(3);
    }
  });

  it.skipIf(cudaHere)('cuda where CUDA is missing: one line, exit 1; a bad device: exit 2', () => {
    expectError(mlx(dir, ['predict', 'models:/tab/1', '--input', input(), '--device', 'cuda:0']), 1, 'cannot run on cuda:0');
    expectError(mlx(dir, ['predict', 'models:/tab/1', '--input', input(), '--device', 'metal']), 2, '--device "metal" is not a device');
  });
});

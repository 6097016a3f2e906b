// Loading a real model on each device with the real onnxruntime: the CPU, `auto` on this machine,
// CUDA asked for where onnxruntime cannot start it (refused, or in auto mode served on the CPU),
// and the CUDA path itself, which runs only where a GPU and the CUDA provider are present and
// otherwise is skipped with its reason printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tabularBytes, tabularRows } from '../../test/helpers/serving-fixtures.js';
import { MlxError } from '../core/errors.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { probeCuda } from './device.js';
import { loadServedModel, type ServedModel } from './model-runtime.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-device-model-'));
const file = path.join(dir, 'tabular.onnx');
let store: Store;
const loaded: ServedModel[] = [];
const real = probeCuda();
/** A machine that claims a GPU and the provider, for the paths where onnxruntime itself must then fail. */
const pretend = { providerMissing: null, gpus: 1 };

beforeAll(async () => {
  fs.writeFileSync(file, tabularBytes());
  store = await openStore(path.join(dir, '.mlx'), { create: true });
});
afterAll(async () => {
  await Promise.all(loaded.map((m) => m.release()));
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const load = async (opts: Parameters<typeof loadServedModel>[2]) => {
  const m = await loadServedModel(store, file, opts);
  loaded.push(m);
  return m;
};

async function predict(m: ServedModel): Promise<number[]> {
  const rows = tabularRows(4);
  const out = await m.run({ [m.signature.inputs[0].name]: { type: 'float32', data: Float32Array.from(rows.flat()), dims: [4, 5] } });
  return Array.from(Object.values(out)[0].data as Float32Array);
}

describe('models load on the device asked for', () => {
  it('cpu: the CPU, reason "requested"', async () => {
    const m = await load({ device: { kind: 'cpu' } });
    expect([m.device, m.deviceReason]).toEqual(['cpu', 'requested']);
  });

  it('auto on this machine: CUDA if it is here, else the CPU saying why', async () => {
    const m = await load({ device: { kind: 'auto' } });
    if (real.providerMissing === null && real.gpus > 0) expect(m.device).toBe('cuda:0');
    else {
      expect(m.device).toBe('cpu');
      expect(m.deviceReason).toBe(real.providerMissing ?? expect.stringMatching(/no NVIDIA GPU/));
    }
  });

  it.skipIf(real.providerMissing === null)('cuda asked for where onnxruntime cannot start it: refused with onnxruntime’s reason', async () => {
    const err = await load({ device: { kind: 'cuda', id: 0 }, cudaProbe: pretend }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).message).toMatch(/^cannot run .*tabular\.onnx on cuda:0: onnxruntime's CUDA provider failed: .+/);
    expect((err as MlxError).message).not.toContain('\n');
  });

  it.skipIf(real.providerMissing === null)('auto where CUDA looks present but will not start: served on the CPU, saying why', async () => {
    const m = await load({ device: { kind: 'auto' }, cudaProbe: pretend });
    expect(m.device).toBe('cpu');
    expect(m.deviceReason).toMatch(/^CUDA failed to start: .+/);
    const cpu = await load({ device: { kind: 'cpu' } });
    expect(await predict(m)).toEqual(await predict(cpu));
  });
});

const cudaHere = real.providerMissing === null && real.gpus > 0;
if (!cudaHere) console.log(`model-device.test: the CUDA path is skipped: ${real.providerMissing ?? 'no NVIDIA GPU is visible'}`);

describe.runIf(cudaHere)('on a GPU (runs only where one and the CUDA provider are present)', () => {
  it('cuda:0 gives the CPU’s answers to float32 precision', async () => {
    const gpu = await load({ device: { kind: 'cuda', id: 0 } });
    const cpu = await load({ device: { kind: 'cpu' } });
    expect(gpu.device).toBe('cuda:0');
    const [a, b] = [await predict(gpu), await predict(cpu)];
    a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 4));
  });
});

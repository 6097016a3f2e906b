// Device selection: parsing --device, what the machine offers (the CUDA provider library, the GPUs,
// CUDA_VISIBLE_DEVICES), the choice and its fallback, and the GPU batch defaults. The probe reads
// fake /proc and /dev trees here; the real sessions are in model-runtime's device tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH, defaultMaxBatchSize, GPU_MAX_BATCH } from './defaults.js';
import { chooseDevice, deviceName, executionProviders, parseDevice, probeCuda } from './device.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-device-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fake machine: `gpus` entries under /proc/driver/nvidia/gpus (or /dev/nvidiaN), and onnxruntime's folder with or without the CUDA provider. */
function machine(o: { gpus?: number; devOnly?: boolean; provider?: boolean }) {
  const root = fs.mkdtempSync(path.join(tmp, 'root-'));
  const bin = path.join(root, 'ort-bin');
  fs.mkdirSync(bin);
  if (o.provider) fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), '');
  fs.mkdirSync(path.join(root, 'dev'));
  fs.writeFileSync(path.join(root, 'dev', 'nvidiactl'), '');
  for (let i = 0; i < (o.gpus ?? 0); i++) {
    if (o.devOnly) fs.writeFileSync(path.join(root, 'dev', `nvidia${i}`), '');
    else fs.mkdirSync(path.join(root, 'proc/driver/nvidia/gpus', `0000:0${i}:00.0`), { recursive: true });
  }
  return { root, binFolder: bin, platform: 'linux/x64' };
}

describe('parseDevice', () => {
  it('takes auto, cpu, cuda and cuda:N in any case', () => {
    expect(['auto', 'CPU', 'cuda', 'cuda:1', 'GPU:2'].map((t) => deviceName(parseDevice(t)))).toEqual(['auto', 'cpu', 'cuda:0', 'cuda:1', 'cuda:2']);
  });
  it('refuses anything else, naming the forms', () => {
    for (const t of ['tpu', 'cuda:', 'cuda:-1', 'cuda:x', 'rocm', 'mps', 'cuda:1234'])
      expect(() => parseDevice(t)).toThrow(`${JSON.stringify(t)} is not a device: use auto, cpu, cuda or cuda:N`);
  });
});

describe('probeCuda', () => {
  it('finds the provider library and counts GPUs from the driver, else /dev/nvidiaN', () => {
    expect(probeCuda(machine({ gpus: 2, provider: true }))).toEqual({ providerMissing: null, gpus: 2 });
    expect(probeCuda(machine({ gpus: 3, devOnly: true, provider: true })).gpus).toBe(3);
  });
  it('says the provider is missing, and how to install it', () => {
    expect(probeCuda(machine({ gpus: 1 })).providerMissing).toMatch(/no CUDA execution provider .*ONNXRUNTIME_NODE_INSTALL_CUDA=v12/);
    expect(probeCuda({ ...machine({ gpus: 1, provider: true }), platform: 'darwin/arm64' }).providerMissing).toBe(
      'onnxruntime-node has no CUDA execution provider for darwin/arm64 (only linux/x64)',
    );
  });
  it('limits the GPUs to CUDA_VISIBLE_DEVICES as CUDA does', () => {
    const m = machine({ gpus: 4, provider: true });
    expect(probeCuda({ ...m, env: { CUDA_VISIBLE_DEVICES: '1,3' } }).gpus).toBe(2);
    expect(probeCuda({ ...m, env: { CUDA_VISIBLE_DEVICES: '' } }).gpus).toBe(0);
    expect(probeCuda({ ...m, env: { CUDA_VISIBLE_DEVICES: '-1' } }).gpus).toBe(0);
    expect(probeCuda({ ...m, env: { CUDA_VISIBLE_DEVICES: '0,-1,2' } }).gpus).toBe(1);
  });
  it('on this machine: reports what it finds (the CUDA provider is not installed here)', () => {
    const p = probeCuda();
    expect(typeof p.gpus).toBe('number');
    // The pre-installed onnxruntime-node was installed with ONNXRUNTIME_NODE_INSTALL=skip.
    if (p.providerMissing === null) console.log('probeCuda: the CUDA provider library is installed on this machine');
    else expect(p.providerMissing).toMatch(/no CUDA execution provider/);
  });
});

describe('chooseDevice', () => {
  const ready = { providerMissing: null, gpus: 2 };
  const noProvider = { providerMissing: 'this onnxruntime-node build has no CUDA execution provider (…)', gpus: 1 };
  const noGpu = { providerMissing: null, gpus: 0 };

  it('auto: CUDA (GPU 0) when the provider and a GPU are there, else the CPU with the reason', () => {
    expect(chooseDevice({ kind: 'auto' }, ready)).toEqual({ device: { kind: 'cuda', id: 0 }, reason: 'CUDA provider and GPU found' });
    expect(chooseDevice({ kind: 'auto' }, noProvider)).toEqual({ device: { kind: 'cpu' }, reason: noProvider.providerMissing });
    expect(chooseDevice({ kind: 'auto' }, noGpu).reason).toMatch(/^no NVIDIA GPU is visible to this process .*--gpus all/);
  });
  it('cpu is the CPU whatever the machine has', () => {
    expect(chooseDevice({ kind: 'cpu' }, ready)).toEqual({ device: { kind: 'cpu' }, reason: 'requested' });
  });
  it('cuda:N runs on GPU N, and refuses with why when it cannot', () => {
    expect(chooseDevice({ kind: 'cuda', id: 1 }, ready)).toEqual({ device: { kind: 'cuda', id: 1 }, reason: 'requested' });
    expect(() => chooseDevice({ kind: 'cuda', id: 0 }, noProvider)).toThrow('cannot run on cuda:0: this onnxruntime-node build has no CUDA execution provider');
    expect(() => chooseDevice({ kind: 'cuda', id: 0 }, noGpu)).toThrow(/^cannot run on cuda:0: no NVIDIA GPU is visible/);
    expect(() => chooseDevice({ kind: 'cuda', id: 2 }, ready)).toThrow('cannot run on cuda:2: there is no GPU 2: 2 visible (cuda:0…cuda:1)');
  });
  it('asks onnxruntime for CUDA first with the CPU behind it for operators CUDA lacks', () => {
    expect(executionProviders({ kind: 'cuda', id: 1 })).toEqual([{ name: 'cuda', deviceId: 1 }, 'cpu']);
    expect(executionProviders({ kind: 'cpu' })).toEqual(['cpu']);
  });
});

describe('batch defaults by device', () => {
  it('GPUs get larger batches: 256 rows, 32 images', () => {
    const image = { spec: { kind: 'image' } };
    const rows = { spec: null };
    expect([defaultMaxBatchSize(image), defaultMaxBatchSize(rows)]).toEqual([DEFAULT_MAX_BATCH.images, DEFAULT_MAX_BATCH.rows]);
    expect([defaultMaxBatchSize({ ...image, device: 'cpu' }), defaultMaxBatchSize({ ...rows, device: 'cuda:1' })]).toEqual([4, GPU_MAX_BATCH.rows]);
    expect(defaultMaxBatchSize({ ...image, device: 'cuda:0' })).toBe(32);
  });
});

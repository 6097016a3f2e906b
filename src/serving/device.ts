// Which device runs inference: the CPU, or an NVIDIA GPU through onnxruntime's CUDA execution
// provider. onnxruntime-node ships the CPU runtime; its CUDA provider is a separate download its
// install script makes only when asked (ONNXRUNTIME_NODE_INSTALL_CUDA=v12), and it needs a GPU and
// driver the process can see. Both are checked before a session is asked for CUDA, so `auto`
// says plainly why it chose the CPU instead of printing onnxruntime's native load errors.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';

/** What the user asked for: `auto` (CUDA when it loads, else CPU), `cpu`, or `cuda:N`. */
export type DeviceRequest = { kind: 'auto' } | { kind: 'cpu' } | { kind: 'cuda'; id: number };
/** Where inference runs. */
export type Device = { kind: 'cpu' } | { kind: 'cuda'; id: number };

export const DEVICE_FORMS = 'auto, cpu, cuda or cuda:N';

/** Parses auto | cpu | cuda | cuda:N (N a GPU index from 0). */
export function parseDevice(text: string): DeviceRequest {
  const t = text.trim().toLowerCase();
  if (t === 'auto') return { kind: 'auto' };
  if (t === 'cpu') return { kind: 'cpu' };
  const m = /^(?:cuda|gpu)(?::(\d{1,3}))?$/.exec(t);
  if (!m) throw invalid(`${JSON.stringify(text)} is not a device: use ${DEVICE_FORMS}`);
  return { kind: 'cuda', id: m[1] === undefined ? 0 : Number(m[1]) };
}

/** cpu, cuda:0, …: how /health, /v2, /metrics and the start line name a device. */
export function deviceName(d: Device | DeviceRequest): string {
  return d.kind === 'cuda' ? `cuda:${d.id}` : d.kind;
}

/** What the machine offers CUDA: the provider library in onnxruntime-node's folder and the GPUs the process sees. */
export interface CudaProbe {
  /** Why the CUDA provider cannot load, or null when its library is installed. */
  providerMissing: string | null;
  /** NVIDIA GPUs this process may use (after CUDA_VISIBLE_DEVICES). */
  gpus: number;
}

/** Where onnxruntime-node keeps its native libraries for this platform. */
function ortBinFolder(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  // main is <pkg>/dist/index.js; the binding lives in <pkg>/bin/napi-v6/<platform>/<arch>.
  return path.join(path.dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Looks for the CUDA provider library and the NVIDIA GPUs (the driver's /proc entries, else
 * /dev/nvidiaN), limited by CUDA_VISIBLE_DEVICES as CUDA itself would. `root` and `env` are for tests.
 */
export function probeCuda(o: { binFolder?: string; root?: string; env?: NodeJS.ProcessEnv; platform?: string } = {}): CudaProbe {
  const platform = o.platform ?? `${process.platform}/${process.arch}`;
  let providerMissing: string | null = null;
  if (platform !== 'linux/x64') providerMissing = `onnxruntime-node has no CUDA execution provider for ${platform} (only linux/x64)`;
  else {
    const lib = path.join(o.binFolder ?? ortBinFolder(), 'libonnxruntime_providers_cuda.so');
    if (!fs.existsSync(lib))
      providerMissing =
        'this onnxruntime-node build has no CUDA execution provider (libonnxruntime_providers_cuda.so is not installed: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL_CUDA=v12, as `mlx containerize --gpu` images do)';
  }
  return { providerMissing, gpus: countGpus(o.root ?? '/', o.env ?? process.env) };
}

function countGpus(root: string, env: NodeJS.ProcessEnv): number {
  const list = (dir: string) => {
    try {
      return fs.readdirSync(path.join(root, dir));
    } catch {
      return [];
    }
  };
  let n = list('proc/driver/nvidia/gpus').length;
  if (n === 0) n = list('dev').filter((f) => /^nvidia\d+$/.test(f)).length;
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined) return n;
  const ids = visible.split(',').map((s) => s.trim());
  // CUDA stops at the first invalid entry ("-1" hides every GPU).
  const valid = ids.findIndex((s) => !/^(\d+|GPU-[0-9a-f-]+|MIG-[0-9a-zA-Z/-]+)$/.test(s));
  return Math.min(n, valid === -1 ? ids.length : valid);
}

/** The device chosen, and the reason in words (printed on start: "CUDA provider not installed", …). */
export interface DeviceChoice {
  device: Device;
  reason: string;
}

/**
 * Chooses the device for a request given what the machine offers. `cuda` requested and not
 * available is an error naming why; `auto` falls back to the CPU with that reason.
 */
export function chooseDevice(req: DeviceRequest, probe: CudaProbe): DeviceChoice {
  if (req.kind === 'cpu') return { device: { kind: 'cpu' }, reason: 'requested' };
  const id = req.kind === 'cuda' ? req.id : 0;
  const missing =
    probe.providerMissing ??
    (probe.gpus === 0
      ? 'no NVIDIA GPU is visible to this process (no /proc/driver/nvidia/gpus or /dev/nvidia0; in a container, run it with --gpus all, or check CUDA_VISIBLE_DEVICES)'
      : id >= probe.gpus
        ? `there is no GPU ${id}: ${probe.gpus} visible (cuda:0${probe.gpus > 1 ? `…cuda:${probe.gpus - 1}` : ''})`
        : null);
  if (missing === null) return { device: { kind: 'cuda', id }, reason: req.kind === 'auto' ? 'CUDA provider and GPU found' : 'requested' };
  if (req.kind === 'cuda') throw new MlxError('INVALID_STATE', `cannot run on ${deviceName(req)}: ${missing}`);
  return { device: { kind: 'cpu' }, reason: missing };
}

/** onnxruntime's executionProviders for a device: CUDA first (operators it lacks run on the CPU), or the CPU alone. */
export function executionProviders(d: Device): (string | { name: string; deviceId: number })[] {
  return d.kind === 'cuda' ? [{ name: 'cuda', deviceId: d.id }, 'cpu'] : ['cpu'];
}

import { MlxError } from '../core/errors.js';
import {
  intFlag, numberFlag, parseCpu, parseMemory, validateImageTag, validateNamespace, validateNodeVersion,
  type CpuQuantity, type MemoryQuantity,
} from './validate.js';

/** The flags of `mlx containerize` as typed (strings; undefined when not given). */
export interface ContainerizeFlags {
  out?: string;
  port?: string;
  tag?: string;
  nodeVersion?: string;
  gpu?: boolean;
  grafana?: boolean;
  k8s?: boolean;
  replicas?: string;
  maxReplicas?: string;
  cpu?: string;
  memory?: string;
  namespace?: string;
  threads?: string;
  maxBatchSize?: string;
  maxBatchDelayMs?: string;
  maxBodyMb?: string;
  labels?: string;
  preprocess?: string;
  force?: boolean;
  dryRun?: boolean;
  build?: boolean;
}

/** Checked options, with defaults applied. */
export interface ContextOptions {
  port: number;
  /** Given by --tag, else derived from the model once it is known. */
  tag?: string;
  nodeVersion: string;
  gpu: boolean;
  grafana: boolean;
  k8s: boolean;
  replicas: number;
  maxReplicas: number;
  cpu: CpuQuantity;
  memory: MemoryQuantity;
  /** HPA target, % of the CPU request. */
  cpuTarget: number;
  namespace?: string;
  /** onnxruntime threads: --threads, else the CPU budget rounded up (onnxruntime would otherwise start one per host core). */
  threads: number;
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  maxBodyMb?: number;
}

export const DEFAULTS = { port: '8000', nodeVersion: '20', replicas: '2', cpu: '1', memory: '1Gi', cpuTarget: 70 } as const;

/** `mlx serve`'s own defaults, written into the Kubernetes ConfigMap (a test keeps them equal to serve's). */
export const SERVE_DEFAULTS = { maxBatchDelayMs: 2, maxBodyMb: 20 } as const;

const usage = (message: string) => new MlxError('USAGE', message);

/** Checks every flag (nothing is read or written yet) and applies the defaults. */
export function parseContainerizeFlags(f: ContainerizeFlags): ContextOptions {
  if (f.build && f.dryRun) throw usage('--build and --dry-run exclude each other: a dry run writes nothing to build');
  if (!f.k8s)
    for (const [flag, v] of [['--replicas', f.replicas], ['--max-replicas', f.maxReplicas], ['--namespace', f.namespace]] as const)
      if (v !== undefined) throw usage(`${flag} applies to the Kubernetes manifests: add --k8s`);
  const port = intFlag('--port', f.port ?? DEFAULTS.port, 1, 65535);
  if (f.tag !== undefined) validateImageTag(f.tag);
  const nodeVersion = f.nodeVersion ?? DEFAULTS.nodeVersion;
  validateNodeVersion(nodeVersion);
  const replicas = intFlag('--replicas', f.replicas ?? DEFAULTS.replicas, 1, 1000);
  const maxReplicas = intFlag('--max-replicas', f.maxReplicas ?? String(Math.max(10, replicas)), 1, 1000);
  if (maxReplicas < replicas) throw new MlxError('INVALID_PARAMETER_VALUE', `--max-replicas ${maxReplicas} is below --replicas ${replicas}`);
  if (f.namespace !== undefined) validateNamespace(f.namespace);
  const cpu = parseCpu(f.cpu ?? DEFAULTS.cpu);
  const memory = parseMemory(f.memory ?? DEFAULTS.memory);
  return {
    port,
    tag: f.tag,
    nodeVersion,
    gpu: !!f.gpu,
    grafana: !!f.grafana,
    k8s: !!f.k8s,
    replicas,
    maxReplicas,
    cpu,
    memory,
    cpuTarget: DEFAULTS.cpuTarget,
    namespace: f.namespace,
    threads: f.threads !== undefined ? intFlag('--threads', f.threads, 1, 1024) : Math.max(1, Math.ceil(cpu.millis / 1000)),
    maxBatchSize: f.maxBatchSize !== undefined ? intFlag('--max-batch-size', f.maxBatchSize, 1, 65536) : undefined,
    maxBatchDelayMs: f.maxBatchDelayMs !== undefined ? numberFlag('--max-batch-delay-ms', f.maxBatchDelayMs, 0, 10_000) : undefined,
    maxBodyMb: f.maxBodyMb !== undefined ? numberFlag('--max-body-mb', f.maxBodyMb, 0.001, 4096) : undefined,
  };
}

import { MlxError } from '../core/errors.js';
import { DEFAULT_MAX_ROWS, MAX_ROWS_CEILING } from '../serving/batch-defaults.js';
import {
  intFlag, numberFlag, parseCpu, parseMemory, validateImageTag, validateNamespace, validateNodeVersion,
  type CpuQuantity, type MemoryQuantity,
} from './validate.js';

/** Flags of every build context (model or tracking server): the image and its Kubernetes sizing. */
export interface ImageFlags {
  out?: string;
  port?: string;
  tag?: string;
  nodeVersion?: string;
  k8s?: boolean;
  replicas?: string;
  maxReplicas?: string;
  cpu?: string;
  memory?: string;
  namespace?: string;
  force?: boolean;
  dryRun?: boolean;
  build?: boolean;
}

/** The flags of `mlx containerize` as typed (strings; undefined when not given). */
export interface ContainerizeFlags extends ImageFlags {
  gpu?: boolean;
  grafana?: boolean;
  threads?: string;
  maxBatchSize?: string;
  maxBatchDelayMs?: string;
  maxBodyMb?: string;
  maxQueue?: string;
  maxRows?: string;
  instances?: string;
  maxImagePixels?: string;
  maxImages?: string;
  labels?: string;
  preprocess?: string;
  /** --tracking-server mode (src/deploy/server-options.ts). */
  trackingServer?: boolean;
  secretName?: string;
  artifactsStorage?: string;
  storageClass?: string;
}

/** Checked image options, with defaults applied. */
export interface ImageOptions {
  port: number;
  /** Given by --tag, else derived once the image's content is known. */
  tag?: string;
  nodeVersion: string;
  k8s: boolean;
  replicas: number;
  maxReplicas: number;
  cpu: CpuQuantity;
  memory: MemoryQuantity;
  /** HPA target, % of the CPU request. */
  cpuTarget: number;
  namespace?: string;
}

/** Checked options of a model's build context, with defaults applied. */
export interface ContextOptions extends ImageOptions {
  gpu: boolean;
  grafana: boolean;
  /** onnxruntime threads per instance: --threads, else the CPU budget shared out between instances, rounded up (onnxruntime would otherwise start one per host core). */
  threads: number;
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  maxBodyMb?: number;
  maxQueue?: number;
  /** mlx serve --max-rows: the most rows one request may hold. */
  maxRows?: number;
  /** mlx serve --instances: sessions side by side, each with `threads` threads. */
  instances?: number;
  /** mlx serve --max-image-pixels and --max-images: what one upload may cost the pod's memory. */
  maxImagePixels?: number;
  maxImages?: number;
}

export const DEFAULTS = { port: '8000', nodeVersion: '20', replicas: '2', cpu: '1', memory: '1Gi', cpuTarget: 70 } as const;

/** `mlx serve`'s own defaults, written into the Kubernetes ConfigMap (a test keeps them equal to serve's). */
export const SERVE_DEFAULTS = { maxBatchDelayMs: 2, maxBodyMb: 20, maxQueue: 1000, instances: 1, maxImagePixels: 40_000_000, maxImages: 64, maxRows: DEFAULT_MAX_ROWS } as const;

export const usage = (message: string) => new MlxError('USAGE', message);

/** Throws a usage error for the first flag given that does not apply, saying why. */
export function refuseFlags(given: [flag: string, value: unknown][], why: string): void {
  for (const [flag, v] of given) if (v !== undefined && v !== false) throw usage(`${flag} ${why}`);
}

/**
 * Checks the flags shared by every build context (nothing is read or written yet) and applies
 * the defaults; k8sOnly lists the flags that need --k8s.
 */
export function parseImageFlags(
  f: ImageFlags,
  defaults: { port: string; cpu: string; memory: string },
  k8sOnly: [flag: string, value: unknown][],
): ImageOptions {
  if (f.build && f.dryRun) throw usage('--build and --dry-run exclude each other: a dry run writes nothing to build');
  if (!f.k8s) refuseFlags(k8sOnly, 'applies to the Kubernetes manifests: add --k8s');
  const port = intFlag('--port', f.port ?? defaults.port, 1, 65535);
  if (f.tag !== undefined) validateImageTag(f.tag);
  const nodeVersion = f.nodeVersion ?? DEFAULTS.nodeVersion;
  validateNodeVersion(nodeVersion);
  const replicas = intFlag('--replicas', f.replicas ?? DEFAULTS.replicas, 1, 1000);
  const maxReplicas = intFlag('--max-replicas', f.maxReplicas ?? String(Math.max(10, replicas)), 1, 1000);
  if (maxReplicas < replicas) throw new MlxError('INVALID_PARAMETER_VALUE', `--max-replicas ${maxReplicas} is below --replicas ${replicas}`);
  if (f.namespace !== undefined) validateNamespace(f.namespace);
  return {
    port,
    tag: f.tag,
    nodeVersion,
    k8s: !!f.k8s,
    replicas,
    maxReplicas,
    cpu: parseCpu(f.cpu ?? defaults.cpu),
    memory: parseMemory(f.memory ?? defaults.memory),
    cpuTarget: DEFAULTS.cpuTarget,
    namespace: f.namespace,
  };
}

/** Checks every flag of a model's build context and applies the defaults. */
export function parseContainerizeFlags(f: ContainerizeFlags): ContextOptions {
  refuseFlags(
    [['--secret-name', f.secretName], ['--artifacts-storage', f.artifactsStorage], ['--storage-class', f.storageClass]],
    'applies to the tracking server\'s manifests: add --tracking-server (without a MODEL_URI)',
  );
  const o = parseImageFlags(f, DEFAULTS, [['--replicas', f.replicas], ['--max-replicas', f.maxReplicas], ['--namespace', f.namespace]]);
  const instances = f.instances !== undefined ? intFlag('--instances', f.instances, 1, 64) : undefined;
  return {
    ...o,
    gpu: !!f.gpu,
    grafana: !!f.grafana,
    threads: f.threads !== undefined ? intFlag('--threads', f.threads, 1, 1024) : Math.max(1, Math.ceil(o.cpu.millis / 1000 / (instances ?? 1))),
    instances,
    maxBatchSize: f.maxBatchSize !== undefined ? intFlag('--max-batch-size', f.maxBatchSize, 1, 65536) : undefined,
    maxBatchDelayMs: f.maxBatchDelayMs !== undefined ? numberFlag('--max-batch-delay-ms', f.maxBatchDelayMs, 0, 10_000) : undefined,
    maxBodyMb: f.maxBodyMb !== undefined ? numberFlag('--max-body-mb', f.maxBodyMb, 0.001, 4096) : undefined,
    maxQueue: f.maxQueue !== undefined ? intFlag('--max-queue', f.maxQueue, 0, 1_000_000) : undefined,
    maxImagePixels: f.maxImagePixels !== undefined ? intFlag('--max-image-pixels', f.maxImagePixels, 1, 1_000_000_000) : undefined,
    maxImages: f.maxImages !== undefined ? intFlag('--max-images', f.maxImages, 1, 65_536) : undefined,
    maxRows: f.maxRows !== undefined ? intFlag('--max-rows', f.maxRows, 1, MAX_ROWS_CEILING) : undefined,
  };
}

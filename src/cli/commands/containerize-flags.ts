// The flags of `mlx containerize`, checked before anything is read or written, into deploy's typed
// options. Deploy checks values in its own terms (parseCpu: "\"abc\" must be a CPU quantity…"); the
// flag is named here.
import type { ContextOptions, ImageOptions } from '../../deploy/options.js';
import { DEFAULTS } from '../../deploy/options.js';
import { SERVER_DEFAULTS, type ServerOptions } from '../../deploy/server-options.js';
import { parseByteQuantity, parseCpu, parseMemory, validateImageTag, validateK8sName, validateNamespace, validateNodeVersion } from '../../deploy/validate.js';
import { asUsage, flagValue, intFlag, refuseFlags, usage } from '../flags.js';
import { parseServeSettings, serveCommandLine } from '../serve-settings.js';

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
  /** --tracking-server mode. */
  trackingServer?: boolean;
  secretName?: string;
  artifactsStorage?: string;
  storageClass?: string;
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
  const port = intFlag('--port', f.port ?? defaults.port, { min: 1, max: 65535 });
  if (f.tag !== undefined) asUsage(() => validateImageTag(f.tag!));
  const nodeVersion = f.nodeVersion ?? DEFAULTS.nodeVersion;
  flagValue('--node-version', () => validateNodeVersion(nodeVersion));
  const replicas = intFlag('--replicas', f.replicas ?? DEFAULTS.replicas, { min: 1, max: 1000 });
  const maxReplicas = intFlag('--max-replicas', f.maxReplicas ?? String(Math.max(10, replicas)), { min: 1, max: 1000 });
  if (maxReplicas < replicas) throw usage(`--max-replicas ${maxReplicas} is below --replicas ${replicas}`);
  if (f.namespace !== undefined) flagValue('--namespace', () => validateNamespace(f.namespace!));
  return {
    port,
    tag: f.tag,
    nodeVersion,
    k8s: !!f.k8s,
    replicas,
    maxReplicas,
    cpu: flagValue('--cpu', () => parseCpu(f.cpu ?? defaults.cpu)),
    memory: flagValue('--memory', () => parseMemory(f.memory ?? defaults.memory)),
    cpuTarget: DEFAULTS.cpuTarget,
    namespace: f.namespace,
  };
}

/** Checks every flag of a model's build context and applies the defaults. */
export function parseContainerizeFlags(f: ContainerizeFlags): ContextOptions {
  refuseFlags(
    [
      ['--secret-name', f.secretName],
      ['--artifacts-storage', f.artifactsStorage],
      ['--storage-class', f.storageClass],
    ],
    "applies to the tracking server's manifests: add --tracking-server (without a MODEL_URI)",
  );
  const o = parseImageFlags(f, DEFAULTS, [
    ['--replicas', f.replicas],
    ['--max-replicas', f.maxReplicas],
    ['--namespace', f.namespace],
  ]);
  const settings = parseServeSettings(f);
  return {
    ...o,
    ...settings,
    gpu: !!f.gpu,
    grafana: !!f.grafana,
    threads: settings.threads ?? Math.max(1, Math.ceil(o.cpu.millis / 1000 / (settings.instances ?? 1))),
    serveCommand: serveCommandLine,
  };
}

/**
 * Checks the flags of `mlx containerize --tracking-server` and applies the defaults. --replicas
 * sets the compose file's replicas as well as the Deployment's; the rest of the sizing needs --k8s.
 */
export function parseServerFlags(f: ContainerizeFlags): ServerOptions {
  refuseFlags(
    [
      ['--gpu', f.gpu],
      ['--grafana', f.grafana],
      ['--threads', f.threads],
      ['--max-batch-size', f.maxBatchSize],
      ['--max-batch-delay-ms', f.maxBatchDelayMs],
      ['--max-body-mb', f.maxBodyMb],
      ['--max-queue', f.maxQueue],
      ['--max-rows', f.maxRows],
      ['--instances', f.instances],
      ['--max-image-pixels', f.maxImagePixels],
      ['--max-images', f.maxImages],
      ['--labels', f.labels],
      ['--preprocess', f.preprocess],
    ],
    "applies to a model's image, not to --tracking-server",
  );
  const o = parseImageFlags(f, SERVER_DEFAULTS, [
    ['--max-replicas', f.maxReplicas],
    ['--namespace', f.namespace],
    ['--secret-name', f.secretName],
    ['--artifacts-storage', f.artifactsStorage],
    ['--storage-class', f.storageClass],
  ]);
  const secretName = f.secretName ?? SERVER_DEFAULTS.secretName;
  flagValue('--secret-name', () => validateK8sName(secretName, 'Secret name', true));
  if (f.storageClass !== undefined) flagValue('--storage-class', () => validateK8sName(f.storageClass!, 'StorageClass name', true));
  return {
    ...o,
    secretName,
    artifactsStorage: flagValue('--artifacts-storage', () =>
      parseByteQuantity(f.artifactsStorage ?? SERVER_DEFAULTS.artifactsStorage, 'storage', '20Gi or 1Ti'),
    ),
    storageClass: f.storageClass,
  };
}

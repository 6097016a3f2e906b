import { parseImageFlags, refuseFlags, type ContainerizeFlags, type ImageOptions } from './options.js';
import { parseByteQuantity, validateK8sName, type MemoryQuantity } from './validate.js';

/** Checked options of the tracking server's build context (`mlx containerize --tracking-server`). */
export interface ServerOptions extends ImageOptions {
  /** The Secret holding MLX_TRACKING_URI and MLX_SERVER_TOKEN, created beforehand with kubectl. */
  secretName: string;
  /** Size of the ReadWriteMany claim every replica mounts at ARTIFACTS_DIR. */
  artifactsStorage: MemoryQuantity;
  storageClass?: string;
}

/** Where the image keeps artifacts: the shared volume of every replica (`mlx server --artifacts-destination`). */
export const ARTIFACTS_DIR = '/var/lib/mlx/artifacts';

/** A tracking server is light next to a model server: half a CPU and 512Mi by default. */
export const SERVER_DEFAULTS = { port: '5000', cpu: '500m', memory: '512Mi', secretName: 'mlx-tracking-server', artifactsStorage: '20Gi' } as const;

/**
 * Checks the flags of `mlx containerize --tracking-server` and applies the defaults. --replicas
 * sets the compose file's replicas as well as the Deployment's; the rest of the sizing needs --k8s.
 */
export function parseServerFlags(f: ContainerizeFlags): ServerOptions {
  refuseFlags(
    [
      ['--gpu', f.gpu], ['--grafana', f.grafana], ['--threads', f.threads], ['--max-batch-size', f.maxBatchSize],
      ['--max-batch-delay-ms', f.maxBatchDelayMs], ['--max-body-mb', f.maxBodyMb], ['--max-queue', f.maxQueue], ['--max-rows', f.maxRows], ['--instances', f.instances],
      ['--max-image-pixels', f.maxImagePixels], ['--max-images', f.maxImages], ['--labels', f.labels], ['--preprocess', f.preprocess],
    ],
    'applies to a model\'s image, not to --tracking-server',
  );
  const o = parseImageFlags(f, SERVER_DEFAULTS, [
    ['--max-replicas', f.maxReplicas], ['--namespace', f.namespace], ['--secret-name', f.secretName],
    ['--artifacts-storage', f.artifactsStorage], ['--storage-class', f.storageClass],
  ]);
  const secretName = f.secretName ?? SERVER_DEFAULTS.secretName;
  validateK8sName('--secret-name', secretName, 'Secret name', true);
  if (f.storageClass !== undefined) validateK8sName('--storage-class', f.storageClass, 'StorageClass name', true);
  return {
    ...o,
    secretName,
    artifactsStorage: parseByteQuantity('--artifacts-storage', f.artifactsStorage ?? SERVER_DEFAULTS.artifactsStorage, 'storage', '20Gi or 1Ti'),
    storageClass: f.storageClass,
  };
}

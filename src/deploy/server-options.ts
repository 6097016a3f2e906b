import type { ImageOptions } from './options.js';
import type { MemoryQuantity } from './validate.js';

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

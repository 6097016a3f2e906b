/**
 * The default batch size: 32 rows, but 4 images. On CPU a batch of 8 ResNet-sized images is no
 * faster per image than two batches of 4, and a request that arrives just after a big batch
 * started waits for all of it (bench/RESULTS.md: about 15% off image p99 at the same throughput).
 */
export const DEFAULT_MAX_BATCH = { rows: 32, images: 4 } as const;

/**
 * The default batch size on a GPU: 256 rows, 32 images. A GPU runs a batch in about the time of
 * one row until its cores are full, and each run pays a fixed launch and copy cost, so larger
 * batches raise throughput where they only add waiting on a CPU. 32 images of 224×224 (19 MB of
 * float32) fill the cores of a T4-class GPU on ResNet-50 in NVIDIA's and Triton's published
 * throughput tables, and 256 rows keep a small tabular model's runs from being all launch cost.
 * Chosen from those tables, not measured here (no GPU on the machines mlx is tested on).
 */
export const GPU_MAX_BATCH = { rows: 256, images: 32 } as const;

/** The batch size a model gets when none is set: larger on a GPU (device cuda:N). */
export function defaultMaxBatchSize(model: { spec: { kind: string } | null; device?: string }): number {
  const sizes = model.device?.startsWith('cuda') ? GPU_MAX_BATCH : DEFAULT_MAX_BATCH;
  return model.spec?.kind === 'image' ? sizes.images : sizes.rows;
}

/**
 * The most rows one request to `mlx serve` may hold, by default. Sized by bench/serve-memory.mjs
 * so that a request at the limit stays within about 256 MB of memory on its worst path (JSON rows with
 * logging); see bench/RESULTS.md.
 */
export const DEFAULT_MAX_ROWS = 100_000;

/** The highest row limit taken: past this, a request's rows alone would take gigabytes. */
export const MAX_ROWS_CEILING = 100_000_000;

/**
 * Decoded pixels one image may have (by default). Pillow warns at 89 Mpx; 40 Mpx holds
 * any camera photo short of the 48 Mpx modes (which bin to 12 Mpx by default), and decodes to at
 * most 160 MB (4 bytes per pixel), so two at once fit a 1 GiB pod beside the model.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;

/** Images one /predict request may upload: 16 batches at the image models' default batch size of 4. */
export const DEFAULT_MAX_IMAGES = 64;

/**
 * How a model server is tuned, with `mlx serve`'s defaults: the one definition the command, its
 * help and the images `mlx containerize` writes (their command and Kubernetes ConfigMap) all use,
 * so a containerized model is served exactly as `mlx serve` would serve it.
 */
export interface ServeSettings {
  /** onnxruntime threads per instance (unset: the cores shared out between instances). */
  threads?: number;
  /** Rows (images) per inference (unset: defaultMaxBatchSize of the model). */
  maxBatchSize?: number;
  maxBatchDelayMs: number;
  maxBodyMb: number;
  /** Requests waiting for inference per model before new ones are answered 503 (0: no limit). */
  maxQueue: number;
  instances: number;
  maxImagePixels: number;
  maxImages: number;
  maxRows: number;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  maxBatchDelayMs: 2,
  maxBodyMb: 20,
  maxQueue: 1000,
  instances: 1,
  maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
  maxImages: DEFAULT_MAX_IMAGES,
  maxRows: DEFAULT_MAX_ROWS,
  /** Seconds between alias checks. */
  watchIntervalS: 5,
  /** Share of requests logged with inference logging on. */
  sampleRate: 1,
  /** Logged rows kept per model. */
  logMaxRows: 1_000_000,
} as const;

/** The settings a refusal tells the operator to raise. */
export type LimitName = 'maxBodyMb' | 'maxRows' | 'maxImages' | 'maxImagePixels' | 'maxQueue';

/**
 * How refusals name the settings to raise: `mlx serve` gives its flags ("--max-rows"), so a 413 says
 * which flag to change; anything else embedding the server gets plain words.
 */
export type LimitNames = Record<LimitName, string>;

export const LIMIT_WORDS: LimitNames = {
  maxBodyMb: 'the body size limit',
  maxRows: 'the row limit',
  maxImages: 'the image count limit',
  maxImagePixels: 'the pixel limit',
  maxQueue: 'the queue limit',
};

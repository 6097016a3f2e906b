/**
 * Default --max-batch-size: 32 rows, but 4 images. On CPU a batch of 8 ResNet-sized images is no
 * faster per image than two batches of 4, and a request that arrives just after a big batch
 * started waits for all of it (bench/RESULTS.md: about 15% off image p99 at the same throughput).
 */
export const DEFAULT_MAX_BATCH = { rows: 32, images: 4 } as const;

/** The batch size a model gets when --max-batch-size is not given. */
export function defaultMaxBatchSize(model: { spec: { kind: string } | null }): number {
  return model.spec?.kind === 'image' ? DEFAULT_MAX_BATCH.images : DEFAULT_MAX_BATCH.rows;
}

/**
 * Default --max-rows: the most rows one request to `mlx serve` may hold. Sized by bench/serve-memory.mjs
 * so that a request at the limit stays within about 256 MB of memory on its worst path (JSON rows with
 * --log-inputs); see bench/RESULTS.md.
 */
export const DEFAULT_MAX_ROWS = 100_000;

/** The highest --max-rows taken: past this, a request's rows alone would take gigabytes. */
export const MAX_ROWS_CEILING = 100_000_000;

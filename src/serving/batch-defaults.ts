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

import { MlxError } from '../core/errors.js';
import type { TrackingStore } from '../store/store.js';

/** No run was named and none is active (no MLX_RUN_ID): the CLI says how to name one. */
export class NoActiveRun extends MlxError {
  constructor() {
    super('INVALID_PARAMETER_VALUE', 'no active run: set MLX_RUN_ID, or start one with `mlx run -- CMD` or `mlx runs start`');
  }
}

/** The run a logging call writes to: the given id (or a unique prefix), else MLX_RUN_ID (set by `mlx run` for its command). */
export async function resolveActiveRun(store: TrackingStore, given: string | undefined): Promise<string> {
  const id = given ?? process.env.MLX_RUN_ID;
  if (!id) throw new NoActiveRun();
  return store.resolveRunId(id);
}

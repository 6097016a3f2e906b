import type { TrackingStore } from '../store/store.js';
import type { Experiment } from '../core/entities.js';
import { MlxError, notFound } from '../core/errors.js';

/** An experiment by name or id; with create, a missing name is created (as mlflow.set_experiment does). */
export async function findExperiment(store: TrackingStore, idOrName: string, opts: { create?: boolean } = {}): Promise<Experiment> {
  const byName = await store.getExperimentByName(idOrName);
  if (byName) return byName;
  if (/^\d+$/.test(idOrName)) {
    try {
      return await store.getExperiment(idOrName);
    } catch (err) {
      if (!(err instanceof MlxError) || err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
    }
  }
  if (opts.create) return store.getExperiment(await store.createExperiment(idOrName));
  throw notFound(`experiment ${JSON.stringify(idOrName)} does not exist; list them with: mlx experiments list`);
}

/** The experiment a command works in when given none: MLX_EXPERIMENT (set by `mlx run` for its command), else Default (id 0). */
export function experimentArg(given: string | undefined): string {
  return given ?? process.env.MLX_EXPERIMENT ?? '0';
}

/** Experiment ids from names or ids (each may be a comma-separated list); none given: every active experiment. */
export async function experimentIds(store: TrackingStore, given: string[] | undefined): Promise<string[]> {
  if (!given || given.length === 0) return (await store.listExperiments('active')).map((e) => e.experiment_id);
  const ids: string[] = [];
  for (const g of given
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean))
    ids.push((await findExperiment(store, g)).experiment_id);
  return ids;
}

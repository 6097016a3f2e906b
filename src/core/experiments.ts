import type { Store } from '../store/store.js';
import type { Experiment } from './entities.js';
import { MlxError, notFound } from './errors.js';

/** An experiment by name or id; with create, a missing name is created (as mlflow.set_experiment does). */
export async function findExperiment(store: Store, idOrName: string, opts: { create?: boolean } = {}): Promise<Experiment> {
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

import path from 'node:path';
import type { TrackingStore } from '../store/store.js';
import type { DatasetInput } from '../core/entities.js';
import { invalid } from '../core/errors.js';
import { profileDataset } from '../data/dataset-profile.js';

/** Profiles a dataset file and records it as an input of the run, as MLflow's log_input does. */
export async function logDataset(
  store: TrackingStore,
  runId: string,
  file: string,
  opts: { name?: string; context?: string },
): Promise<DatasetInput & { run_id: string }> {
  const name = opts.name ?? path.basename(file);
  if (name.trim() === '' || name.length > 500) throw invalid(`dataset name ${JSON.stringify(name)} must be 1 to 500 characters`);
  if (opts.context !== undefined && !/^[\w.-]{1,64}$/.test(opts.context))
    throw invalid(`dataset context ${JSON.stringify(opts.context)} must be one word such as training, validation or testing`);
  const p = await profileDataset(file);
  const input: DatasetInput = {
    name,
    digest: p.digest,
    source_type: 'local',
    source: path.resolve(file),
    schema: p.columns ? JSON.stringify({ columns: p.columns }) : null,
    profile: JSON.stringify({ size: p.size, format: p.format, ...(p.num_rows !== undefined ? { num_rows: p.num_rows } : {}) }),
    context: opts.context ?? null,
  };
  await store.logInputs(runId, [input]);
  return { run_id: runId, ...input };
}

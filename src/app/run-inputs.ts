import type { DatasetInput } from '../core/entities.js';
import { isDigest } from '../data/objects/digest.js';
import type { DataSnapshot } from '../data/snapshot.js';
import type { TrackingStore } from '../store/store.js';

/** The context of inputs `mlx run --input` and pipeline stages record (MLflow's mlflow.data.context tag). */
export const INPUT_CONTEXT = 'input';

/**
 * A snapshot as a dataset input in MLflow's log_input shape: name = the path in the project,
 * digest = the sha256 of the file or folder manifest, source = the absolute path, schema = the
 * columns, profile = size, file count, kind and (for tables) rows, plus `mlx_path` and `kind` so
 * `mlx runs reproduce` can restore it from the cache.
 */
export function datasetInputOf(s: DataSnapshot): DatasetInput {
  const profile = { size: s.size, files: s.files, kind: s.kind, mlx_path: s.path, ...(s.rows !== undefined ? { num_rows: s.rows, format: s.format } : {}) };
  return {
    name: s.path,
    digest: s.digest,
    source_type: 'local',
    source: s.abs,
    schema: s.columns ? JSON.stringify({ columns: s.columns }) : null,
    profile: JSON.stringify(profile),
    context: INPUT_CONTEXT,
  };
}

/** Records snapshots as the run's inputs. */
export async function logRunInputs(store: TrackingStore, runId: string, snapshots: DataSnapshot[]): Promise<void> {
  if (snapshots.length) await store.logInputs(runId, snapshots.map(datasetInputOf));
}

/** A recorded input that mlx can restore: its path in the project, kind and digest. */
export interface RestorableInput {
  path: string;
  kind: 'file' | 'dir';
  digest: string;
  name: string;
}

/** The inputs of a run that came from `--input` or a pipeline stage (others, such as `mlx log dataset` files, are not in the cache). */
export function restorableInputs(inputs: DatasetInput[]): RestorableInput[] {
  const out: RestorableInput[] = [];
  for (const i of inputs) {
    let profile: any;
    try {
      profile = JSON.parse(i.profile ?? 'null');
    } catch {
      continue;
    }
    if (!profile || typeof profile.mlx_path !== 'string' || (profile.kind !== 'file' && profile.kind !== 'dir') || !isDigest(i.digest)) continue;
    out.push({ path: profile.mlx_path, kind: profile.kind, digest: i.digest, name: i.name });
  }
  return out;
}

import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  Metric,
  ModelSignature,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
  ViewType,
} from '../../core/entities.js';
import { MODEL_STAGES } from '../../core/entities.js';

/** MLflow's JSON shapes (service.proto, model_registry.proto) ↔ core/entities. Servers omit empty fields: every list may be absent. */

type Json = Record<string, any>;
type KeyValue = { key?: string; value?: string };

/** `[{key, value}]` → record. */
export function tagRecord(list: KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (typeof t?.key === 'string') out[t.key] = t.value ?? '';
  return out;
}

/** record → `[{key, value}]`. */
export function tagList(tags: Record<string, string> | undefined): { key: string; value: string }[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

/** int64 fields may arrive as numbers or (from some servers) as strings. */
const int = (v: unknown, fallback = 0): number => (v === undefined || v === null || v === '' ? fallback : Number(v));

/** A metric value: a number, or "NaN" / "Infinity" / "-Infinity" as MLflow writes them. */
export function metricValueOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'nan') return NaN;
  if (v === 'Infinity' || v === 'inf') return Infinity;
  if (v === '-Infinity' || v === '-inf') return -Infinity;
  return Number(v);
}

export const VIEW_TYPES: Record<ViewType, string> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };

export function experimentOf(e: Json): Experiment {
  return {
    experiment_id: String(e.experiment_id),
    name: e.name ?? '',
    artifact_location: e.artifact_location ?? '',
    lifecycle_stage: (e.lifecycle_stage ?? 'active') as LifecycleStage,
    creation_time: int(e.creation_time),
    last_update_time: int(e.last_update_time, int(e.creation_time)),
    tags: tagRecord(e.tags),
  };
}

export function runInfoOf(i: Json, tags: Record<string, string> = {}): RunInfo {
  return {
    run_id: i.run_id ?? i.run_uuid,
    run_name: i.run_name ?? tags['mlflow.runName'] ?? '',
    experiment_id: String(i.experiment_id),
    user_id: i.user_id ?? tags['mlflow.user'] ?? '',
    status: (i.status ?? 'RUNNING') as RunStatus,
    start_time: int(i.start_time),
    end_time: i.end_time === undefined || i.end_time === null ? null : int(i.end_time),
    artifact_uri: i.artifact_uri ?? '',
    lifecycle_stage: (i.lifecycle_stage ?? 'active') as LifecycleStage,
  };
}

export function metricOf(m: Json): Metric {
  return { key: m.key, value: metricValueOf(m.value), timestamp: int(m.timestamp), step: int(m.step) };
}

export function runOf(r: Json): Run {
  const data = r.data ?? {};
  const tags = tagRecord(data.tags);
  const metrics: Record<string, number> = {};
  const steps: Record<string, { step: number; timestamp: number }> = {};
  for (const m of (data.metrics ?? []) as Json[]) {
    const metric = metricOf(m);
    metrics[metric.key] = metric.value;
    steps[metric.key] = { step: metric.step, timestamp: metric.timestamp };
  }
  const inputs: DatasetInput[] = ((r.inputs?.dataset_inputs ?? []) as Json[]).map((d) => ({
    name: d.dataset?.name ?? '',
    digest: d.dataset?.digest ?? '',
    source_type: d.dataset?.source_type ?? '',
    source: d.dataset?.source ?? '',
    schema: d.dataset?.schema ?? null,
    profile: d.dataset?.profile ?? null,
    context: tagRecord(d.tags)['mlflow.data.context'] ?? null,
  }));
  return {
    info: runInfoOf(r.info ?? {}, tags),
    params: tagRecord(data.params),
    metrics,
    metric_steps: steps,
    tags,
    inputs,
  };
}

export function datasetInputJson(d: DatasetInput) {
  return {
    tags: d.context ? [{ key: 'mlflow.data.context', value: d.context }] : [],
    dataset: {
      name: d.name,
      digest: d.digest,
      source_type: d.source_type,
      source: d.source,
      ...(d.schema ? { schema: d.schema } : {}),
      ...(d.profile ? { profile: d.profile } : {}),
    },
  };
}

/** mlx's model facts travel as computed tags on every version the mlx server returns; they are not user tags. */
export const MLX_FACT_TAGS = new Set([
  'mlx.sha256',
  'mlx.size',
  'mlx.ir_version',
  'mlx.producer',
  'mlx.opset',
  'mlx.signature',
  'mlx.labels',
  'mlx.preprocess',
]);

function parseJsonTag<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * A version as the server sent it. storage_location is empty: the bytes live on the server
 * (ask model-versions/get-download-uri). A server without mlx's fact tags (MLflow) gives an
 * empty sha256 and signature.
 */
export function modelVersionOf(v: Json): ModelVersion {
  const all = tagRecord(v.tags);
  const tags: Record<string, string> = {};
  for (const [k, val] of Object.entries(all)) if (!MLX_FACT_TAGS.has(k)) tags[k] = val;
  return {
    name: v.name,
    version: int(v.version),
    description: v.description ?? '',
    creation_time: int(v.creation_timestamp),
    last_updated_time: int(v.last_updated_timestamp, int(v.creation_timestamp)),
    user_id: v.user_id ?? '',
    source: v.source ?? '',
    run_id: v.run_id ? String(v.run_id) : null,
    status: 'READY',
    storage_location: '',
    sha256: all['mlx.sha256'] ?? '',
    size: int(all['mlx.size']),
    ir_version: int(all['mlx.ir_version']),
    opset: parseJsonTag(all['mlx.opset'], []),
    producer: all['mlx.producer'] ?? '',
    signature: parseJsonTag<ModelSignature>(all['mlx.signature'], { inputs: [], outputs: [] }),
    labels: parseJsonTag<string[] | null>(all['mlx.labels'], null),
    preprocess: all['mlx.preprocess'] ?? null,
    tags,
    aliases: [...((v.aliases ?? []) as string[])].sort(),
    current_stage: MODEL_STAGES.find((s) => s.toLowerCase() === String(v.current_stage ?? '').toLowerCase()) ?? 'None',
  };
}

export function registeredModelOf(m: Json): RegisteredModel {
  const latest = ((m.latest_versions ?? []) as Json[]).map((v) => int(v.version));
  const aliases: Record<string, number> = {};
  for (const a of (m.aliases ?? []) as { alias: string; version: string }[]) aliases[a.alias] = int(a.version);
  return {
    name: m.name,
    description: m.description ?? '',
    creation_time: int(m.creation_timestamp),
    last_updated_time: int(m.last_updated_timestamp, int(m.creation_timestamp)),
    latest_version: latest.length ? Math.max(...latest) : null,
    tags: tagRecord(m.tags),
    aliases: Object.fromEntries(Object.entries(aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

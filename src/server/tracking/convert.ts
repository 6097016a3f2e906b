import { jsonNumber, type Experiment, type ModelVersion, type RegisteredModel, type Run, type RunInfo } from '../../core/entities.js';

/** Entities in the JSON shapes of MLflow's service.proto / model_registry.proto. */

/** The request header by which a client asks for mlx's model facts among a version's tags. */
export const FACTS_HEADER = 'x-mlx-model-facts';

/**
 * An answer as MLflow's server writes it (protobuf's JSON of proto2 messages): repeated fields
 * with no element are left out, as are the optional strings MLflow leaves unset when empty.
 */
export function mlflowShape<T>(value: T): T {
  if (Array.isArray(value)) return value.map(mlflowShape) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length === 0) continue;
    if (v === '' && UNSET_WHEN_EMPTY.has(k)) continue;
    out[k] = mlflowShape(v);
  }
  return out as T;
}
const UNSET_WHEN_EMPTY = new Set(['description', 'next_page_token', 'run_link', 'run_id']);

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));

export function experimentJson(e: Experiment, artifactLocation: string) {
  return {
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: artifactLocation,
    lifecycle_stage: e.lifecycle_stage,
    creation_time: e.creation_time,
    last_update_time: e.last_update_time,
    tags: tagList(e.tags),
  };
}

export function runInfoJson(i: RunInfo, artifactUri: string) {
  return {
    run_id: i.run_id,
    run_uuid: i.run_id,
    run_name: i.run_name,
    experiment_id: i.experiment_id,
    user_id: i.user_id,
    status: i.status,
    start_time: i.start_time,
    ...(i.end_time !== null ? { end_time: i.end_time } : {}),
    artifact_uri: artifactUri,
    lifecycle_stage: i.lifecycle_stage,
  };
}

export function runJson(r: Run, artifactUri: string) {
  return {
    info: runInfoJson(r.info, artifactUri),
    data: {
      metrics: Object.entries(r.metrics).map(([key, value]) => ({
        key,
        value: jsonNumber(value),
        timestamp: r.metric_steps?.[key]?.timestamp ?? r.info.start_time,
        step: r.metric_steps?.[key]?.step ?? 0,
      })),
      params: Object.entries(r.params).map(([key, value]) => ({ key, value })),
      tags: tagList(r.tags),
    },
    inputs: {
      dataset_inputs: r.inputs.map((d) => ({
        tags: d.context ? [{ key: 'mlflow.data.context', value: d.context }] : [],
        dataset: {
          name: d.name,
          digest: d.digest,
          source_type: d.source_type,
          source: d.source,
          ...(d.schema ? { schema: d.schema } : {}),
          ...(d.profile ? { profile: d.profile } : {}),
        },
      })),
    },
  };
}

/** mlx's own model facts, carried as computed tags so any MLflow client can see them. */
export const MLX_VERSION_TAGS = ['mlx.sha256', 'mlx.size', 'mlx.ir_version', 'mlx.producer', 'mlx.opset', 'mlx.signature', 'mlx.labels', 'mlx.preprocess'];

/**
 * A version as model_registry.proto's ModelVersion. mlx's facts (sha256, signature, …) are added
 * to its tags only for a client that asks (FACTS_HEADER: mlx's own clients and UI), so other
 * clients comparing tags see their own; a version mlx cannot serve has none.
 */
export function modelVersionJson(v: ModelVersion, withFacts = false) {
  const facts: Record<string, string> =
    !withFacts || v.sha256 === ''
      ? {}
      : {
          'mlx.sha256': v.sha256,
          'mlx.size': String(v.size),
          'mlx.ir_version': String(v.ir_version),
          'mlx.producer': v.producer,
          'mlx.opset': JSON.stringify(v.opset),
          'mlx.signature': JSON.stringify(v.signature),
          ...(v.labels ? { 'mlx.labels': JSON.stringify(v.labels) } : {}),
          ...(v.preprocess ? { 'mlx.preprocess': v.preprocess } : {}),
        };
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creation_time,
    last_updated_timestamp: v.last_updated_time,
    user_id: v.user_id,
    current_stage: v.current_stage ?? 'None',
    ...(v.description ? { description: v.description } : {}),
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id } : {}),
    status: v.status,
    tags: [...tagList(v.tags), ...tagList(facts)],
    aliases: v.aliases,
  };
}

export function registeredModelJson(m: RegisteredModel, latest: ModelVersion[], withFacts = false) {
  return {
    name: m.name,
    creation_timestamp: m.creation_time,
    last_updated_timestamp: m.last_updated_time,
    ...(m.description ? { description: m.description } : {}),
    latest_versions: latest.map((v) => modelVersionJson(v, withFacts)),
    tags: tagList(m.tags),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

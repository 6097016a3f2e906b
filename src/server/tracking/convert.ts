import { jsonNumber, type Experiment, type ModelVersion, type RegisteredModel, type Run, type RunInfo } from '../../core/entities.js';

/** Entities in the JSON shapes of MLflow's service.proto / model_registry.proto. */

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

export function modelVersionJson(v: ModelVersion) {
  const facts: Record<string, string> = {
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
    current_stage: 'None',
    description: v.description,
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id } : {}),
    status: v.status,
    tags: [...tagList(v.tags), ...tagList(facts)],
    aliases: v.aliases,
  };
}

export function registeredModelJson(m: RegisteredModel, latest: ModelVersion | null) {
  return {
    name: m.name,
    creation_timestamp: m.creation_time,
    last_updated_timestamp: m.last_updated_time,
    description: m.description,
    latest_versions: latest ? [modelVersionJson(latest)] : [],
    tags: tagList(m.tags),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

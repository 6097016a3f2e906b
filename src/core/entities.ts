/** Plain data types shared by the store, the CLI and (later) the server. Times are epoch milliseconds. */

export type LifecycleStage = 'active' | 'deleted';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
export type ViewType = 'active' | 'deleted' | 'all';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: Record<string, string>;
}

export interface Metric {
  key: string;
  /** NaN and ±Infinity are kept as such. */
  value: number;
  timestamp: number;
  step: number;
}

export interface Param {
  key: string;
  value: string;
}

export interface Tag {
  key: string;
  value: string;
}

export interface RunInfo {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface DatasetInput {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  /** JSON text: {"columns":[{"name","type"}...]} for tabular files. */
  schema: string | null;
  /** JSON text: {"size":bytes,"num_rows":n}. */
  profile: string | null;
  context: string | null;
}

export interface Run {
  info: RunInfo;
  params: Record<string, string>;
  /** Latest value per key (highest step, then latest timestamp). */
  metrics: Record<string, number>;
  /** Step and timestamp of each latest value, where the store knows them (the REST API reports them). */
  metric_steps?: Record<string, { step: number; timestamp: number }>;
  tags: Record<string, string>;
  inputs: DatasetInput[];
}

/** One line of `mlx log batch`. */
export type BatchEntry =
  | { type: 'metric'; key: string; value: number; step: number; timestamp: number }
  | { type: 'param'; key: string; value: string }
  | { type: 'tag'; key: string; value: string };

export interface BatchCounts {
  metrics: number;
  params: number;
  tags: number;
}

/** Run as flat JSON, the shape documented for `--json`. */
export interface RunJson extends RunInfo {
  params: Record<string, string>;
  metrics: Record<string, number | string>;
  tags: Record<string, string>;
  inputs?: DatasetInput[];
}

/** JSON cannot carry NaN or Infinity: they travel as the strings "NaN", "Infinity", "-Infinity", as MLflow does. */
export function jsonNumber(v: number): number | string {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

export function runToJson(run: Run): RunJson {
  const metrics: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(run.metrics)) metrics[k] = jsonNumber(v);
  return { ...run.info, params: run.params, metrics, tags: run.tags, inputs: run.inputs };
}

/** Tag keys mlx sets, named as MLflow's so its UI and clients understand them. */
export const SYSTEM_TAGS = {
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  parentRunId: 'mlflow.parentRunId',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  gitBranch: 'mlflow.source.git.branch',
  gitRepoUrl: 'mlflow.source.git.repoURL',
  gitDirty: 'mlx.source.git.dirty',
  command: 'mlx.command',
  host: 'mlx.host',
  exitCode: 'mlx.exit_code',
} as const;

/**
 * The model version tag that marks a version mlx cannot serve (registered from a source that
 * holds no ONNX model, as MLflow registers any source); its value says what it is and what to do.
 */
export const NOT_SERVABLE_TAG = 'mlx.not_servable';

/** One input or output of a model: ONNX element type and shape, -1 for a dynamic dimension. */
export interface TensorSpec {
  name: string;
  type: string;
  shape: number[];
  dimNames?: (string | null)[];
}

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface RegisteredModel {
  name: string;
  description: string;
  creation_time: number;
  last_updated_time: number;
  latest_version: number | null;
  tags: Record<string, string>;
  /** alias → version */
  aliases: Record<string, number>;
}

export interface ModelVersion {
  name: string;
  version: number;
  description: string;
  creation_time: number;
  last_updated_time: number;
  user_id: string;
  /** What was registered: a file path or runs:/ URI, as given. */
  source: string;
  run_id: string | null;
  status: 'READY';
  /** Absolute path of the content-addressed model file; empty for a remote store (the bytes are on its server: see models/model-files.ts). */
  storage_location: string;
  sha256: string;
  size: number;
  ir_version: number;
  opset: { domain: string; version: number }[];
  producer: string;
  signature: ModelSignature;
  labels: string[] | null;
  /** Preprocessing spec text, e.g. "image:224x224,rgb,scale=1/255,layout=nchw" or "tabular". */
  preprocess: string | null;
  tags: Record<string, string>;
  aliases: string[];
  /** MLflow's stage (deprecated for aliases, still served): None, Staging, Production or Archived. */
  current_stage: ModelStage;
}

export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived';
export const MODEL_STAGES: readonly ModelStage[] = ['None', 'Staging', 'Production', 'Archived'];

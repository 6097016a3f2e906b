import type {
  ModelStage,
  ModelSignature,
  ModelVersion,
  RegisteredModel,
  BatchCounts,
  BatchEntry,
  DatasetInput,
  Experiment,
  Metric,
  Run,
  RunInfo,
  RunStatus,
  ViewType,
} from '../core/entities.js';
import type { InferenceLog } from '../inference-log/inference-log.js';
import type { RestClient } from './http-client.js';

export interface CreateRunInput {
  experimentId: string;
  runName?: string;
  userId: string;
  startTime?: number;
  tags?: Record<string, string>;
  params?: Record<string, string>;
  parentRunId?: string;
}

export interface UpdateRunInput {
  status?: RunStatus;
  endTime?: number | null;
  runName?: string;
}

export interface SearchRunsInput {
  experimentIds: string[];
  /** MLflow search grammar, plus OR and parentheses. */
  filter?: string;
  /** e.g. ["metrics.acc DESC", "attributes.start_time"]. */
  orderBy?: string[];
  maxResults?: number;
  viewType?: ViewType;
  pageToken?: string;
}

export interface SearchRunsResult {
  runs: Run[];
  nextPageToken?: string;
}

export interface CreateModelVersionInput {
  name: string;
  source: string;
  runId: string | null;
  userId: string;
  description?: string;
  /**
   * Store-relative or absolute location of the model bytes (content-addressed). For a remote
   * store, the URI its server reads the model from (mlflow-artifacts:/… or runs:/…): the server
   * recomputes sha256, size and signature from those bytes and refuses a sha256 mismatch.
   */
  storageLocation: string;
  sha256: string;
  size: number;
  irVersion: number;
  opset: { domain: string; version: number }[];
  producer: string;
  signature: ModelSignature;
  labels: string[] | null;
  preprocess: string | null;
  tags?: Record<string, string>;
  /** Set on the new version in the same transaction (moved if it exists). */
  alias?: string;
}

export interface LogDatasetInput extends Omit<DatasetInput, 'context'> {
  context: string | null;
}

/**
 * What every store has, whichever role it plays. Every implementation (SQLite, REST,
 * PostgreSQL) runs the shared contract suite in store.contract.ts.
 */
export interface StoreBase {
  /** Where this store lives, as a tracking URI a child process can be given. */
  readonly uri: string;
  /** True for the empty stand-in opened (without creating anything) for a store that does not exist yet. */
  readonly ephemeral: boolean;
  /**
   * The folder on this machine where the store keeps the files it owns (registered model bytes
   * under models/sha256/, model cards under models/cards/), and relative locations resolve
   * against: a SQLite store's own folder; for a PostgreSQL store, the folder it was opened with
   * (`mlx server` gives `<--artifacts-destination>/_mlx-registry`); null for a tracking server's
   * REST store, whose server keeps them.
   */
  readonly fileRoot: string | null;
  /**
   * The HTTP client of a store behind a tracking server (the REST store), so that artifact and
   * model transfers reuse its server and token; absent for stores this machine reads itself.
   */
  readonly http?: RestClient;
  /** What `mlx serve --log-inputs` logged here and the labels fed back (absent: the store keeps none; see inferenceLogOf). */
  inferenceLog?(): Promise<InferenceLog>;

  close(): Promise<void>;
}

/** Experiments, runs and what is logged to them (MLflow's tracking store). */
export interface TrackingStore extends StoreBase {
  /** artifactRoot: where the experiment's run folders go (default: the store's own artifacts folder), e.g. "mlflow-artifacts:". */
  createExperiment(name: string, tags?: Record<string, string>, artifactRoot?: string): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment | null>;
  listExperiments(viewType?: ViewType): Promise<Experiment[]>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;
  /**
   * Where an experiment's new runs keep their artifacts (runs logged already keep theirs). Only
   * stores whose Default experiment starts with a folder of their own have it (SQLite): a tracking
   * server with its own artifact destination moves it there (mlflow-artifacts:/0).
   */
  setExperimentArtifactLocation?(experimentId: string, artifactLocation: string): Promise<void>;

  createRun(input: CreateRunInput): Promise<RunInfo>;
  getRun(runId: string): Promise<Run>;
  /** Full id from a full id or a unique prefix of 6+ characters. */
  resolveRunId(idOrPrefix: string): Promise<string>;
  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;

  logParam(runId: string, key: string, value: string): Promise<void>;
  logMetric(runId: string, metric: Metric): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** All entries in one transaction: all of them are stored or none. */
  logBatch(runId: string, entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>): Promise<BatchCounts>;
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  logInputs(runId: string, datasets: LogDatasetInput[]): Promise<void>;

  searchRuns(input: SearchRunsInput): Promise<SearchRunsResult>;
  /**
   * How many runs a search would return, counted in the database without loading them (the SQL
   * stores). Optional: a store without it is counted by paging searchRuns (see countRunsOf).
   */
  countRuns?(input: CountRunsInput): Promise<number>;
  /**
   * Of the runs a search matches, how many carry tag `key` with each of `values` (e.g. the child
   * runs of each parent: key mlflow.parentRunId), in one grouped query. Optional, as countRuns.
   */
  countRunsByTag?(input: CountRunsInput, key: string, values: string[]): Promise<Record<string, number>>;
}

/** A run search's experiments, filter and view: what countRuns counts. */
export type CountRunsInput = Omit<SearchRunsInput, 'orderBy' | 'maxResults' | 'pageToken'>;

/** Registered models, their versions, tags and aliases (names as in MLflow's model_registry.proto). */
export interface RegistryStore extends StoreBase {
  createRegisteredModel(name: string, description?: string, tags?: Record<string, string>): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  listRegisteredModels(): Promise<RegisteredModel[]>;
  updateRegisteredModel(name: string, input: { description?: string }): Promise<RegisteredModel>;
  /** Renames a model with all its versions, tags and aliases. */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  /** Deletes the model and all its versions; returns the storage locations no version uses any more (none for a remote store: its server frees them). */
  deleteRegisteredModel(name: string): Promise<string[]>;
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  /** Creates version N+1 of the model (and the model on first use) in one transaction. */
  createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  getLatestModelVersion(name: string): Promise<ModelVersion>;
  searchModelVersions(filter: { name?: string; runId?: string }): Promise<ModelVersion[]>;
  updateModelVersion(name: string, version: number, input: { description?: string }): Promise<ModelVersion>;
  /** Deletes one version (and its aliases); returns its storage location if no other version uses it. */
  deleteModelVersion(name: string, version: number): Promise<string[]>;
  setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void>;
  deleteModelVersionTag(name: string, version: number, key: string): Promise<void>;
  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void>;
  /**
   * Moves a version to an MLflow stage; with archiveExisting, the model's other versions in that
   * stage (Staging or Production) move to Archived in the same transaction.
   */
  transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;

  // ---- only where a tracking server keeps the model files (the REST store) ----
  /** Where a version's bytes can be downloaded: an mlflow-artifacts:/ URI (model-versions/get-download-uri). */
  getModelVersionDownloadUri?(name: string, version: number): Promise<string>;
  /** Stores a version's model card on the server. */
  putModelCard?(name: string, version: number, markdown: string): Promise<void>;
  /** A version's data schema text kept on the server, or null when it has none. */
  getModelSchema?(name: string, version: number): Promise<string | null>;
  /** Stores a version's data schema (JSON text) on the server, which checks it first. */
  putModelSchema?(name: string, version: number, json: string): Promise<void>;
  /** Whether the server keeps data schemas with versions (mlx server does; MLflow's does not). */
  keepsModelSchemas?(): Promise<boolean>;
}

/** The arguments of a RegistryStore method, for stores that hand registry calls to the registry they hold. */
export type RegistryArgs<K extends keyof RegistryStore> = RegistryStore[K] extends ((...args: infer A) => unknown) | undefined ? A : never;

/** The whole store, as the CLI and the tracking server open it: tracking and registry on one backend. */
export type Store = TrackingStore & RegistryStore;

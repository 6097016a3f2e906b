import type {
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

export interface LogDatasetInput extends Omit<DatasetInput, 'context'> {
  context: string | null;
}

/**
 * The tracking and registry store. Every implementation (SQLite now; REST and
 * PostgreSQL later) runs the shared contract suite in store.contract.ts.
 */
export interface Store {
  /** Where this store lives, as a tracking URI a child process can be given. */
  readonly uri: string;

  createExperiment(name: string, tags?: Record<string, string>): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment | null>;
  listExperiments(viewType?: ViewType): Promise<Experiment[]>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;

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

  close(): Promise<void>;
}

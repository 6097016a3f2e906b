import type { BatchCounts, BatchEntry, Experiment, Metric, Run, RunInfo, ViewType } from '../../core/entities.js';
import { jsonNumber, SYSTEM_TAGS } from '../../core/entities.js';
import { invalid, MlxError, notFound } from '../../core/errors.js';
import {
  validateExperimentName,
  validateKey,
  validateParamValue,
  validateRunName,
  validateStep,
  validateTagValue,
  validateTimestamp,
} from '../../core/validation.js';
import type { CreateRunInput, LogDatasetInput, RegistryArgs, SearchRunsInput, SearchRunsResult, Store, UpdateRunInput } from '../store.js';
import { BATCH_LIMITS, batchRequests, collectBatch } from './batch.js';
import { RestClient } from '../http-client.js';
import { datasetInputJson, experimentOf, metricOf, runInfoOf, runOf, tagList, VIEW_TYPES } from './convert.js';
import { RestRegistry } from './rest-registry.js';
import { delegateRegistry, type RegistryMethods } from '../registry-delegation.js';

type Json = Record<string, any>;

const isNotFound = (err: unknown) => err instanceof MlxError && err.code === 'RESOURCE_DOES_NOT_EXIST';

/**
 * The Store over MLflow's REST API 2.0: talks to `mlx server` or to an MLflow tracking server.
 * Writes are validated here first (same limits and messages as the local store), so bad input
 * costs no request and reads the same locally and remotely.
 */
// The registry methods, handed to this.registry (delegateRegistry).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface RestStore extends RegistryMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class RestStore implements Store {
  readonly uri: string;
  readonly ephemeral = false;
  readonly fileRoot = null;
  /** The model registry, through the same client: the registry methods below hand their calls to it. */
  readonly registry: RestRegistry;
  private readonly client: RestClient;

  /** uri: the server's http(s) URL; the token defaults to MLX_TRACKING_TOKEN / MLFLOW_TRACKING_TOKEN. */
  constructor(uri: string, opts: { env?: NodeJS.ProcessEnv; token?: string } = {}) {
    this.client = new RestClient(uri, opts);
    this.registry = new RestRegistry(this.client);
    delegateRegistry(this, this.registry);
    this.uri = this.client.base;
  }

  /** The HTTP client, for artifact and model transfers to the same server. */
  get http(): RestClient {
    return this.client;
  }

  private mlflow<T = Json>(method: 'GET' | 'POST', endpoint: string, fields: Json = {}): Promise<T> {
    return this.client.call<T>(method, `mlflow/${endpoint}`, fields);
  }

  // ---- experiments -------------------------------------------------------

  async createExperiment(name: string, tags: Record<string, string> = {}, artifactRoot?: string): Promise<string> {
    validateExperimentName(name);
    for (const [k, v] of Object.entries(tags)) {
      validateKey('tag', k);
      validateTagValue(k, v);
    }
    const body = { name, tags: tagList(tags), ...(artifactRoot ? { artifact_location: artifactRoot } : {}) };
    return String((await this.mlflow('POST', 'experiments/create', body)).experiment_id);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return experimentOf((await this.mlflow('GET', 'experiments/get', { experiment_id: experimentId })).experiment);
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      return experimentOf((await this.mlflow('GET', 'experiments/get-by-name', { experiment_name: name })).experiment);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async listExperiments(viewType: ViewType = 'active'): Promise<Experiment[]> {
    const out: Experiment[] = [];
    let token: string | undefined;
    do {
      const res = await this.mlflow('POST', 'experiments/search', {
        view_type: VIEW_TYPES[viewType],
        max_results: 1000,
        ...(token ? { page_token: token } : {}),
      });
      out.push(...((res.experiments ?? []) as Json[]).map(experimentOf));
      token = res.next_page_token || undefined;
    } while (token);
    // The local store lists by id; servers list newest first.
    return out.sort((a, b) => Number(a.experiment_id) - Number(b.experiment_id) || (a.experiment_id < b.experiment_id ? -1 : 1));
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.mlflow('POST', 'experiments/update', { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.mlflow('POST', 'experiments/delete', { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.mlflow('POST', 'experiments/restore', { experiment_id: experimentId });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    await this.mlflow('POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key, value });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.mlflow('POST', 'experiments/delete-experiment-tag', { experiment_id: experimentId, key });
  }

  // ---- runs --------------------------------------------------------------

  /** runs/create, then the params in log-batch requests (MLflow's CreateRun has no params); a run whose params fail is deleted again. */
  async createRun(input: CreateRunInput): Promise<RunInfo> {
    const { newRunName } = await import('../../core/ids.js');
    const runName = input.runName ?? input.tags?.[SYSTEM_TAGS.runName] ?? newRunName();
    validateRunName(runName);
    const tags: Record<string, string> = { ...input.tags, [SYSTEM_TAGS.runName]: runName, [SYSTEM_TAGS.user]: input.userId };
    if (input.parentRunId) tags[SYSTEM_TAGS.parentRunId] = input.parentRunId;
    for (const [k, v] of Object.entries(tags)) {
      validateKey('tag', k);
      validateTagValue(k, v);
    }
    const params = Object.entries(input.params ?? {});
    for (const [k, v] of params) {
      validateKey('param', k);
      validateParamValue(k, v);
    }
    const startTime = input.startTime ?? Date.now();
    validateTimestamp(startTime);
    const res = await this.mlflow('POST', 'runs/create', {
      experiment_id: input.experimentId,
      user_id: input.userId,
      run_name: runName,
      start_time: startTime,
      tags: tagList(tags),
    });
    const info = runInfoOf(res.run.info, tags);
    try {
      for (let i = 0; i < params.length; i += BATCH_LIMITS.params)
        await this.mlflow('POST', 'runs/log-batch', {
          run_id: info.run_id,
          params: params.slice(i, i + BATCH_LIMITS.params).map(([key, value]) => ({ key, value })),
        });
    } catch (err) {
      await this.deleteRun(info.run_id).catch(() => undefined);
      throw err;
    }
    return info;
  }

  async getRun(runId: string): Promise<Run> {
    return runOf((await this.mlflow('GET', 'runs/get', { run_id: runId })).run);
  }

  /**
   * Full ids pass through unchecked (the next request checks them: one round trip saved on
   * `mlx log`); prefixes go to runs/get, which mlx server resolves and MLflow does not.
   */
  async resolveRunId(idOrPrefix: string): Promise<string> {
    const id = idOrPrefix.trim().toLowerCase();
    if (!/^[0-9a-f]{6,32}$/.test(id))
      throw invalid(`run id ${JSON.stringify(idOrPrefix)} is not a run id: give the 32-character id or a unique prefix of 6 or more`);
    if (id.length === 32) return id;
    try {
      const full = (await this.getRun(id)).info.run_id;
      if (full.startsWith(id)) return full;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (await this.isMlxServer()) throw err;
    }
    throw notFound(
      `no run id starts with ${JSON.stringify(idOrPrefix)} that the tracking server at ${this.uri} can find: it takes only full run ids; use the full run id with a remote store`,
    );
  }

  private mlxServer?: Promise<boolean>;

  /** Whether the server is mlx server (it answers mlx/server-info), asked once. */
  isMlxServer(): Promise<boolean> {
    return (this.mlxServer ??= this.client.call('GET', 'mlx/server-info').then(
      () => true,
      () => false,
    ));
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    if (input.runName !== undefined) validateRunName(input.runName);
    if (input.endTime != null) validateTimestamp(input.endTime);
    const res = await this.mlflow('POST', 'runs/update', {
      run_id: runId,
      ...(input.status ? { status: input.status } : {}),
      // MLflow cannot clear an end time: null is left out.
      ...(input.endTime != null ? { end_time: input.endTime } : {}),
      ...(input.runName !== undefined ? { run_name: input.runName } : {}),
    });
    return runInfoOf(res.run_info);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.mlflow('POST', 'runs/delete', { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.mlflow('POST', 'runs/restore', { run_id: runId });
  }

  // ---- logging -----------------------------------------------------------

  async logParam(runId: string, key: string, value: string): Promise<void> {
    validateKey('param', key);
    validateParamValue(key, value);
    await this.mlflow('POST', 'runs/log-parameter', { run_id: runId, key, value });
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateKey('metric', metric.key);
    validateStep(metric.step);
    validateTimestamp(metric.timestamp);
    await this.mlflow('POST', 'runs/log-metric', {
      run_id: runId,
      key: metric.key,
      value: jsonNumber(metric.value),
      timestamp: metric.timestamp,
      step: metric.step,
    });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    await this.mlflow('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.mlflow('POST', 'runs/delete-tag', { run_id: runId, key });
  }

  /**
   * Reads and checks every entry first (a bad one writes nothing), then sends them in log-batch
   * requests within MLflow's limits, params first. A batch that fits one request is atomic; a
   * larger one is not (a server failure midway leaves the earlier requests written).
   */
  async logBatch(runId: string, entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>): Promise<BatchCounts> {
    const batch = await collectBatch(runId, entries, () => this.getRun(runId));
    for (const body of batchRequests(batch)) await this.mlflow('POST', 'runs/log-batch', { run_id: runId, ...body });
    return batch.counts;
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let token: string | undefined;
    do {
      const res = await this.mlflow('GET', 'metrics/get-history', { run_id: runId, metric_key: key, ...(token ? { page_token: token } : {}) });
      out.push(...((res.metrics ?? []) as Json[]).map(metricOf));
      token = res.next_page_token || undefined;
    } while (token);
    // Stable: points with the same step keep the server's (logging) order.
    return out.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  async logInputs(runId: string, datasets: LogDatasetInput[]): Promise<void> {
    await this.mlflow('POST', 'runs/log-inputs', { run_id: runId, datasets: datasets.map(datasetInputJson) });
  }

  // ---- search ------------------------------------------------------------

  /** One page of maxResults runs; follows the server's page tokens when it returns smaller pages than asked. */
  async searchRuns(input: SearchRunsInput): Promise<SearchRunsResult> {
    const want = input.maxResults ?? 1000;
    const runs: Run[] = [];
    let token = input.pageToken;
    do {
      const res = await this.mlflow('POST', 'runs/search', {
        experiment_ids: input.experimentIds,
        ...(input.filter ? { filter: input.filter } : {}),
        run_view_type: VIEW_TYPES[input.viewType ?? 'active'],
        max_results: want - runs.length,
        ...(input.orderBy?.length ? { order_by: input.orderBy } : {}),
        ...(token ? { page_token: token } : {}),
      });
      runs.push(...((res.runs ?? []) as Json[]).map(runOf));
      token = res.next_page_token || undefined;
    } while (token && runs.length < want);
    return { runs, ...(token ? { nextPageToken: token } : {}) };
  }

  /** Only a store behind a tracking server has these (the server keeps the model files). */
  getModelVersionDownloadUri(...a: RegistryArgs<'getModelVersionDownloadUri'>) {
    return this.registry.getModelVersionDownloadUri(...a);
  }
  putModelCard(...a: RegistryArgs<'putModelCard'>) {
    return this.registry.putModelCard(...a);
  }
  getModelSchema(...a: RegistryArgs<'getModelSchema'>) {
    return this.registry.getModelSchema(...a);
  }
  putModelSchema(...a: RegistryArgs<'putModelSchema'>) {
    return this.registry.putModelSchema(...a);
  }
  keepsModelSchemas() {
    return this.registry.keepsModelSchemas();
  }

  async close(): Promise<void> {
    // Connections belong to Node's global fetch agent; idle ones do not keep the process alive.
  }
}

import { jsonNumber, type BatchEntry, type Metric } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { PROXY_SCHEME } from '../../core/uri.js';
import { findExperiment } from '../../app/experiments.js';
import { parseRunStatus } from '../../core/validation.js';
import { localArtifactPath, proxyPath, remoteArtifactUri, type TrackingContext } from './context.js';
import { runInfoJson, runJson } from './convert.js';
import type { Fields } from './request.js';
import { viewType, type Endpoints } from './route.js';
import { pageOf } from './simple-filter.js';
import { parseArtifactPath } from '../../artifacts/artifact-path.js';
import { ArtifactTree } from '../../artifacts/artifact-tree.js';

/** MLflow's log-batch limits (mlflow/utils/validation.py). */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 };

function metricOf(f: Fields): Metric {
  return {
    key: f.str('key'),
    value: f.num('value'),
    timestamp: f.optInt('timestamp') ?? Date.now(),
    step: f.optInt('step') ?? 0,
  };
}

function runIdOf(f: Fields): string {
  const id = f.optStr('run_id') ?? f.optStr('run_uuid');
  if (id === undefined) throw invalid("Missing value for required parameter 'run_id'");
  return id;
}

/** The run tag where MLflow keeps the models logged to a run (mlflow.utils.mlflow_tags.MLFLOW_LOGGED_MODELS). */
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';
const MODEL_FIELDS = ['artifact_path', 'flavors', 'run_id', 'utc_time_created'];

/**
 * The tag value after logging one more model (runs/log-model): the JSON list of the models'
 * MLmodel dicts, less what MLflow leaves out of the tag (Model.get_tags_dict), checked and worded
 * as MLflow's handler checks it.
 */
export function loggedModelsValue(previous: string | undefined, modelJson: string): string {
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    model = undefined;
  }
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw invalid(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
  const missing = MODEL_FIELDS.filter((k) => !(k in model));
  if (missing.length) throw invalid(`Model json is missing mandatory fields: {${missing.map((k) => `'${k}'`).join(', ')}}`);
  const { signature: _s, saved_input_example_info: _e, ...tagDict } = model as Record<string, unknown>;
  let list: unknown[] = [];
  try {
    const old = previous === undefined ? [] : JSON.parse(previous);
    if (Array.isArray(old)) list = old;
  } catch {
    // A value that is not MLflow's list (set by hand) is replaced, as nothing can be appended to it.
  }
  return JSON.stringify([...list, tagDict]);
}

/** RunStatus by name or, as protobuf's JSON mapping allows, by number. */
const STATUS_NUMBERS: Record<string, string> = { '1': 'RUNNING', '2': 'SCHEDULED', '3': 'FINISHED', '4': 'FAILED', '5': 'KILLED' };

/** runs/*, metrics/get-history and artifacts/list. */
export function runRoutes(api: Endpoints, ctx: TrackingContext): void {
  const { store } = ctx;
  const runOut = async (id: string) => {
    const r = await store.getRun(id);
    return runJson(r, remoteArtifactUri(ctx, r.info.artifact_uri));
  };

  api.post('/runs/create', async (f) => {
    const tags = f.tags();
    const experimentId = f.optStr('experiment_id') ?? (await findExperiment(store, 'Default', { create: true })).experiment_id;
    const info = await store.createRun({
      experimentId,
      runName: f.optStr('run_name') || undefined,
      userId: f.optStr('user_id') || tags['mlflow.user'] || 'unknown',
      startTime: f.optInt('start_time'),
      tags,
    });
    return { run: await runOut(info.run_id) };
  });
  api.get('/runs/get', async (f) => ({ run: await runOut(await store.resolveRunId(runIdOf(f))) }));
  api.post('/runs/update', async (f) => {
    const info = await store.updateRun(runIdOf(f), {
      ...(f.has('status') ? { status: parseRunStatus(STATUS_NUMBERS[f.str('status')] ?? f.str('status')) } : {}),
      ...(f.has('end_time') ? { endTime: f.int('end_time') } : {}),
      ...(f.has('run_name') && f.str('run_name') !== '' ? { runName: f.str('run_name') } : {}),
    });
    return { run_info: runInfoJson(info, remoteArtifactUri(ctx, info.artifact_uri)) };
  });
  api.post('/runs/delete', async (f) => void (await store.deleteRun(runIdOf(f))));
  api.post('/runs/restore', async (f) => void (await store.restoreRun(runIdOf(f))));
  api.post('/runs/log-metric', async (f) => void (await store.logMetric(runIdOf(f), metricOf(f))));
  api.post('/runs/log-parameter', async (f) => void (await store.logParam(runIdOf(f), f.str('key'), f.optStr('value') ?? '')));
  api.post('/runs/set-tag', async (f) => void (await store.setTag(runIdOf(f), f.str('key'), f.optStr('value') ?? '')));
  api.post('/runs/delete-tag', async (f) => void (await store.deleteTag(runIdOf(f), f.str('key'))));
  api.post('/runs/log-batch', async (f) => {
    const metrics = f.objList('metrics');
    const params = f.objList('params');
    const tags = f.objList('tags');
    const over = (what: string, n: number, max: number) => {
      if (n > max)
        throw invalid(
          `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`,
        );
    };
    over('metrics', metrics.length, BATCH_LIMITS.metrics);
    over('params', params.length, BATCH_LIMITS.params);
    over('tags', tags.length, BATCH_LIMITS.tags);
    over('metrics, params, and tags', metrics.length + params.length + tags.length, BATCH_LIMITS.total);
    // Every entry is read (and so type-checked) before anything is written.
    const entries: BatchEntry[] = [
      ...params.map((p) => ({ type: 'param' as const, key: p.str('key'), value: p.optStr('value') ?? '' })),
      ...tags.map((t) => ({ type: 'tag' as const, key: t.str('key'), value: t.optStr('value') ?? '' })),
      ...metrics.map((m) => ({ type: 'metric' as const, ...metricOf(m) })),
    ];
    await store.logBatch(runIdOf(f), entries);
  });
  api.post('/runs/log-model', async (f) => {
    const runId = runIdOf(f);
    const text = f.optStr('model_json') ?? '';
    await store.setTag(runId, LOGGED_MODELS_TAG, loggedModelsValue((await store.getRun(runId)).tags[LOGGED_MODELS_TAG], text));
  });
  api.post('/runs/log-inputs', async (f) => {
    const datasets = f.objList('datasets').map((d) => {
      const ds = d.obj('dataset');
      const context = d.tags()['mlflow.data.context'] ?? null;
      return {
        name: ds.str('name'),
        digest: ds.str('digest'),
        source_type: ds.str('source_type'),
        source: ds.str('source'),
        schema: ds.optStr('schema') ?? null,
        profile: ds.optStr('profile') ?? null,
        context,
      };
    });
    await store.logInputs(runIdOf(f), datasets);
  });
  api.read('/runs/search', async (f) => {
    // As MLflow: experiments that do not exist hold no runs (the store refuses them, for the CLI's sake).
    const experimentIds: string[] = [];
    for (const id of f.strList('experiment_ids'))
      if (
        await store.getExperiment(id).then(
          () => true,
          (err: unknown) => (err instanceof MlxError && err.code === 'RESOURCE_DOES_NOT_EXIST' ? false : Promise.reject(err)),
        )
      )
        experimentIds.push(id);
    if (experimentIds.length === 0 && f.strList('experiment_ids').length > 0) return {};
    const res = await store.searchRuns({
      experimentIds,
      filter: f.optStr('filter'),
      orderBy: f.strList('order_by'),
      maxResults: f.optInt('max_results') ?? 1000,
      viewType: viewType(f.optStr('run_view_type')),
      pageToken: f.optStr('page_token') || undefined,
    });
    return {
      runs: res.runs.map((r) => runJson(r, remoteArtifactUri(ctx, r.info.artifact_uri))),
      ...(res.nextPageToken ? { next_page_token: res.nextPageToken } : {}),
    };
  });
  api.get('/metrics/get-history', async (f) => {
    const history = await store.getMetricHistory(runIdOf(f), f.str('metric_key'));
    const { page, next } = pageOf(history, f.optInt('max_results', { min: 1, max: 1_000_000 }) ?? 1_000_000, f.optStr('page_token') || undefined);
    return {
      metrics: page.map((m) => ({ key: m.key, value: jsonNumber(m.value), timestamp: m.timestamp, step: m.step })),
      ...(next ? { next_page_token: next } : {}),
    };
  });
  api.get('/artifacts/list', async (f) => {
    const run = await store.getRun(await store.resolveRunId(runIdOf(f)));
    const names = parseArtifactPath(f.optStr('path') ?? '', { trailingSlash: true });
    const under = (name: string) => [...names, name].join('/');
    if (ctx.objectStore && run.info.artifact_uri.startsWith(PROXY_SCHEME)) {
      const base = [proxyPath(run.info.artifact_uri), ...names].filter((p) => p).join('/');
      const entries = await ctx.objectStore.list(base || undefined);
      const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
      const files =
        entries.length === 1 && entries[0].path === base && !entries[0].is_dir
          ? [{ path: names.join('/'), is_dir: false, file_size: entries[0].file_size }]
          : entries.map((e) => ({ path: under(name(e.path)), is_dir: e.is_dir, ...(e.file_size !== undefined ? { file_size: e.file_size } : {}) }));
      return { root_uri: remoteArtifactUri(ctx, run.info.artifact_uri), files };
    }
    // The run's folder is the root here: links that lead out of it are neither listed nor followed.
    const listed = new ArtifactTree(localArtifactPath(ctx, run.info.artifact_uri)).list(names);
    const files = !listed
      ? []
      : 'dir' in listed
        ? listed.dir.map((e) => ({ path: under(e.name), is_dir: e.is_dir, ...(e.file_size !== undefined ? { file_size: e.file_size } : {}) }))
        : [{ path: names.join('/'), is_dir: false, file_size: listed.file }];
    return { root_uri: remoteArtifactUri(ctx, run.info.artifact_uri), files };
  });
}

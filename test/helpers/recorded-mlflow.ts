// A stand-in for a real MLflow tracking server (no Python here): node:http on 127.0.0.1, state in
// memory, answering the endpoints the mlx CLI calls exactly as MLflow 2.x's handlers do
// (mlflow/server/handlers.py, mlflow/protos/service.proto and model_registry.proto, the
// sqlalchemy stores' messages): proto2 JSON that leaves out unset fields and empty lists, int64
// as numbers, model versions as strings, {"error_code", "message"} errors, Flask's HTML 404 for
// unknown paths (mlx's own endpoints included), artifacts through mlflow-artifacts. Only what the
// tests need of filters: none, or `attributes.run_id = '…'` style equality on run_id.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

type Json = Record<string, any>;
class Fail extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
const notFound = (m: string) => new Fail(404, 'RESOURCE_DOES_NOT_EXIST', m);
const invalid = (m: string) => new Fail(400, 'INVALID_PARAMETER_VALUE', m);
const FLASK_404 =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';

/** protobuf JSON of a proto2 message: unset (undefined, null) fields and empty repeated fields are left out. */
function proto(v: any): any {
  if (Array.isArray(v)) return v.map(proto);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null && !(Array.isArray(x) && x.length === 0)) out[k] = proto(x);
  return out;
}

export interface RecordedMlflow {
  url: string;
  /** Every request as "METHOD /path", in order. */
  requests: string[];
  artifacts: Map<string, Buffer>;
  close(): Promise<void>;
}

export async function startRecordedMlflow(): Promise<RecordedMlflow> {
  const now = () => Date.now();
  const experiments = new Map<string, Json>();
  const runs = new Map<string, Json>();
  const history = new Map<string, Json[]>();
  const models = new Map<string, Json>();
  const versions = new Map<string, Json[]>();
  const artifacts = new Map<string, Buffer>();
  const requests: string[] = [];
  experiments.set('0', {
    experiment_id: '0',
    name: 'Default',
    artifact_location: 'mlflow-artifacts:/0',
    lifecycle_stage: 'active',
    creation_time: 1,
    last_update_time: 1,
    tags: [],
  });

  const experiment = (id: string) => experiments.get(String(id)) ?? fail(notFound(`No Experiment with id=${id} exists`));
  const run = (id: string) => runs.get(id) ?? fail(notFound(`Run with id=${id} not found`));
  const model = (name: string) => models.get(name) ?? fail(notFound(`Registered Model with name=${name} not found`));
  const version = (name: string, v: string) =>
    (versions.get(name) ?? []).find((x) => x.version === String(v)) ?? fail(notFound(`Model Version (name=${name}, version=${v}) not found`));
  const setKv = (list: Json[], key: string, value: string) => {
    const i = list.findIndex((t) => t.key === key);
    if (i >= 0) list[i] = { key, value };
    else list.push({ key, value });
  };
  const logMetric = (r: Json, m: Json) => {
    const point = { key: m.key, value: Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) };
    const h = history.get(`${r.info.run_id}/${m.key}`) ?? [];
    h.push(point);
    history.set(`${r.info.run_id}/${m.key}`, h);
    const i = r.data.metrics.findIndex((x: Json) => x.key === m.key);
    if (i < 0) r.data.metrics.push(point);
    else if (point.step >= r.data.metrics[i].step) r.data.metrics[i] = point;
  };
  const logParam = (r: Json, key: string, value: string) => {
    const old = r.data.params.find((p: Json) => p.key === key);
    if (old && old.value !== value)
      fail(
        invalid(
          `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old.value}' for run ID='${r.info.run_id}'. Attempted logging new value '${value}'.`,
        ),
      );
    if (!old) r.data.params.push({ key, value });
  };
  const latest = (name: string, stages?: string[]) => {
    const best = new Map<string, Json>();
    for (const v of versions.get(name) ?? [])
      if (
        (!stages?.length || stages.map((s) => s.toLowerCase()).includes(v.current_stage.toLowerCase())) &&
        Number(v.version) > Number(best.get(v.current_stage)?.version ?? 0)
      )
        best.set(v.current_stage, v);
    return [...best.values()];
  };
  const modelJson = (m: Json) => ({ ...m, latest_versions: latest(m.name) });

  const routes: Record<string, (b: Json) => Json | void> = {
    'POST experiments/create': (b) => {
      if ([...experiments.values()].some((e) => e.name === b.name))
        fail(new Fail(400, 'RESOURCE_ALREADY_EXISTS', `Experiment(name=${b.name}) already exists. Error: (raised as a result of Query-invoked autoflush)`));
      const id = String(experiments.size);
      experiments.set(id, {
        experiment_id: id,
        name: b.name,
        artifact_location: `mlflow-artifacts:/${id}`,
        lifecycle_stage: 'active',
        creation_time: now(),
        last_update_time: now(),
        tags: b.tags ?? [],
      });
      return { experiment_id: id };
    },
    'GET experiments/get': (b) => ({ experiment: experiment(b.experiment_id) }),
    'GET experiments/get-by-name': (b) => ({
      experiment:
        [...experiments.values()].find((e) => e.name === b.experiment_name) ?? fail(notFound(`Could not find experiment with name '${b.experiment_name}'`)),
    }),
    'POST experiments/search': (b) => {
      const view = b.view_type ?? 'ACTIVE_ONLY';
      const m = /^\s*name\s*=\s*'([^']*)'\s*$/.exec(b.filter ?? '');
      const all = [...experiments.values()].filter(
        (e) => (view === 'ALL' || (view === 'DELETED_ONLY') === (e.lifecycle_stage === 'deleted')) && (!m || e.name === m[1]),
      );
      return { experiments: all };
    },
    'POST experiments/update': (b) => void (experiment(b.experiment_id).name = b.new_name),
    'POST experiments/delete': (b) => void (experiment(b.experiment_id).lifecycle_stage = 'deleted'),
    'POST experiments/restore': (b) => void (experiment(b.experiment_id).lifecycle_stage = 'active'),
    'POST experiments/set-experiment-tag': (b) => setKv(experiment(b.experiment_id).tags, b.key, b.value),
    'POST runs/create': (b) => {
      const e = experiment(b.experiment_id ?? '0');
      const id = randomBytes(16).toString('hex');
      const name = b.run_name || (b.tags ?? []).find((t: Json) => t.key === 'mlflow.runName')?.value || `run-${id.slice(0, 4)}`;
      const r = {
        info: {
          run_id: id,
          run_uuid: id,
          run_name: name,
          experiment_id: e.experiment_id,
          user_id: b.user_id ?? '',
          status: 'RUNNING',
          start_time: b.start_time ?? now(),
          artifact_uri: `${e.artifact_location}/${id}/artifacts`,
          lifecycle_stage: 'active',
        },
        data: { metrics: [] as Json[], params: [] as Json[], tags: [...(b.tags ?? [])] },
        inputs: {},
      };
      setKv(r.data.tags, 'mlflow.runName', name);
      runs.set(id, r);
      return { run: r };
    },
    'GET runs/get': (b) => ({ run: run(b.run_id) }),
    'POST runs/update': (b) => {
      const r = run(b.run_id);
      if (b.status) r.info.status = b.status;
      if (b.end_time !== undefined) r.info.end_time = b.end_time;
      if (b.run_name) r.info.run_name = b.run_name;
      return { run_info: r.info };
    },
    'POST runs/delete': (b) => void (run(b.run_id).info.lifecycle_stage = 'deleted'),
    'POST runs/restore': (b) => void (run(b.run_id).info.lifecycle_stage = 'active'),
    'POST runs/log-metric': (b) => logMetric(run(b.run_id), b),
    'POST runs/log-parameter': (b) => logParam(run(b.run_id), b.key, b.value),
    'POST runs/set-tag': (b) => setKv(run(b.run_id).data.tags, b.key, b.value),
    'POST runs/delete-tag': (b) => {
      const r = run(b.run_id);
      const i = r.data.tags.findIndex((t: Json) => t.key === b.key);
      if (i < 0) fail(notFound(`No tag with name: ${b.key} in run with id ${b.run_id}`));
      r.data.tags.splice(i, 1);
    },
    'POST runs/log-batch': (b) => {
      const r = run(b.run_id);
      for (const p of b.params ?? []) logParam(r, p.key, p.value);
      for (const t of b.tags ?? []) setKv(r.data.tags, t.key, t.value);
      for (const m of b.metrics ?? []) logMetric(r, m);
    },
    'POST runs/log-inputs': (b) => void ((run(b.run_id).inputs as Json).dataset_inputs = b.datasets ?? []),
    'POST runs/search': (b) => {
      const ids = (b.experiment_ids ?? []).map(String);
      const view = b.run_view_type ?? 'ACTIVE_ONLY';
      const m = /run_id\s*=\s*'([0-9a-f]+)'/.exec(b.filter ?? '');
      const found = [...runs.values()]
        .filter((r) => ids.includes(r.info.experiment_id) && (view === 'ALL' || (view === 'DELETED_ONLY') === (r.info.lifecycle_stage === 'deleted')))
        .filter((r) => !m || r.info.run_id === m[1])
        .sort((a, b2) => b2.info.start_time - a.info.start_time);
      return { runs: found.slice(0, b.max_results ?? 1000) };
    },
    'GET metrics/get-history': (b) => ({ metrics: (run(b.run_id), history.get(`${b.run_id}/${b.metric_key}`) ?? []) }),
    'POST registered-models/create': (b) => {
      if (models.has(b.name)) fail(new Fail(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${b.name}) already exists.`));
      const m = {
        name: b.name,
        creation_timestamp: now(),
        last_updated_timestamp: now(),
        description: b.description || undefined,
        tags: b.tags ?? [],
        aliases: [] as Json[],
      };
      models.set(b.name, m);
      return { registered_model: modelJson(m) };
    },
    'GET registered-models/get': (b) => ({ registered_model: modelJson(model(b.name)) }),
    'GET registered-models/search': () => ({ registered_models: [...models.values()].map(modelJson) }),
    'PATCH registered-models/update': (b) => {
      const m = model(b.name);
      m.description = b.description || undefined;
      return { registered_model: modelJson(m) };
    },
    'DELETE registered-models/delete': (b) => {
      model(b.name);
      models.delete(b.name);
      versions.delete(b.name);
    },
    'POST registered-models/set-tag': (b) => setKv(model(b.name).tags, b.key, b.value),
    'POST registered-models/alias': (b) => {
      const m = model(b.name);
      version(b.name, b.version);
      m.aliases = [...m.aliases.filter((a: Json) => a.alias !== b.alias), { alias: b.alias, version: String(b.version) }];
    },
    'DELETE registered-models/alias': (b) => void (model(b.name).aliases = model(b.name).aliases.filter((a: Json) => a.alias !== b.alias)),
    'GET registered-models/alias': (b) => {
      const a = model(b.name).aliases.find((x: Json) => x.alias === b.alias) ?? fail(notFound(`Registered model alias ${b.alias} not found.`));
      return { model_version: versionJson(version(b.name, a.version)) };
    },
    'POST registered-models/get-latest-versions': (b) => (model(b.name), { model_versions: latest(b.name, b.stages).map(versionJson) }),
    'POST model-versions/create': (b) => {
      if (!models.has(b.name)) fail(notFound(`Registered Model with name=${b.name} not found`));
      const list = versions.get(b.name) ?? [];
      const v = {
        name: b.name,
        version: String(list.length + 1),
        creation_timestamp: now(),
        last_updated_timestamp: now(),
        current_stage: 'None',
        description: b.description || undefined,
        source: b.source,
        run_id: b.run_id || undefined,
        status: 'READY',
        tags: b.tags ?? [],
        // MLflow resolves runs:/ to the run's artifact folder (RunsArtifactRepository.get_underlying_uri).
        storage_location: b.source.startsWith('runs:/')
          ? b.source.replace(/^runs:\/([^/]+)\/?/, (_: string, id: string) => `${run(id).info.artifact_uri}/`)
          : b.source,
      };
      list.push(v);
      versions.set(b.name, list);
      return { model_version: versionJson(v) };
    },
    'GET model-versions/get': (b) => ({ model_version: versionJson(version(b.name, b.version)) }),
    'GET model-versions/search': (b) => {
      const m = /name\s*=\s*'([^']*)'/.exec(b.filter ?? '');
      const all = [...versions.values()].flat().filter((v) => !m || v.name === m[1]);
      return { model_versions: all.map(versionJson) };
    },
    'POST model-versions/set-tag': (b) => setKv(version(b.name, b.version).tags, b.key, b.value),
    'PATCH model-versions/update': (b) => {
      const v = version(b.name, b.version);
      v.description = b.description || undefined;
      return { model_version: versionJson(v) };
    },
    'DELETE model-versions/delete': (b) => {
      version(b.name, b.version);
      versions.set(
        b.name,
        (versions.get(b.name) ?? []).filter((v) => v.version !== String(b.version)),
      );
    },
    'POST model-versions/transition-stage': (b) => {
      const v = version(b.name, b.version);
      v.current_stage = b.stage;
      return { model_version: versionJson(v) };
    },
    'GET model-versions/get-download-uri': (b) => ({ artifact_uri: version(b.name, b.version).storage_location }),
  };
  function versionJson(v: Json) {
    const { storage_location: _s, ...rest } = v;
    return { ...rest, aliases: (models.get(v.name)?.aliases ?? []).filter((a: Json) => a.version === v.version).map((a: Json) => a.alias) };
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, json: Json) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    try {
      const art = /^\/api\/2\.0\/mlflow-artifacts\/artifacts(?:\/(.*))?$/.exec(url.pathname);
      if (art) {
        const rel = decodeURIComponent(art[1] ?? '');
        if (req.method === 'PUT') return void (artifacts.set(rel, body), send(200, {}));
        if (req.method === 'DELETE') {
          for (const k of [...artifacts.keys()]) if (k === rel || k.startsWith(`${rel}/`)) artifacts.delete(k);
          return send(200, {});
        }
        if (rel) {
          const bytes = artifacts.get(rel);
          if (!bytes) return send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `File ${rel} not found` });
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return res.end(bytes);
        }
        const dir = (url.searchParams.get('path') ?? '').replace(/\/+$/, '');
        const seen = new Map<string, Json>();
        for (const [k, v] of artifacts) {
          if (dir && !k.startsWith(`${dir}/`)) continue;
          const rest = dir ? k.slice(dir.length + 1) : k;
          const name = rest.split('/')[0];
          const isDir = rest.includes('/');
          seen.set(name, isDir ? { path: name, is_dir: true } : { path: name, is_dir: false, file_size: v.length });
        }
        return send(200, proto({ files: [...seen.values()] }));
      }
      const m = /^\/api\/2\.0\/mlflow\/(.+)$/.exec(url.pathname);
      const route = m ? routes[`${req.method} ${m[1]}`] : undefined;
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(FLASK_404);
      }
      let fields: Json;
      if (req.method === 'GET' || (req.method === 'DELETE' && body.length === 0)) {
        fields = {};
        for (const [k, v] of url.searchParams) fields[k] = k in fields ? [fields[k], v].flat() : v;
      } else fields = body.length ? JSON.parse(body.toString('utf8')) : {};
      send(200, proto(route(fields) ?? {}));
    } catch (err) {
      if (err instanceof Fail) return send(err.status, { error_code: err.code, message: err.message });
      send(500, { error_code: 'INTERNAL_ERROR', message: String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    artifacts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function fail(e: Fail): never {
  throw e;
}

import type { Context } from 'hono';
import { MODEL_STAGES, NOT_SERVABLE_TAG, type ModelStage, type ModelVersion, type RegisteredModel } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { isPostgresUri, PROXY_SCHEME, schemeOf } from '../../core/uri.js';
import { UPLOAD_PREFIX } from '../../models/remote-model-files.js';
import { parseVersion } from '../../core/validation.js';
import { deleteModelOrVersion } from '../../models/delete.js';
import { MAX_SCHEMA_BYTES, parseSchema } from '../../data/validation/schema-file.js';
import { modelFiles } from '../../models/open-model-files.js';
import { modelCardText, writeModelCard } from '../../models/register.js';
import { REGISTRY_PREFIX, remoteArtifactUri, type TrackingContext } from './context.js';
import { FACTS_HEADER, modelVersionJson, registeredModelJson } from './convert.js';
import { registerFromSource } from './model-source.js';
import type { Fields } from './request.js';
import type { Endpoints } from './route.js';
import { matchesFilter, pageOf, parseSimpleFilter } from './simple-filter.js';

/** A stage name as MLflow reads it (any case); refused in MLflow's words. */
function canonicalStage(text: string): ModelStage {
  const stage = MODEL_STAGES.find((s) => s.toLowerCase() === text.trim().toLowerCase());
  if (!stage) throw invalid(`Invalid Model Version stage: ${text}. Value must be one of ${MODEL_STAGES.join(', ')}.`);
  return stage;
}

/** The newest version in each stage (of the stages asked for, else all), by version number. */
function latestPerStage(versions: ModelVersion[], stages: ModelStage[] = [...MODEL_STAGES]): ModelVersion[] {
  const best = new Map<ModelStage, ModelVersion>();
  for (const v of versions) if (stages.includes(v.current_stage) && (best.get(v.current_stage)?.version ?? 0) < v.version) best.set(v.current_stage, v);
  return [...best.values()].sort((a, b) => a.version - b.version);
}

/** Where a source's files are, as MLflow records a version's storage location: runs:/ resolved to the run's artifact folder. */
async function sourceArtifactUri(ctx: TrackingContext, source: string): Promise<string> {
  const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (!run) return source;
  const r = await ctx.store.getRun(await ctx.store.resolveRunId(run[1])).catch(() => null);
  if (!r) return source;
  const base = remoteArtifactUri(ctx, r.info.artifact_uri).replace(/\/+$/, '');
  return run[2] ? `${base}/${run[2]}` : base;
}

function sortModels(list: RegisteredModel[], orderBy: string[]): RegisteredModel[] {
  const o = orderBy[0] ?? 'name ASC';
  const m = /^\s*(name|last_updated_timestamp|creation_timestamp)(?:\s+(ASC|DESC))?\s*$/i.exec(o);
  if (!m) throw invalid(`Invalid order_by ${JSON.stringify(o)}: use name, creation_timestamp or last_updated_timestamp with ASC or DESC`);
  const field = m[1].toLowerCase();
  const key = (x: RegisteredModel) => (field === 'name' ? x.name : field === 'creation_timestamp' ? x.creation_time : x.last_updated_time);
  const dir = m[2]?.toUpperCase() === 'DESC' ? -1 : 1;
  return [...list].sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : 0));
}

/** registered-models/*, model-versions/* and mlx's model card endpoint. */
export function registryRoutes(api: Endpoints, ctx: TrackingContext): void {
  const { store } = ctx;
  const versionOf = (f: Fields) => parseVersion(f.str('version'));
  const facts = (c: Context) => c.req.header(FACTS_HEADER) === 'true';
  const versionOut = (c: Context) => (v: ModelVersion) => modelVersionJson(v, facts(c));
  // MLflow's latest_versions: the newest version in each stage.
  const modelOut = (c: Context) => async (m: RegisteredModel) =>
    registeredModelJson(m, m.latest_version ? latestPerStage(await store.searchModelVersions({ name: m.name })) : [], facts(c));
  const listModels = async (f: Fields, c: Context, filter?: (m: RegisteredModel) => boolean, orderBy: string[] = []) => {
    const all = (await store.listRegisteredModels()).filter(filter ?? (() => true));
    const { page, next } = pageOf(sortModels(all, orderBy), f.optInt('max_results', { min: 1, max: 1000 }) ?? 100, f.optStr('page_token') || undefined);
    return { registered_models: await Promise.all(page.map(modelOut(c))), ...(next ? { next_page_token: next } : {}) };
  };

  api.post('/registered-models/create', async (f, c) => ({
    registered_model: await modelOut(c)(await store.createRegisteredModel(f.str('name'), f.optStr('description') ?? '', f.tags())),
  }));
  api.get('/registered-models/get', async (f, c) => ({ registered_model: await modelOut(c)(await store.getRegisteredModel(f.str('name'))) }));
  api.read('/registered-models/search', async (f, c) => {
    const clauses = parseSimpleFilter(f.optStr('filter'), ['name'], { tags: true });
    return listModels(f, c, (m) => matchesFilter(clauses, (k) => (k === 'name' ? m.name : m.tags[k.slice(5)])), f.strList('order_by'));
  });
  // MLflow 1.x's list endpoint (replaced by registered-models/search in 2.0), still called by older clients.
  api.get('/registered-models/list', async (f, c) => listModels(f, c));
  api.post('/registered-models/rename', async (f, c) => {
    const name = f.str('name');
    // Cards still as generated are rendered again under the new name; edited ones are kept as they are.
    const generated = new Set<number>();
    const files = await modelFiles(store);
    for (const v of await store.searchModelVersions({ name }).catch(() => [])) {
      const card = (await files.readCard?.(v)) ?? null;
      if (card !== null && card === (await modelCardText(store, v))) generated.add(v.version);
    }
    const renamed = await store.renameRegisteredModel(name, f.str('new_name'));
    await files.renameModel?.(name, renamed.name);
    for (const n of generated) await writeModelCard(store, await store.getModelVersion(renamed.name, n));
    return { registered_model: await modelOut(c)(renamed) };
  });
  api.patch('/registered-models/update', async (f, c) => ({
    registered_model: await modelOut(c)(await store.updateRegisteredModel(f.str('name'), { description: f.optStr('description') ?? '' })),
  }));
  api.delete('/registered-models/delete', async (f) => void (await deleteModelOrVersion(store, f.str('name'), null, true)));
  api.post('/registered-models/set-tag', async (f) => void (await store.setRegisteredModelTag(f.str('name'), f.str('key'), f.optStr('value') ?? '')));
  api.delete('/registered-models/delete-tag', async (f) => void (await store.deleteRegisteredModelTag(f.str('name'), f.str('key'))));
  api.post('/registered-models/alias', async (f) => void (await store.setRegisteredModelAlias(f.str('name'), f.str('alias'), versionOf(f))));
  api.delete('/registered-models/alias', async (f) => void (await store.deleteRegisteredModelAlias(f.str('name'), f.str('alias'))));
  api.get('/registered-models/alias', async (f, c) => ({
    model_version: versionOut(c)(await store.getModelVersionByAlias(f.str('name'), f.str('alias'))),
  }));
  api.read('/registered-models/get-latest-versions', async (f, c) => {
    const stages = f.strList('stages').map(canonicalStage);
    const name = f.str('name');
    await store.getRegisteredModel(name);
    const latest = latestPerStage(await store.searchModelVersions({ name }), stages.length ? stages : undefined);
    return { model_versions: latest.map(versionOut(c)) };
  });

  api.post('/model-versions/create', async (f, c) => ({ model_version: versionOut(c)(await registerFromSource(ctx, f)) }));
  api.get('/model-versions/get', async (f, c) => ({ model_version: versionOut(c)(await store.getModelVersion(f.str('name'), versionOf(f))) }));
  api.post('/model-versions/transition-stage', async (f, c) => {
    const stage = canonicalStage(f.str('stage'));
    const archive = f.optBool('archive_existing_versions') ?? false;
    if (archive && stage !== 'Staging' && stage !== 'Production')
      throw invalid(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
      );
    return { model_version: versionOut(c)(await store.transitionModelVersionStage(f.str('name'), versionOf(f), stage, archive)) };
  });
  api.read('/model-versions/search', async (f, c) => {
    const clauses = parseSimpleFilter(f.optStr('filter'), ['name', 'run_id', 'source', 'version'], { tags: true });
    const eq = (field: string) => clauses.find((c) => c.field === field && c.op === '=')?.values[0];
    const candidates = await store.searchModelVersions({ name: eq('name'), runId: eq('run_id') });
    const get = (v: ModelVersion) => (k: string) =>
      k === 'name' ? v.name : k === 'run_id' ? (v.run_id ?? undefined) : k === 'source' ? v.source : k === 'version' ? String(v.version) : v.tags[k.slice(5)];
    const all = candidates.filter((v) => matchesFilter(clauses, get(v)));
    const { page, next } = pageOf(all, f.optInt('max_results', { min: 1, max: 200_000 }) ?? 10_000, f.optStr('page_token') || undefined);
    return { model_versions: page.map(versionOut(c)), ...(next ? { next_page_token: next } : {}) };
  });
  api.patch('/model-versions/update', async (f, c) => ({
    model_version: versionOut(c)(await store.updateModelVersion(f.str('name'), versionOf(f), { description: f.optStr('description') ?? '' })),
  }));
  api.delete('/model-versions/delete', async (f) => void (await deleteModelOrVersion(store, f.str('name'), versionOf(f), true)));
  api.post('/model-versions/set-tag', async (f) => {
    const key = f.str('key');
    if (key.startsWith('mlx.')) throw invalid(`tag ${JSON.stringify(key)}: mlx.* tags of a model version are computed from the model and cannot be set`);
    await store.setModelVersionTag(f.str('name'), versionOf(f), key, f.optStr('value') ?? '');
  });
  api.delete('/model-versions/delete-tag', async (f) => {
    const key = f.str('key');
    if (key === NOT_SERVABLE_TAG)
      throw invalid(`tag ${JSON.stringify(key)} says why mlx cannot serve this version and cannot be deleted; register an ONNX model instead`);
    await store.deleteModelVersionTag(f.str('name'), versionOf(f), key);
  });
  api.get('/model-versions/get-download-uri', async (f, c) => {
    const v = await store.getModelVersion(f.str('name'), versionOf(f));
    // mlx's clients download the registry's own copy (immutable, checked against its sha256);
    // others get what MLflow answers: where the source's files are, e.g. the MLflow model folder,
    // unless those are gone or not the server's (the mlx CLI's uploads are removed once copied; local paths).
    const ownCopyOnly = v.source.startsWith('models:/') || v.source.startsWith(`${PROXY_SCHEME}/${UPLOAD_PREFIX}/`) || schemeOf(v.source) === null;
    if (v.sha256 !== '' && (facts(c) || ownCopyOnly))
      return { artifact_uri: `mlflow-artifacts:/${REGISTRY_PREFIX}/${encodeURIComponent(v.name)}/${v.version}/model.onnx` };
    return { artifact_uri: await sourceArtifactUri(ctx, v.source) };
  });
}

/** mlx's own endpoints: the model card and the data schema of a version, read and written. */
export function mlxRoutes(api: Endpoints, ctx: TrackingContext): void {
  const { store } = ctx;
  api.get('/model-versions/card', async (f) => {
    const v = await store.getModelVersion(f.str('name'), parseVersion(f.str('version')));
    const markdown = (await (await modelFiles(store)).readCard?.(v)) ?? (await modelCardText(store, v));
    return { name: v.name, version: String(v.version), markdown };
  });
  api.post('/model-versions/card', async (f) => {
    const v = await store.getModelVersion(f.str('name'), parseVersion(f.str('version')));
    const markdown = f.str('markdown');
    if (Buffer.byteLength(markdown) > 1024 * 1024) throw invalid('a model card is limited to 1 MB of Markdown');
    await (await modelFiles(store)).writeCard(v, markdown);
    return { name: v.name, version: String(v.version) };
  });
  api.get('/model-versions/schema', async (f) => {
    const v = await store.getModelVersion(f.str('name'), parseVersion(f.str('version')));
    const files = await modelFiles(store);
    const text = files.readSchema ? await files.readSchema(v) : null;
    // Absent when the version has none (proto3's way of leaving out a field).
    return { name: v.name, version: String(v.version), ...(text === null ? {} : { schema: text }) };
  });
  api.post('/model-versions/schema', async (f) => {
    const v = await store.getModelVersion(f.str('name'), parseVersion(f.str('version')));
    const text = f.str('schema');
    if (Buffer.byteLength(text) > MAX_SCHEMA_BYTES) throw invalid(`a data schema is limited to ${MAX_SCHEMA_BYTES / 1024 / 1024} MB of JSON`);
    // Checked as mlx data validate reads it: a schema nobody can use is never stored.
    parseSchema(text, `the data schema for models:/${v.name}/${v.version}`);
    const files = await modelFiles(store);
    if (!files.writeSchema) throw new MlxError('INVALID_STATE', `this server's registry cannot keep data schemas`);
    await files.writeSchema(v, text);
    return { name: v.name, version: String(v.version) };
  });
  api.get('/server-info', () => ({
    mlx_version: ctx.mlxVersion,
    store: isPostgresUri(store.uri) ? 'postgresql' : 'sqlite',
    auth: ctx.auth,
    schemas: true,
  }));
}

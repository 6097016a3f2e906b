import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion, RegisteredModel } from '../../core/entities.js';
import { invalid } from '../../core/errors.js';
import { isPostgresUri } from '../../core/uri.js';
import { parseVersion } from '../../core/validation.js';
import { deleteModelOrVersion } from '../../models/delete.js';
import { cardPath } from '../../models/local-model-files.js';
import { modelCardText, writeModelCard } from '../../models/register.js';
import { REGISTRY_PREFIX, type TrackingContext } from './context.js';
import { modelVersionJson, registeredModelJson } from './convert.js';
import { registerFromSource } from './model-source.js';
import type { Fields } from './request.js';
import type { Endpoints } from './route.js';
import { matchesFilter, pageOf, parseSimpleFilter } from './simple-filter.js';

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
  const modelOut = async (m: RegisteredModel) =>
    registeredModelJson(m, m.latest_version ? await store.getModelVersion(m.name, m.latest_version).catch(() => null) : null);

  api.post('/registered-models/create', async (f) => ({
    registered_model: await modelOut(await store.createRegisteredModel(f.str('name'), f.optStr('description') ?? '', f.tags())),
  }));
  api.get('/registered-models/get', async (f) => ({ registered_model: await modelOut(await store.getRegisteredModel(f.str('name'))) }));
  api.read('/registered-models/search', async (f) => {
    const clauses = parseSimpleFilter(f.optStr('filter'), ['name'], { tags: true });
    const all = (await store.listRegisteredModels()).filter((m) => matchesFilter(clauses, (k) => (k === 'name' ? m.name : m.tags[k.slice(5)])));
    const { page, next } = pageOf(
      sortModels(all, f.strList('order_by')),
      f.optInt('max_results', { min: 1, max: 1000 }) ?? 100,
      f.optStr('page_token') || undefined,
    );
    return { registered_models: await Promise.all(page.map(modelOut)), ...(next ? { next_page_token: next } : {}) };
  });
  api.post('/registered-models/rename', async (f) => {
    const name = f.str('name');
    // Cards still as generated are rendered again under the new name; edited ones are kept as they are.
    const generated = new Set<number>();
    for (const v of await store.searchModelVersions({ name }).catch(() => [])) {
      const file = cardPath(ctx.fileRoot, name, v.version);
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === (await modelCardText(store, v))) generated.add(v.version);
    }
    const renamed = await store.renameRegisteredModel(name, f.str('new_name'));
    const from = path.dirname(cardPath(ctx.fileRoot, name, 1));
    if (fs.existsSync(from)) fs.renameSync(from, path.dirname(cardPath(ctx.fileRoot, renamed.name, 1)));
    for (const n of generated) await writeModelCard(store, await store.getModelVersion(renamed.name, n));
    return { registered_model: await modelOut(renamed) };
  });
  api.patch('/registered-models/update', async (f) => ({
    registered_model: await modelOut(await store.updateRegisteredModel(f.str('name'), { description: f.optStr('description') ?? '' })),
  }));
  api.delete('/registered-models/delete', async (f) => void (await deleteModelOrVersion(store, f.str('name'), null, true)));
  api.post('/registered-models/set-tag', async (f) => void (await store.setRegisteredModelTag(f.str('name'), f.str('key'), f.optStr('value') ?? '')));
  api.delete('/registered-models/delete-tag', async (f) => void (await store.deleteRegisteredModelTag(f.str('name'), f.str('key'))));
  api.post('/registered-models/alias', async (f) => void (await store.setRegisteredModelAlias(f.str('name'), f.str('alias'), versionOf(f))));
  api.delete('/registered-models/alias', async (f) => void (await store.deleteRegisteredModelAlias(f.str('name'), f.str('alias'))));
  api.get('/registered-models/alias', async (f) => ({ model_version: modelVersionJson(await store.getModelVersionByAlias(f.str('name'), f.str('alias'))) }));
  api.read('/registered-models/get-latest-versions', async (f) => {
    const stages = f.strList('stages');
    // mlx has no stages (MLflow deprecated them for aliases): every version is in stage "None".
    if (stages.length && !stages.some((s) => s.toLowerCase() === 'none')) return { model_versions: [] };
    const m = await store.getRegisteredModel(f.str('name'));
    return { model_versions: m.latest_version ? [modelVersionJson(await store.getModelVersion(m.name, m.latest_version))] : [] };
  });

  api.post('/model-versions/create', async (f) => ({ model_version: modelVersionJson(await registerFromSource(ctx, f)) }));
  api.get('/model-versions/get', async (f) => ({ model_version: modelVersionJson(await store.getModelVersion(f.str('name'), versionOf(f))) }));
  api.read('/model-versions/search', async (f) => {
    const clauses = parseSimpleFilter(f.optStr('filter'), ['name', 'run_id', 'source', 'version'], { tags: true });
    const eq = (field: string) => clauses.find((c) => c.field === field && c.op === '=')?.values[0];
    const candidates = await store.searchModelVersions({ name: eq('name'), runId: eq('run_id') });
    const get = (v: ModelVersion) => (k: string) =>
      k === 'name' ? v.name : k === 'run_id' ? (v.run_id ?? undefined) : k === 'source' ? v.source : k === 'version' ? String(v.version) : v.tags[k.slice(5)];
    const all = candidates.filter((v) => matchesFilter(clauses, get(v)));
    const { page, next } = pageOf(all, f.optInt('max_results', { min: 1, max: 200_000 }) ?? 10_000, f.optStr('page_token') || undefined);
    return { model_versions: page.map(modelVersionJson), ...(next ? { next_page_token: next } : {}) };
  });
  api.patch('/model-versions/update', async (f) => ({
    model_version: modelVersionJson(await store.updateModelVersion(f.str('name'), versionOf(f), { description: f.optStr('description') ?? '' })),
  }));
  api.delete('/model-versions/delete', async (f) => void (await deleteModelOrVersion(store, f.str('name'), versionOf(f), true)));
  api.post('/model-versions/set-tag', async (f) => {
    const key = f.str('key');
    if (key.startsWith('mlx.')) throw invalid(`tag ${JSON.stringify(key)}: mlx.* tags of a model version are computed from the model and cannot be set`);
    await store.setModelVersionTag(f.str('name'), versionOf(f), key, f.optStr('value') ?? '');
  });
  api.delete('/model-versions/delete-tag', async (f) => void (await store.deleteModelVersionTag(f.str('name'), versionOf(f), f.str('key'))));
  api.get('/model-versions/get-download-uri', async (f) => {
    const v = await store.getModelVersion(f.str('name'), versionOf(f));
    return { artifact_uri: `mlflow-artifacts:/${REGISTRY_PREFIX}/${encodeURIComponent(v.name)}/${v.version}/model.onnx` };
  });
}

/** mlx's own endpoints: the model card of a version, read and written. */
export function mlxRoutes(api: Endpoints, ctx: TrackingContext): void {
  const { store } = ctx;
  api.get('/model-versions/card', async (f) => {
    const v = await store.getModelVersion(f.str('name'), parseVersion(f.str('version')));
    const file = cardPath(ctx.fileRoot, v.name, v.version);
    const markdown = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : await modelCardText(store, v);
    return { name: v.name, version: String(v.version), markdown };
  });
  api.post('/model-versions/card', async (f) => {
    const v = await store.getModelVersion(f.str('name'), parseVersion(f.str('version')));
    const markdown = f.str('markdown');
    if (Buffer.byteLength(markdown) > 1024 * 1024) throw invalid('a model card is limited to 1 MB of Markdown');
    const file = cardPath(ctx.fileRoot, v.name, v.version);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, markdown);
    fs.renameSync(`${file}.tmp`, file);
    return { name: v.name, version: String(v.version) };
  });
  api.get('/server-info', () => ({ mlx_version: ctx.mlxVersion, store: isPostgresUri(store.uri) ? 'postgresql' : 'sqlite', auth: ctx.auth }));
}

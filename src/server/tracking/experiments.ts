import type { Experiment } from '../../core/entities.js';
import { invalid, notFound } from '../../core/errors.js';
import { remoteArtifactUri, type TrackingContext } from './context.js';
import { experimentJson } from './convert.js';
import type { Endpoints } from './route.js';
import { viewType } from './route.js';
import { matchesFilter, pageOf, parseSimpleFilter } from './simple-filter.js';

const ORDER_FIELDS = ['name', 'experiment_id', 'creation_time', 'last_update_time'] as const;

function sorter(orderBy: string[]): (a: Experiment, b: Experiment) => number {
  const keys = orderBy.map((o) => {
    const m = /^\s*(?:attributes\.)?(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(o);
    const field = m?.[1].toLowerCase() as (typeof ORDER_FIELDS)[number];
    if (!m || !ORDER_FIELDS.includes(field)) throw invalid(`Invalid order_by ${JSON.stringify(o)}: use one of ${ORDER_FIELDS.join(', ')} with ASC or DESC`);
    return { field, desc: m[2]?.toUpperCase() === 'DESC' };
  });
  // MLflow's default: newest first, then by id.
  if (keys.length === 0) keys.push({ field: 'creation_time', desc: true });
  keys.push({ field: 'experiment_id', desc: false });
  return (a, b) => {
    for (const k of keys) {
      const x = k.field === 'experiment_id' ? Number(a.experiment_id) : a[k.field];
      const y = k.field === 'experiment_id' ? Number(b.experiment_id) : b[k.field];
      if (x < y) return k.desc ? 1 : -1;
      if (x > y) return k.desc ? -1 : 1;
    }
    return 0;
  };
}

/** experiments/*: create, get, get-by-name, search, update, delete, restore, tags. */
export function experimentRoutes(api: Endpoints, ctx: TrackingContext): void {
  const { store } = ctx;
  const json = (e: Experiment) => experimentJson(e, remoteArtifactUri(ctx, e.artifact_location));

  api.post('/experiments/create', async (f) => {
    if (f.has('artifact_location') && f.str('artifact_location') !== '')
      throw invalid('artifact_location cannot be chosen by clients of this server: it places artifacts under its --artifacts-destination');
    return { experiment_id: await store.createExperiment(f.str('name'), f.tags(), ctx.experimentArtifactRoot) };
  });
  api.get('/experiments/get', async (f) => ({ experiment: json(await store.getExperiment(f.str('experiment_id'))) }));
  api.get('/experiments/get-by-name', async (f) => {
    const name = f.str('experiment_name');
    const e = await store.getExperimentByName(name);
    if (!e) throw notFound(`Could not find experiment with name '${name}'`);
    return { experiment: json(e) };
  });
  api.read('/experiments/search', async (f) => {
    const clauses = parseSimpleFilter(f.optStr('filter'), ['name', 'experiment_id'], { tags: true });
    const all = (await store.listExperiments(viewType(f.optStr('view_type'))))
      .filter((e) => matchesFilter(clauses, (field) => (field.startsWith('tags.') ? e.tags[field.slice(5)] : field === 'name' ? e.name : e.experiment_id)))
      .sort(sorter(f.strList('order_by')));
    const { page, next } = pageOf(all, f.optInt('max_results', { min: 1, max: 50_000 }) ?? 1000, f.optStr('page_token'));
    return { experiments: page.map(json), ...(next ? { next_page_token: next } : {}) };
  });
  // MLflow 1.x's list endpoint, still used by older clients.
  api.get('/experiments/list', async (f) => ({ experiments: (await store.listExperiments(viewType(f.optStr('view_type')))).map(json) }));
  api.post('/experiments/update', async (f) => {
    const id = f.str('experiment_id');
    if (f.has('new_name')) await store.renameExperiment(id, f.str('new_name'));
    else await store.getExperiment(id);
    return {};
  });
  api.post('/experiments/delete', async (f) => void (await store.deleteExperiment(f.str('experiment_id'))));
  api.post('/experiments/restore', async (f) => void (await store.restoreExperiment(f.str('experiment_id'))));
  api.post('/experiments/delete-experiment-tag', async (f) => void (await store.deleteExperimentTag(f.str('experiment_id'), f.str('key'))));
  api.post('/experiments/set-experiment-tag', async (f) => void (await store.setExperimentTag(f.str('experiment_id'), f.str('key'), f.str('value'))));
}

// #/experiments/:id and #/runs?experiments=1,2|all, each with ?filter=&order=&max=&token=&view=&flat=:
// the runs of one experiment or of several, paged, sorted and filtered by the server
// (runs/search). A sweep's trials sit under their parent unless the list is flat (a filter
// makes it flat: a matching trial must show even when its parent does not match). Sorting by a
// param sorts numbers as numbers: the server compares params as text, so those pages are
// sorted here, over up to 5,000 runs.
import { ApiError, get, getAll, getMlx, post } from '../api.js';
import { add, errorLine, h, kv } from '../dom.js';
import { PARENT_TAG } from '../sweep-info.js';
import { compareParams, runsTable, splitOrder } from './runs-table.js';

const PAGE_SIZES = [25, 50, 100, 500];
const CLIENT_SORT_MAX = 5000;
const TOP_LEVEL = `tags.\`${PARENT_TAG}\` IS NULL`;
// Picked runs survive paging and re-sorting, so runs from several pages can be compared.
const picked = new Map();
// Page tokens of the pages before the current one, per experiment/filter/order, for Prev.
const pageHistory = new Map();

/** #/experiments/:id */
export const renderRuns = (el, [expId], query) => renderRunList(el, [expId], query, `#/experiments/${encodeURIComponent(expId)}`);

/** #/runs?experiments=1,2 or all: runs across experiments, with an Experiment column. */
export async function renderAllRuns(el, _args, query) {
  const asked = (query.get('experiments') ?? 'all').split(',').filter(Boolean);
  let ids = asked;
  if (asked.includes('all') || !asked.length) {
    const exps = await getAll('experiments/search', { max_results: 1000 }, 'experiments', 10_000);
    ids = exps.map((e) => e.experiment_id);
  }
  return renderRunList(el, ids, query, `#/runs?experiments=${encodeURIComponent(asked.join(',') || 'all')}`, true);
}

async function renderRunList(el, expIds, query, base, multi = false) {
  const filter = query.get('filter') ?? '';
  const order = query.get('order') ?? '';
  const max = PAGE_SIZES.includes(Number(query.get('max'))) ? Number(query.get('max')) : 50;
  const token = query.get('token') ?? '';
  const deleted = query.get('view') === 'deleted';
  const flat = query.get('flat') === '1' || !!filter || deleted;
  const go = (changes) => {
    const q = new URLSearchParams({ filter, order, max: String(max), token, view: deleted ? 'deleted' : '', flat: query.get('flat') ?? '' });
    for (const [k, v] of Object.entries(changes)) q.set(k, v);
    for (const [k, v] of [...q]) if (!v || (k === 'max' && v === '50')) q.delete(k);
    const s = q.toString();
    location.hash = `${base}${s ? (base.includes('?') ? '&' : '?') + s : ''}`;
  };

  const experiments = await Promise.all(
    expIds.slice(0, 1000).map((id) =>
      get('experiments/get', { experiment_id: id })
        .then((r) => r.experiment)
        .catch((err) => {
          if (!multi) throw err;
          return null;
        }),
    ),
  );
  const expNames = new Map(experiments.filter(Boolean).map((e) => [e.experiment_id, e.name]));
  const search = {
    experiment_ids: expIds,
    filter: flat ? filter || undefined : TOP_LEVEL,
    run_view_type: deleted ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
  };
  const [orderCol, orderDir] = order ? splitOrder(order) : ['', ''];
  let page = { runs: [] };
  let offset = null;
  let note = null;
  let error = null;
  try {
    if (orderCol.startsWith('params.')) {
      // Every matching run (in the server's text order), then sorted here with numbers as numbers.
      const all = await getAllPosted({ ...search, order_by: [order] }, CLIENT_SORT_MAX + 1);
      if (all.length <= CLIENT_SORT_MAX) {
        const key = orderCol.slice('params.'.length).replace(/^`|`$/g, '');
        all.sort((a, b) => compareParams(kv(a.data.params)[key], kv(b.data.params)[key], orderDir));
        offset = Math.max(0, Number(/^o:(\d+)$/.exec(token)?.[1] ?? 0));
        page = { runs: all.slice(offset, offset + max), next_page_token: offset + max < all.length ? `o:${offset + max}` : undefined };
        note = 'Numeric params are sorted as numbers.';
      } else note = `Over ${CLIENT_SORT_MAX.toLocaleString('en')} runs: the server sorts this param as text (filter the runs to sort them as numbers).`;
    }
    if (offset === null)
      page = await post('runs/search', { ...search, order_by: order ? [order] : undefined, max_results: max, page_token: token || undefined });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401 || err.status >= 500) throw err;
    error = err.message;
  }
  const runs = page.runs ?? [];
  // Only how many trials each run has: they are loaded when their parent is opened.
  const childCounts = !flat && runs.length ? await countChildren(runs, search).catch(() => new Map()) : new Map();

  const stackKey = `${expIds.join(',')}\n${filter}\n${order}\n${max}\n${deleted}\n${flat}`;
  const stack = pageHistory.get(stackKey) ?? [];
  // Keep only the tokens of pages before this one (the user may have come back with Prev or a link).
  const at = stack.indexOf(token);
  // A token not seen yet is the page after the last one visited (Next), or a pasted link.
  const before = at >= 0 ? stack.slice(0, at) : token ? (stack.length ? stack : ['']) : [];
  pageHistory.set(stackKey, [...before, token]);
  const first = offset ?? before.length * max;

  const input = h('input', {
    type: 'search',
    id: 'filter',
    value: filter,
    placeholder: "metrics.acc > 0.9 and params.optimizer = 'adam'",
    spellcheck: false,
    autocomplete: 'off',
  });
  const form = h(
    'form',
    { class: 'filter', onsubmit: (e) => (e.preventDefault(), go({ filter: input.value.trim(), token: '' })) },
    input,
    h('button', { type: 'submit' }, 'Search'),
    filter ? h('button', { type: 'button', class: 'link', onclick: () => go({ filter: '', token: '' }) }, 'Clear') : null,
  );
  const compareBtn = h('button', {
    type: 'button',
    id: 'compare',
    onclick: () => (location.hash = `#/compare?runs=${[...picked.keys()].map(encodeURIComponent).join(',')}`),
  });
  const updatePicked = () => {
    compareBtn.textContent = `Compare (${picked.size})`;
    compareBtn.disabled = picked.size < 2;
  };
  updatePicked();

  const single = !multi ? experiments[0] : null;
  const expTags = single ? kv(single.tags) : {};
  add(
    el,
    h('p', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / '),
    h(
      'h1',
      null,
      single
        ? single.name
        : expIds.length === expNames.size && query.get('experiments') !== 'all' && query.get('experiments')
          ? `Runs of ${expNames.size} experiments`
          : 'All runs',
    ),
    expTags['mlflow.note.content'] ? h('p', { class: 'description' }, expTags['mlflow.note.content']) : null,
    single
      ? h('p', { class: 'muted' }, `Experiment ${single.experiment_id} · ${single.artifact_location ?? ''}`)
      : h(
          'p',
          { class: 'muted', id: 'experiment-list' },
          'Experiments: ',
          [...expNames].map(([id, name], i) => [i ? ', ' : '', h('a', { href: `#/experiments/${encodeURIComponent(id)}` }, name)]),
        ),
    form,
    error ? errorLine(error) : null,
    h(
      'div',
      { class: 'toolbar' },
      compareBtn,
      picked.size ? h('button', { type: 'button', class: 'link', onclick: () => (picked.clear(), go({})) }, 'Clear selection') : null,
      h('span', { class: 'spacer' }),
      filter || deleted
        ? h('span', { class: 'muted', title: 'A filter or the deleted view lists runs flat' }, 'flat list')
        : h(
            'label',
            null,
            h('input', { type: 'checkbox', id: 'flat', checked: flat, onchange: (e) => go({ flat: e.target.checked ? '1' : '', token: '' }) }),
            ' Flat (trials not under their sweep)',
          ),
      deleted ? h('a', { href: base }, 'Show active runs') : h('a', { href: `${base}${base.includes('?') ? '&' : '?'}view=deleted` }, 'Show deleted runs'),
      h(
        'label',
        null,
        ' Per page ',
        h(
          'select',
          { id: 'page-size', onchange: (e) => go({ max: e.target.value, token: '' }) },
          PAGE_SIZES.map((n) => h('option', { value: n, selected: n === max }, String(n))),
        ),
      ),
    ),
    note ? h('p', { class: 'muted', id: 'sort-note' }, note) : null,
    error
      ? null
      : runsTable({
          runs,
          childCounts,
          loadChildren: (id) => loadChildren(id, search),
          order,
          sortBy: (o) => go({ order: o, token: '' }),
          picked,
          onPick: updatePicked,
          expNames: multi ? expNames : null,
          columnsKey: expIds.join(','),
        }),
    h(
      'div',
      { class: 'pager' },
      h(
        'button',
        {
          type: 'button',
          id: 'prev',
          disabled: offset !== null ? offset === 0 : !token,
          onclick: () => go({ token: offset !== null ? (offset - max > 0 ? `o:${offset - max}` : '') : (before[before.length - 1] ?? '') }),
        },
        '‹ Prev',
      ),
      h('span', { id: 'page-info', class: 'muted' }, runs.length ? `Runs ${first + 1}–${first + runs.length}${nestedText(childCounts)}` : 'No runs'),
      h('button', { type: 'button', id: 'next', disabled: !page.next_page_token, onclick: () => go({ token: page.next_page_token }) }, 'Next ›'),
    ),
  );
}

/** Every page of a POSTed runs/search, up to limit runs. */
async function getAllPosted(body, limit) {
  const out = [];
  let token;
  do {
    const page = await post('runs/search', { ...body, max_results: 1000, page_token: token });
    out.push(...(page.runs ?? []));
    token = page.next_page_token;
  } while (token && out.length < limit);
  return out;
}

/** How many child runs each run of this page has (mlx/runs/child-counts: counted, not loaded). */
async function countChildren(runs, search) {
  const { counts } = await getMlx('runs/child-counts', {
    experiment_ids: search.experiment_ids,
    run_ids: runs.map((r) => r.info.run_id),
    view_type: search.run_view_type,
  });
  return new Map(Object.entries(counts ?? {}).map(([id, c]) => [id, c.runs]));
}

/** Every child run of one parent (all pages, up to 10,000). */
function loadChildren(parentId, search) {
  return getAllPosted({ experiment_ids: search.experiment_ids, run_view_type: search.run_view_type, filter: `tags.\`${PARENT_TAG}\` = '${parentId}'` }, 10_000);
}

/** " · 12 trials under their sweeps" when the page nests any. */
function nestedText(counts) {
  const parents = [...counts.values()].filter((n) => n > 0).length;
  const n = [...counts.values()].reduce((sum, c) => sum + c, 0);
  return n ? ` · ${n.toLocaleString('en')} trial${n === 1 ? '' : 's'} under their sweep${parents === 1 ? '' : 's'}` : '';
}

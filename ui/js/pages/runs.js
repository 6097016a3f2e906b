// #/experiments/:id?filter=&order=&max=&token=: one experiment's runs, paged, sorted and
// filtered by the server (runs/search), with a column for every param and metric on the page.
import { ApiError, get, post } from '../api.js';
import { add, errorLine, fmtDuration, fmtNum, fmtTime, h, kv, muted, quoteKey } from '../dom.js';

const PAGE_SIZES = [25, 50, 100, 500];
// Picked runs survive paging and re-sorting, so runs from several pages can be compared.
const picked = new Map();
// Page tokens of the pages before the current one, per experiment/filter/order, for Prev.
const history = new Map();

export async function renderRuns(el, [expId], query) {
  const filter = query.get('filter') ?? '';
  const order = query.get('order') ?? '';
  const max = PAGE_SIZES.includes(Number(query.get('max'))) ? Number(query.get('max')) : 50;
  const token = query.get('token') ?? '';
  const deleted = query.get('view') === 'deleted';
  const go = (changes) => {
    const q = new URLSearchParams({ filter, order, max: String(max), token, view: deleted ? 'deleted' : '' });
    for (const [k, v] of Object.entries(changes)) q.set(k, v);
    for (const [k, v] of [...q]) if (!v || (k === 'max' && v === '50')) q.delete(k);
    const s = q.toString();
    location.hash = `#/experiments/${encodeURIComponent(expId)}${s ? `?${s}` : ''}`;
  };

  const { experiment } = await get('experiments/get', { experiment_id: expId });
  let page = { runs: [] };
  let error = null;
  try {
    page = await post('runs/search', {
      experiment_ids: [expId],
      filter: filter || undefined,
      order_by: order ? [order] : undefined,
      max_results: max,
      page_token: token || undefined,
      run_view_type: deleted ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
    });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401 || err.status >= 500) throw err;
    error = err.message;
  }
  const runs = page.runs ?? [];
  const stackKey = `${expId}\n${filter}\n${order}\n${max}\n${deleted}`;
  const stack = history.get(stackKey) ?? [];
  // Keep only the tokens of pages before this one (the user may have come back with Prev or a link).
  const at = stack.indexOf(token);
  // A token not seen yet is the page after the last one visited (Next), or a pasted link.
  const before = at >= 0 ? stack.slice(0, at) : token ? (stack.length ? stack : ['']) : [];
  history.set(stackKey, [...before, token]);

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

  const expTags = kv(experiment.tags);
  add(
    el,
    h('p', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / '),
    h('h1', null, experiment.name),
    expTags['mlflow.note.content'] ? h('p', { class: 'description' }, expTags['mlflow.note.content']) : null,
    h('p', { class: 'muted' }, `Experiment ${experiment.experiment_id} · ${experiment.artifact_location ?? ''}`),
    form,
    error ? errorLine(error) : null,
    h(
      'div',
      { class: 'toolbar' },
      compareBtn,
      picked.size ? h('button', { type: 'button', class: 'link', onclick: () => (picked.clear(), go({})) }, 'Clear selection') : null,
      h('span', { class: 'spacer' }),
      deleted
        ? h('a', { href: `#/experiments/${encodeURIComponent(expId)}` }, 'Show active runs')
        : h('a', { href: `#/experiments/${encodeURIComponent(expId)}?view=deleted` }, 'Show deleted runs'),
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
    error ? null : runsTable(runs, order, (o) => go({ order: o, token: '' }), updatePicked),
    h(
      'div',
      { class: 'pager' },
      h('button', { type: 'button', id: 'prev', disabled: !token, onclick: () => go({ token: before[before.length - 1] ?? '' }) }, '‹ Prev'),
      h('span', { id: 'page-info', class: 'muted' }, runs.length ? `Runs ${before.length * max + 1}–${before.length * max + runs.length}` : 'No runs'),
      h('button', { type: 'button', id: 'next', disabled: !page.next_page_token, onclick: () => go({ token: page.next_page_token }) }, 'Next ›'),
    ),
  );
}

/** The sort clause after clicking a column: toggles direction, metrics and times start descending. */
function nextOrder(current, column) {
  const [col, dir] = current ? splitOrder(current) : ['attributes.start_time', 'DESC'];
  if (col === column) return `${column} ${dir === 'DESC' ? 'ASC' : 'DESC'}`;
  return `${column} ${column.startsWith('metrics.') || column.endsWith('_time') ? 'DESC' : 'ASC'}`;
}

function splitOrder(clause) {
  const m = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(clause.trim());
  return [m[1], (m[2] ?? 'ASC').toUpperCase()];
}

function runsTable(runs, order, sortBy, onPick) {
  if (!runs.length) return muted('No runs match.');
  const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const [curCol, curDir] = order ? splitOrder(order) : ['attributes.start_time', 'DESC'];
  const sortTh = (label, column, cls) => {
    const active = column === curCol;
    return h(
      'th',
      {
        class: `sortable ${cls ?? ''} ${active ? 'sorted' : ''}`,
        dataset: { sort: column },
        title: `Sort by ${column}`,
        'aria-sort': active ? (curDir === 'DESC' ? 'descending' : 'ascending') : null,
        tabindex: 0,
        onclick: () => sortBy(nextOrder(order, column)),
        onkeydown: (e) => e.key === 'Enter' && sortBy(nextOrder(order, column)),
      },
      label,
      active ? (curDir === 'DESC' ? ' ▼' : ' ▲') : '',
    );
  };
  const all = h('input', {
    type: 'checkbox',
    title: 'Pick all on this page',
    onchange: (e) => {
      for (const box of e.target.closest('table').querySelectorAll('tbody input[type=checkbox]')) {
        box.checked = e.target.checked;
        box.dispatchEvent(new Event('change'));
      }
    },
  });
  const head1 = h(
    'tr',
    null,
    h('th', { colspan: 6 }, ''),
    paramKeys.length ? h('th', { colspan: paramKeys.length, class: 'group param' }, 'Parameters') : null,
    metricKeys.length ? h('th', { colspan: metricKeys.length, class: 'group metric' }, 'Metrics') : null,
  );
  const head2 = h(
    'tr',
    null,
    h('th', null, all),
    sortTh('Run', 'attributes.run_name'),
    sortTh('Created', 'attributes.start_time'),
    h('th', null, 'Duration'),
    sortTh('Status', 'attributes.status'),
    sortTh('User', 'attributes.user_id'),
    paramKeys.map((k) => sortTh(k, `params.${quoteKey(k)}`, 'param')),
    metricKeys.map((k) => sortTh(k, `metrics.${quoteKey(k)}`, 'metric')),
  );
  const body = runs.map((r) => {
    const info = r.info;
    const params = kv(r.data.params);
    const metrics = Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, m.value]));
    const box = h('input', {
      type: 'checkbox',
      checked: picked.has(info.run_id),
      dataset: { run: info.run_id },
      onchange: (e) => {
        if (e.target.checked) picked.set(info.run_id, info.run_name);
        else picked.delete(info.run_id);
        onPick();
      },
    });
    return h(
      'tr',
      { dataset: { run: info.run_id } },
      h('td', null, box),
      h('td', { class: 'name' }, h('a', { href: `#/runs/${encodeURIComponent(info.run_id)}`, class: 'run-link' }, info.run_name || info.run_id.slice(0, 8))),
      h('td', { class: 'nowrap' }, fmtTime(info.start_time)),
      h('td', { class: 'nowrap' }, info.end_time ? fmtDuration(info.end_time - info.start_time) : ''),
      h('td', null, h('span', { class: `status ${String(info.status).toLowerCase()}` }, info.status)),
      h('td', null, info.user_id ?? ''),
      paramKeys.map((k) => h('td', { class: 'param' }, params[k] ?? '')),
      metricKeys.map((k) => h('td', { class: 'metric num' }, k in metrics ? fmtNum(metrics[k]) : '')),
    );
  });
  return h('div', { class: 'scroll' }, h('table', { class: 'grid runs', id: 'runs' }, h('thead', null, head1, head2), h('tbody', null, body)));
}

// The runs table: attributes, then metrics, then params (MLflow's order: results first), each
// column sortable by the server, the columns chosen by the user (kept in localStorage per set of
// experiments; the column sorted by always shows), and a sweep's trials under their parent.
import { fmtDuration, fmtNum, fmtTime, h, kv, muted, quoteKey } from '../dom.js';
import { BEST_RUN_TAG, parentOf, rankTrials, statusBadge, sweepGoal } from '../sweep-info.js';

const COLUMNS_KEY = 'mlx.columns.';
// Parents whose trials are shown, across re-renders of the page.
const expanded = new Set();

export function splitOrder(clause) {
  const m = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(clause.trim());
  return [m[1], (m[2] ?? 'ASC').toUpperCase()];
}

/** The sort clause after clicking a column: toggles direction, metrics and times start descending. */
function nextOrder(current, column) {
  const [col, dir] = current ? splitOrder(current) : ['attributes.start_time', 'DESC'];
  if (col === column) return `${column} ${dir === 'DESC' ? 'ASC' : 'DESC'}`;
  return `${column} ${column.startsWith('metrics.') || column.endsWith('_time') ? 'DESC' : 'ASC'}`;
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

/** Param values compared as numbers when both are numbers, else as text (numbers first); missing last. */
export function compareParams(a, b, dir = 'ASC') {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const na = NUMBER.test(a);
  const nb = NUMBER.test(b);
  const c = na && nb ? Number(a) - Number(b) : na !== nb ? (na ? -1 : 1) : a.localeCompare(b);
  return dir === 'DESC' ? -c : c;
}

function hiddenColumns(key) {
  try {
    return new Set(JSON.parse(localStorage.getItem(COLUMNS_KEY + key) ?? '[]'));
  } catch {
    return new Set();
  }
}

function saveHidden(key, hidden) {
  try {
    localStorage.setItem(COLUMNS_KEY + key, JSON.stringify([...hidden]));
  } catch {
    // Storage full or disabled: the choice lasts this page only.
  }
}

/** The "Columns" chooser: a checkbox per metric and param; onChange re-renders the table. */
function columnChooser(metricCols, paramCols, hidden, sorted, onChange) {
  const box = (col) =>
    h(
      'label',
      { class: 'pick' },
      h('input', {
        type: 'checkbox',
        value: col,
        checked: !hidden.has(col),
        disabled: col === sorted,
        onchange: (e) => {
          if (e.target.checked) hidden.delete(col);
          else hidden.add(col);
          onChange();
        },
      }),
      ` ${col.replace(/^(metrics|params)\./, '')}`,
    );
  const all = (show) => () => {
    for (const c of [...metricCols, ...paramCols]) {
      if (show) hidden.delete(c);
      else if (c !== sorted) hidden.add(c);
    }
    onChange();
  };
  const shown = [...metricCols, ...paramCols].filter((c) => !hidden.has(c)).length;
  const total = metricCols.length + paramCols.length;
  return h(
    'details',
    { class: 'columns', id: 'columns' },
    h('summary', null, `Columns (${shown} of ${total})`),
    h(
      'div',
      { class: 'columns-body' },
      h(
        'p',
        { class: 'toolbar' },
        h('button', { type: 'button', class: 'small', onclick: all(true) }, 'Show all'),
        h('button', { type: 'button', class: 'small', onclick: all(false) }, 'Hide all'),
      ),
      metricCols.length ? [h('h3', null, 'Metrics'), h('div', { class: 'picks' }, metricCols.map(box))] : null,
      paramCols.length ? [h('h3', null, 'Parameters'), h('div', { class: 'picks' }, paramCols.map(box))] : null,
    ),
  );
}

/**
 * The table (with its column chooser). childCounts: Map parent id → how many child runs it has;
 * loadChildren(id) fetches them when the parent is opened (then kept for this page).
 */
export function runsTable({ runs, childCounts = new Map(), loadChildren, order, sortBy, picked, onPick, expNames, columnsKey }) {
  if (!runs.length) return muted('No runs match.');
  const children = new Map();
  const failed = new Map();
  const [curCol, curDir] = order ? splitOrder(order) : ['attributes.start_time', 'DESC'];
  const hidden = hiddenColumns(columnsKey);
  const holder = h('div', { class: 'runs-holder' });
  const fetchKids = (id) => {
    if (children.has(id) || failed.has(id)) return;
    children.set(id, null);
    loadChildren(id)
      .then((kids) => children.set(id, kids))
      .catch((err) => (children.delete(id), failed.set(id, err.message)))
      .finally(render);
  };
  const render = () => {
    for (const r of runs) if (expanded.has(r.info.run_id) && childCounts.get(r.info.run_id)) fetchKids(r.info.run_id);
    const everyRun = [...runs, ...[...children.values()].filter(Boolean).flat()];
    const metricKeys = [...new Set(everyRun.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
    const paramKeys = [...new Set(everyRun.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
    const metricCols = metricKeys.map((k) => `metrics.${quoteKey(k)}`);
    const paramCols = paramKeys.map((k) => `params.${quoteKey(k)}`);
    saveHidden(columnsKey, hidden);
    const metrics = metricKeys.filter((k, i) => !hidden.has(metricCols[i]) || metricCols[i] === curCol);
    const params = paramKeys.filter((k, i) => !hidden.has(paramCols[i]) || paramCols[i] === curCol);
    const open = holder.querySelector('details.columns')?.open;
    const chooser = columnChooser(metricCols, paramCols, hidden, curCol, render);
    chooser.open = !!open;
    holder.replaceChildren(chooser, table(metrics, params));
  };

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

  const table = (metricShown, paramShown) => {
    const all = h('input', {
      type: 'checkbox',
      title: 'Pick all on this page',
      onchange: (e) => {
        for (const box of e.target.closest('table').querySelectorAll('tbody tr:not([hidden]) input[type=checkbox]')) {
          box.checked = e.target.checked;
          box.dispatchEvent(new Event('change'));
        }
      },
    });
    const fixed = expNames ? 7 : 6;
    const head1 = h(
      'tr',
      null,
      h('th', { colspan: fixed }, ''),
      metricShown.length ? h('th', { colspan: metricShown.length, class: 'group metric' }, 'Metrics') : null,
      paramShown.length ? h('th', { colspan: paramShown.length, class: 'group param' }, 'Parameters') : null,
    );
    const head2 = h(
      'tr',
      null,
      h('th', null, all),
      sortTh('Run', 'attributes.run_name'),
      expNames ? h('th', null, 'Experiment') : null,
      sortTh('Created', 'attributes.start_time'),
      h('th', null, 'Duration'),
      sortTh('Status', 'attributes.status'),
      sortTh('User', 'attributes.user_id'),
      metricShown.map((k) => sortTh(k, `metrics.${quoteKey(k)}`, 'metric')),
      paramShown.map((k) => sortTh(k, `params.${quoteKey(k)}`, 'param')),
    );
    const row = (r, { child = false, parentRow = null } = {}) => {
      const info = r.info;
      const tags = kv(r.data.tags);
      const params = kv(r.data.params);
      const metrics = Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, m.value]));
      const count = childCounts.get(info.run_id) ?? 0;
      // A sweep's parent carries its best trial's metric: marked as that trial's, not a result of its own.
      const copied = tags[BEST_RUN_TAG] ? sweepGoal(r).metric : null;
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
      const toggle = count
        ? h(
            'button',
            {
              type: 'button',
              class: 'link expand',
              dataset: { run: info.run_id },
              'aria-expanded': String(expanded.has(info.run_id)),
              title: expanded.has(info.run_id) ? 'Hide the trials' : 'Show the trials',
              onclick: () => {
                if (expanded.has(info.run_id)) expanded.delete(info.run_id);
                else expanded.add(info.run_id);
                render();
              },
            },
            `${expanded.has(info.run_id) ? '▾' : '▸'} ${count.toLocaleString('en')}`,
          )
        : null;
      const parent = parentOf(r);
      return h(
        'tr',
        { dataset: { run: info.run_id, ...(child ? { parent: parentRow } : {}) }, class: child ? 'child' : count ? 'parent' : null },
        h('td', null, box),
        h(
          'td',
          { class: 'name' },
          child ? h('span', { class: 'muted indent' }, '↳ ') : null,
          h('a', { href: `#/runs/${encodeURIComponent(info.run_id)}`, class: 'run-link' }, info.run_name || info.run_id.slice(0, 8)),
          toggle ? [' ', toggle] : null,
          !child && parent
            ? h('a', { class: 'muted child-of', href: `#/runs/${encodeURIComponent(parent)}`, title: 'parent run' }, ` ↰ ${parent.slice(0, 8)}`)
            : null,
        ),
        expNames
          ? h(
              'td',
              { class: 'experiment' },
              h('a', { href: `#/experiments/${encodeURIComponent(info.experiment_id)}` }, expNames.get(info.experiment_id) ?? info.experiment_id),
            )
          : null,
        h('td', { class: 'nowrap' }, fmtTime(info.start_time)),
        h('td', { class: 'nowrap' }, info.end_time ? fmtDuration(info.end_time - info.start_time) : ''),
        h('td', null, statusBadge(r)),
        h('td', null, info.user_id ?? ''),
        metricShown.map((k) =>
          k === copied
            ? h(
                'td',
                { class: 'metric num from-best', title: `the best trial's ${k} (run ${tags[BEST_RUN_TAG]})` },
                k in metrics ? `best ${fmtNum(metrics[k])}` : '',
              )
            : h('td', { class: 'metric num' }, k in metrics ? fmtNum(metrics[k]) : ''),
        ),
        paramShown.map((k) => h('td', { class: 'param' }, params[k] ?? '')),
      );
    };
    const span = metricShown.length + paramShown.length + (expNames ? 7 : 6);
    const body = runs.flatMap((r) => {
      const id = r.info.run_id;
      if (!childCounts.get(id) || !expanded.has(id)) return [row(r)];
      const kids = children.get(id);
      if (failed.has(id)) return [row(r), h('tr', { class: 'child' }, h('td', { colspan: span, class: 'error' }, failed.get(id)))];
      if (!kids) return [row(r), h('tr', { class: 'child loading' }, h('td', { colspan: span, class: 'muted' }, 'Loading the trials…'))];
      const { metric, goal } = sweepGoal(r);
      return [row(r), ...rankTrials(kids, metric, goal).map((c) => row(c, { child: true, parentRow: id }))];
    });
    return h('div', { class: 'scroll' }, h('table', { class: 'grid runs', id: 'runs' }, h('thead', null, head1, head2), h('tbody', null, body)));
  };
  render();
  return holder;
}

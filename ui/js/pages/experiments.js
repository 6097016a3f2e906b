// #/experiments: every experiment with its number of runs and a link to them; several can be
// picked and their runs listed together (#/runs?experiments=…), or all runs at once.
import { get, getMlx } from '../api.js';
import { add, fmtTime, h, kv, muted, table } from '../dom.js';

export async function renderExperiments(el, _args, query) {
  const view = query.get('view') === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY';
  const experiments = [];
  let token;
  do {
    const page = await get('experiments/search', { max_results: 1000, view_type: view, page_token: token });
    experiments.push(...(page.experiments ?? []));
    token = page.next_page_token;
  } while (token && experiments.length < 10_000);
  experiments.sort((a, b) => Number(a.experiment_id) - Number(b.experiment_id));

  const picked = new Set();
  const together = h('button', {
    type: 'button',
    id: 'runs-of-picked',
    disabled: true,
    onclick: () => (location.hash = `#/runs?experiments=${[...picked].map(encodeURIComponent).join(',')}`),
  });
  const updatePicked = () => {
    together.textContent = `Runs of ${picked.size} picked`;
    together.disabled = picked.size < 1;
  };
  updatePicked();
  // Counts arrive after the list: an experiment of 100,000 runs must not hold the page back.
  const countCells = new Map();
  const rows = experiments.map((e) => {
    const tags = kv(e.tags);
    const count = h('span', { class: 'muted run-count', dataset: { experiment: e.experiment_id } }, '…');
    countCells.set(e.experiment_id, count);
    return [
      h('input', {
        type: 'checkbox',
        dataset: { experiment: e.experiment_id },
        onchange: (ev) => (ev.target.checked ? picked.add(e.experiment_id) : picked.delete(e.experiment_id), updatePicked()),
      }),
      h('a', { href: `#/experiments/${encodeURIComponent(e.experiment_id)}`, class: 'exp-link' }, e.name),
      count,
      e.experiment_id,
      fmtTime(e.creation_time),
      fmtTime(e.last_update_time),
      tags['mlflow.note.content'] ?? '',
      e.artifact_location ?? '',
    ];
  });
  add(
    el,
    h('h1', null, view === 'ACTIVE_ONLY' ? 'Experiments' : 'Deleted experiments'),
    h(
      'p',
      { class: 'toolbar' },
      view === 'ACTIVE_ONLY' ? [h('a', { href: '#/runs?experiments=all', id: 'all-runs' }, 'All runs'), together] : null,
      h('span', { class: 'spacer' }),
      view === 'ACTIVE_ONLY' ? h('a', { href: '#/experiments?view=deleted' }, 'Show deleted') : h('a', { href: '#/experiments' }, 'Show active'),
    ),
    experiments.length
      ? table(['', 'Name', 'Runs', 'ID', 'Created', 'Last update', 'Description', 'Artifact location'], rows, { id: 'experiments' })
      : muted(view === 'ACTIVE_ONLY' ? 'No experiments yet: log a run with `mlx run` or `mlx log`.' : 'No deleted experiments.'),
  );
  fillCounts(experiments, countCells);
}

async function fillCounts(experiments, cells) {
  for (let i = 0; i < experiments.length; i += 100) {
    const ids = experiments.slice(i, i + 100).map((e) => e.experiment_id);
    try {
      const { counts } = await getMlx('experiments/run-counts', { experiment_ids: ids });
      for (const id of ids) {
        const c = counts?.[id];
        const cell = cells.get(id);
        if (!c || !cell) continue;
        cell.textContent = `${c.runs.toLocaleString('en')}${c.capped ? '+' : ''}`;
        cell.className = 'num run-count';
      }
    } catch {
      // An older server without the count endpoint: the column stays empty.
      for (const id of ids) if (cells.has(id)) cells.get(id).textContent = '';
    }
  }
}

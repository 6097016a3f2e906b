// #/experiments: every experiment, with a link to its runs.
import { get } from '../api.js';
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

  const rows = experiments.map((e) => {
    const tags = kv(e.tags);
    return [
      h('a', { href: `#/experiments/${encodeURIComponent(e.experiment_id)}`, class: 'exp-link' }, e.name),
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
      view === 'ACTIVE_ONLY' ? h('a', { href: '#/experiments?view=deleted' }, 'Show deleted') : h('a', { href: '#/experiments' }, 'Show active'),
    ),
    experiments.length
      ? table(['Name', 'ID', 'Created', 'Last update', 'Description', 'Artifact location'], rows, { id: 'experiments' })
      : muted(view === 'ACTIVE_ONLY' ? 'No experiments yet: log a run with `mlx run` or `mlx log`.' : 'No deleted experiments.'),
  );
}

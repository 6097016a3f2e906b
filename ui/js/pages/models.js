// #/models and #/models/:name: the model registry's models, and one model's versions,
// aliases, description and tags.
import { ApiError, del, get, getAll, patch, post } from '../api.js';
import { add, errorLine, fmtTime, h, kv, kvTable, muted, runLink, section, table } from '../dom.js';
import { descriptionEditor, renameHeading, tagsEditor } from '../edit.js';
import { modelHref, rerender, versionHref } from '../links.js';
import { aliasesEditor } from './aliases.js';

/** A string literal of the search grammar for s. */
export const literal = (s) => (s.includes("'") ? `"${s.replace(/"/g, '\\"')}"` : `'${s}'`);

const firstLine = (s) =>
  (s ?? '')
    .split('\n')
    .find((l) => l.trim())
    ?.replace(/^#+\s*/, '') ?? '';

export async function renderModels(el, _args, query) {
  const filterText = query.get('q') ?? '';
  const token = query.get('token') ?? '';
  // A plain word searches names; anything with an operator is passed on as a filter.
  const filter = !filterText ? undefined : /[=<>]|\blike\b/i.test(filterText) ? filterText : `name ILIKE ${literal(`%${filterText}%`)}`;
  let page = { registered_models: [] };
  let error = null;
  try {
    page = await get('registered-models/search', { filter, max_results: 100, page_token: token || undefined, order_by: 'name ASC' });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401 || err.status >= 500) throw err;
    error = err.message;
  }
  const models = page.registered_models ?? [];
  const input = h('input', { type: 'search', id: 'model-filter', value: filterText, placeholder: "model name, or a filter such as name LIKE 'pets%'" });
  const go = (q) => (location.hash = `#/models${q.toString() ? `?${q}` : ''}`);
  add(
    el,
    h('h1', null, 'Registered models'),
    h(
      'form',
      { class: 'filter', onsubmit: (e) => (e.preventDefault(), go(new URLSearchParams(input.value.trim() ? { q: input.value.trim() } : {}))) },
      input,
      h('button', { type: 'submit' }, 'Search'),
    ),
    error ? errorLine(error) : null,
    models.length
      ? table(
          ['Name', 'Latest version', 'Aliases', 'Last modified', 'Description'],
          models.map((m) => {
            const latest = [...(m.latest_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version))[0];
            return [
              h('a', { href: modelHref(m.name), class: 'model-link' }, m.name),
              latest ? h('a', { href: versionHref(m.name, latest.version) }, `Version ${latest.version}`) : '',
              aliasChips(m.name, m.aliases ?? []),
              fmtTime(m.last_updated_timestamp),
              firstLine(m.description),
            ];
          }),
          { id: 'models' },
        )
      : error
        ? null
        : muted(filterText ? 'No model matches.' : 'No registered models yet: register one with `mlx register`.'),
    h(
      'div',
      { class: 'pager' },
      token ? h('button', { type: 'button', onclick: () => go(new URLSearchParams(filterText ? { q: filterText } : {})) }, '« First') : null,
      page.next_page_token
        ? h(
            'button',
            { type: 'button', id: 'next', onclick: () => go(new URLSearchParams({ ...(filterText ? { q: filterText } : {}), token: page.next_page_token })) },
            'Next ›',
          )
        : null,
    ),
  );
}

function aliasChips(name, aliases) {
  return aliases.map((a) => h('a', { class: 'chip', href: versionHref(name, a.version), title: `version ${a.version}` }, `@${a.alias}`));
}

export async function renderModel(el, [name]) {
  const { registered_model: m } = await get('registered-models/get', { name });
  const versions = await getAll('model-versions/search', { filter: `name = ${literal(name)}`, max_results: 1000 }, 'model_versions', 10_000);
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  const tags = (m.tags ?? []).filter((t) => !t.key.startsWith('mlx.'));
  add(
    el,
    h('p', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / '),
    renameHeading({
      name: m.name,
      id: 'model-name',
      rename: async (next) => {
        await post('registered-models/rename', { name: m.name, new_name: next });
        location.hash = modelHref(next);
      },
    }),
    kvTable([
      ['Created', fmtTime(m.creation_timestamp)],
      ['Last modified', fmtTime(m.last_updated_timestamp)],
    ]),
    section(
      'Description',
      descriptionEditor({
        text: m.description ?? '',
        id: 'model-description',
        save: (text) => patch('registered-models/update', { name: m.name, description: text }),
      }),
    ),
    section(
      'Aliases',
      aliasesEditor(
        m.name,
        m.aliases ?? [],
        versions.map((v) => String(v.version)),
        rerender,
      ),
    ),
    section(
      'Versions',
      versions.length
        ? table(
            ['Version', 'Registered', 'Aliases', 'Run', 'Source', 'sha256', 'Description'],
            versions.map((v) => {
              const vt = kv(v.tags);
              return [
                h('a', { href: versionHref(m.name, v.version), class: 'version-link' }, `Version ${v.version}`),
                fmtTime(v.creation_timestamp),
                (v.aliases ?? []).map((a) => h('span', { class: 'chip' }, `@${a}`)),
                v.run_id ? runLink(v.run_id, v.run_id.slice(0, 8)) : '',
                h('code', null, v.source ?? ''),
                vt['mlx.sha256'] ? h('code', { title: vt['mlx.sha256'] }, vt['mlx.sha256'].slice(0, 12)) : '',
                firstLine(v.description),
              ];
            }),
            { id: 'versions' },
          )
        : muted('No versions.'),
    ),
    section(
      'Tags',
      tagsEditor({
        tags,
        id: 'model-tags',
        setTag: (key, value) => post('registered-models/set-tag', { name: m.name, key, value }),
        deleteTag: (key) => del('registered-models/delete-tag', { name: m.name, key }),
      }),
    ),
  );
}

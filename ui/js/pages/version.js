// #/models/:name/versions/:v: one model version: source, run, aliases, the ONNX facts mlx
// computed (sha256, size, opset, signature, labels, preprocessing) and its model card.
import { ApiError, del, fetchArtifact, get, getMlx, patch, post, saveBlob } from '../api.js';
import { add, fmtBytes, fmtTime, h, kv, kvTable, muted, runLink, section, table } from '../dom.js';
import { descriptionEditor, tagsEditor } from '../edit.js';
import { renderMarkdown } from '../markdown.js';
import { aliasesEditor } from './aliases.js';
import { rerender } from '../links.js';

function parseJson(text, fallback) {
  try {
    return text ? JSON.parse(text) : fallback;
  } catch {
    return fallback;
  }
}

const shape = (t) => `[${(t.shape ?? []).map((d, i) => (d === -1 || d === null ? (t.dimNames?.[i] ?? '?') : String(d))).join(', ')}]`;

function signatureTable(specs, id) {
  return table(
    ['Name', 'Type', 'Shape'],
    specs.map((t) => [h('code', null, t.name), t.type ?? '', h('code', null, shape(t))]),
    { id },
  );
}

export async function renderVersion(el, [name, version]) {
  const { model_version: v } = await get('model-versions/get', { name, version });
  const tags = kv(v.tags);
  const userTags = (v.tags ?? []).filter((t) => !t.key.startsWith('mlx.'));
  const signature = parseJson(tags['mlx.signature'], null);
  const labels = parseJson(tags['mlx.labels'], null);
  const opset = parseJson(tags['mlx.opset'], []);
  // The run and its experiment by name (a deleted or unknown run keeps its id).
  const run = v.run_id
    ? await get('runs/get', { run_id: v.run_id }).then(
        (r) => r.run,
        () => null,
      )
    : null;
  const exp = run
    ? await get('experiments/get', { experiment_id: run.info.experiment_id }).then(
        (r) => r.experiment,
        () => null,
      )
    : null;
  let card = null;
  try {
    card = (await getMlx('model-versions/card', { name, version })).markdown;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }

  const download = h(
    'button',
    {
      type: 'button',
      id: 'download-model',
      onclick: async () => {
        download.disabled = true;
        try {
          const { artifact_uri: uri } = await get('model-versions/get-download-uri', { name, version });
          const p = uri.replace(/^mlflow-artifacts:\/*/, '');
          saveBlob(await fetchArtifact(p), p.split('/').pop() || `${name}-${version}.onnx`);
        } catch (err) {
          download.after(h('span', { class: 'error' }, ` ${err.message}`));
        } finally {
          download.disabled = false;
        }
      },
    },
    'Download model',
  );

  add(
    el,
    h('p', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('a', { href: `#/models/${encodeURIComponent(name)}` }, name), ' / '),
    h('h1', { id: 'version-title' }, `${v.name} version ${v.version}`),
    kvTable([
      ['Registered', fmtTime(v.creation_timestamp)],
      ['Last modified', fmtTime(v.last_updated_timestamp)],
      ['Status', v.status ?? ''],
      // MLflow's stage (deprecated for aliases, still used by its clients), beside the aliases.
      ['Stage', v.current_stage ?? 'None'],
      // A version registered from a source mlx cannot serve (another flavor, files elsewhere) says what to do.
      ...(tags['mlx.not_servable'] ? [['Servable', h('span', { class: 'error', id: 'not-servable' }, `no: ${tags['mlx.not_servable']}`)]] : []),
      ['Source', h('code', null, v.source ?? '')],
      [
        'Run',
        v.run_id
          ? h('span', { id: 'version-run' }, runLink(v.run_id, run ? run.info.run_name || v.run_id : v.run_id), run && exp ? muted(` in ${exp.name}`) : null)
          : muted('none'),
      ],
      ['User', v.user_id ?? ''],
      ['sha256', h('code', { id: 'sha256' }, tags['mlx.sha256'] ?? '')],
      ['Size', tags['mlx.size'] ? fmtBytes(Number(tags['mlx.size'])) : ''],
      [
        'ONNX',
        [
          tags['mlx.producer'] ? `producer ${tags['mlx.producer']}` : null,
          tags['mlx.ir_version'] ? `IR ${tags['mlx.ir_version']}` : null,
          opset.length ? `opset ${opset.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}` : null,
        ]
          .filter(Boolean)
          .join(' · '),
      ],
      ['Preprocessing', tags['mlx.preprocess'] ? h('code', { id: 'preprocess' }, tags['mlx.preprocess']) : muted('none')],
    ]),
    h('p', { class: 'toolbar' }, download),
    section(
      'Description',
      descriptionEditor({
        text: v.description ?? '',
        id: 'version-description',
        save: (text) => patch('model-versions/update', { name, version: String(v.version), description: text }),
      }),
    ),
    section(
      'Aliases',
      aliasesEditor(
        name,
        (v.aliases ?? []).map((a) => ({ alias: a, version: v.version })),
        [String(v.version)],
        rerender,
        { fixedVersion: String(v.version) },
      ),
    ),
    section(
      'Signature',
      signature
        ? [
            h('h3', null, 'Inputs'),
            signatureTable(signature.inputs ?? [], 'sig-inputs'),
            h('h3', null, 'Outputs'),
            signatureTable(signature.outputs ?? [], 'sig-outputs'),
          ]
        : muted('No signature recorded.'),
    ),
    Array.isArray(labels) && labels.length
      ? section(
          `Labels (${labels.length})`,
          h(
            'ol',
            { class: 'labels', start: 0, id: 'labels' },
            labels.map((l) => h('li', null, String(l))),
          ),
        )
      : null,
    section(
      'Tags',
      tagsEditor({
        tags: userTags,
        id: 'version-tags',
        setTag: (key, value) => post('model-versions/set-tag', { name, version: String(v.version), key, value }),
        deleteTag: (key) => del('model-versions/delete-tag', { name, version: String(v.version), key }),
      }),
    ),
    section('Model card', card ? h('div', { id: 'model-card' }, renderMarkdown(card)) : muted('This version has no model card.')),
  );
}

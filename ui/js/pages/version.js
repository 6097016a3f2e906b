// #/models/:name/versions/:v: one model version: source, run, aliases, the ONNX facts mlx
// computed (sha256, size, opset, signature, labels, preprocessing) and its model card.
import { ApiError, fetchArtifact, get, getMlx, saveBlob } from '../api.js';
import { add, fmtBytes, fmtTime, h, kv, kvTable, muted, runLink, section, table } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { versionHref } from './models.js';

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
      [
        'Aliases',
        (v.aliases ?? []).length ? (v.aliases ?? []).map((a) => h('a', { class: 'chip', href: versionHref(name, v.version) }, `@${a}`)) : muted('none'),
      ],
      // MLflow's stage (deprecated for aliases, still used by its clients), beside the aliases.
      ['Stage', v.current_stage ?? 'None'],
      // A version registered from a source mlx cannot serve (another flavor, files elsewhere) says what to do.
      ...(tags['mlx.not_servable'] ? [['Servable', h('span', { class: 'error', id: 'not-servable' }, `no: ${tags['mlx.not_servable']}`)]] : []),
      ['Source', h('code', null, v.source ?? '')],
      ['Run', v.run_id ? runLink(v.run_id) : muted('none')],
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
    v.description ? section('Description', renderMarkdown(v.description)) : null,
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
    userTags.length
      ? section(
          'Tags',
          table(
            ['Name', 'Value'],
            userTags.map((t) => [t.key, t.value]),
          ),
        )
      : null,
    section('Model card', card ? h('div', { id: 'model-card' }, renderMarkdown(card)) : muted('This version has no model card.')),
  );
}

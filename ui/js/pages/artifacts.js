// A run's artifacts: a folder tree listed lazily (artifacts/list), downloads through the
// artifact proxy with the token (fetch + blob), previews of text (first 64 KB), CSV/TSV as a
// table, images; an ONNX file or a folder holding one can be registered as a model version.
import { fetchArtifact, fetchArtifactHead, get, runArtifactPath, saveBlob } from '../api.js';
import { fmtBytes, h, muted, section } from '../dom.js';
import { parseDelimited } from '../csv.js';
import { registerForm } from './register-form.js';

const IMAGE = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp', svg: 'image/svg+xml' };
const PREVIEW_BYTES = 64 * 1024;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const ext = (p) => (/\.([^./]+)$/.exec(p)?.[1] ?? '').toLowerCase();
const baseName = (p) => p.split('/').pop();

// Rows of a CSV preview: enough to see the columns and a screenful of data.
const CSV_ROWS = 100;
const DELIMITED = { csv: ',', tsv: '\t' };

export function artifactsSection(info) {
  const preview = h('div', { id: 'artifact-preview', class: 'preview' });
  const root = h('ul', { class: 'tree', id: 'artifacts-tree' });
  const el = section('Artifacts', root, preview);
  el.id = 'artifacts';
  listInto(root, info, '', preview).catch((err) => root.replaceChildren(h('li', { class: 'error' }, err.message)));
  return el;
}

async function listInto(ul, info, dir, preview) {
  ul.replaceChildren(h('li', { class: 'muted' }, 'Loading…'));
  const res = await get('artifacts/list', { run_id: info.run_id, path: dir || undefined });
  // MLflow answers paths relative to the run's root; accept ones relative to the folder too.
  const files = (res.files ?? []).map((f) => ({ ...f, path: dir && !f.path.startsWith(`${dir}/`) ? `${dir}/${f.path}` : f.path }));
  files.sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
  ul.replaceChildren(
    ...(files.length
      ? files.map((f) => (f.is_dir ? dirItem(info, f, preview) : fileItem(info, f, preview)))
      : [h('li', null, muted(dir ? 'Empty folder.' : 'No artifacts.'))]),
  );
}

function dirItem(info, f, preview) {
  const sub = h('ul', { class: 'tree', hidden: true });
  let loaded = false;
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'link dir',
      dataset: { path: f.path },
      'aria-expanded': 'false',
      onclick: () => {
        sub.hidden = !sub.hidden;
        toggle.setAttribute('aria-expanded', String(!sub.hidden));
        toggle.firstChild.textContent = sub.hidden ? '▸ ' : '▾ ';
        if (!loaded) {
          loaded = true;
          listInto(sub, info, f.path, preview).catch((err) => sub.replaceChildren(h('li', { class: 'error' }, err.message)));
        }
      },
    },
    h('span', null, '▸ '),
    `${baseName(f.path)}/`,
  );
  // A folder of a logged model (model/, a `log_model` folder) can be registered whole.
  return h('li', null, toggle, /model/i.test(baseName(f.path)) ? registerButton(info, f, preview) : null, sub);
}

function fileItem(info, f, preview) {
  const full = runArtifactPath(info, f.path);
  const show = () => showPreview(preview, full, f);
  return h(
    'li',
    { class: 'file' },
    h('button', { type: 'button', class: 'link file-name', dataset: { path: f.path }, onclick: show }, baseName(f.path)),
    h('span', { class: 'muted size' }, fmtBytes(f.file_size)),
    h(
      'button',
      {
        type: 'button',
        class: 'small download',
        dataset: { path: f.path },
        onclick: async (e) => {
          const btn = e.currentTarget;
          btn.disabled = true;
          try {
            saveBlob(await fetchArtifact(full), baseName(f.path));
          } catch (err) {
            showError(preview, f.path, err);
          } finally {
            btn.disabled = false;
          }
        },
      },
      'Download',
    ),
    ext(f.path) === 'onnx' ? registerButton(info, f, preview) : null,
  );
}

/** "Register": a form under the tree that registers runs:/RUN/PATH as a new version. */
function registerButton(info, f, preview) {
  return h(
    'button',
    {
      type: 'button',
      class: 'small register',
      dataset: { path: f.path },
      title: 'Register as a model version',
      onclick: () => preview.replaceChildren(h('h3', null, `Register ${f.path}`), registerForm(info.run_id, f.path)),
    },
    'Register',
  );
}

function showError(preview, name, err) {
  preview.replaceChildren(h('h3', null, name), h('p', { class: 'error' }, err.message));
}

async function showPreview(preview, full, f) {
  const old = preview.querySelector('img')?.src;
  if (old) URL.revokeObjectURL(old);
  preview.replaceChildren(h('h3', null, f.path), h('p', { class: 'muted' }, 'Loading…'));
  const body = [h('h3', null, f.path)];
  try {
    const type = IMAGE[ext(f.path)];
    if (type) {
      if (f.file_size > MAX_IMAGE_BYTES) body.push(muted(`${fmtBytes(f.file_size)}: too large to preview; download it.`));
      else {
        // An explicit type, so the browser renders it as an image whatever the server called it.
        const blob = new Blob([await fetchArtifact(full)], { type });
        body.push(h('img', { src: URL.createObjectURL(blob), alt: f.path, class: 'artifact-image' }));
      }
    } else {
      const { bytes, more } = await fetchArtifactHead(full, PREVIEW_BYTES);
      if (bytes.subarray(0, 8192).includes(0)) body.push(muted(`Binary file (${fmtBytes(f.file_size)}); download it to open.`));
      else if (DELIMITED[ext(f.path)]) body.push(...csvPreview(new TextDecoder('utf-8').decode(bytes), DELIMITED[ext(f.path)], more, f));
      else {
        body.push(h('pre', { class: 'artifact-text' }, new TextDecoder('utf-8').decode(bytes)));
        if (more) body.push(muted(`Showing the first ${fmtBytes(PREVIEW_BYTES)} of ${fmtBytes(f.file_size)}; download for the rest.`));
      }
    }
  } catch (err) {
    body.push(h('p', { class: 'error' }, err.message));
  }
  preview.replaceChildren(...body);
}

/** A delimited file's first rows as a table; the last line is dropped when the preview cut it. */
function csvPreview(text, delimiter, more, f) {
  const { rows, complete } = parseDelimited(text, delimiter, CSV_ROWS + 1, more);
  if (!rows.length) return [muted('Empty file.')];
  const [head, ...data] = rows;
  const shown = data.slice(0, CSV_ROWS);
  const width = Math.max(head.length, ...shown.map((r) => r.length));
  const cells = (r, tag) =>
    Array.from({ length: width }, (_, i) => h(tag, { class: tag === 'td' && /^-?[\d.]+(e-?\d+)?$/i.test(r[i] ?? '') ? 'num' : null }, r[i] ?? ''));
  const partial = more || data.length > CSV_ROWS || !complete;
  return [
    h(
      'div',
      { class: 'scroll csv-scroll' },
      h(
        'table',
        { class: 'grid csv', id: 'csv-preview' },
        h('thead', null, h('tr', null, cells(head, 'th'))),
        h(
          'tbody',
          null,
          shown.map((r) => h('tr', null, cells(r, 'td'))),
        ),
      ),
    ),
    muted(
      partial
        ? `The first ${shown.length} rows, ${width} columns (${fmtBytes(f.file_size)} in all); download for the rest.`
        : `${shown.length} rows, ${width} columns.`,
    ),
  ];
}

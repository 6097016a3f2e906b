// A run's artifacts: a folder tree listed lazily (artifacts/list), downloads through the
// artifact proxy with the token (fetch + blob), previews of text (first 64 KB) and images.
import { fetchArtifact, fetchArtifactHead, get, runArtifactPath, saveBlob } from '../api.js';
import { fmtBytes, h, muted, section } from '../dom.js';

const IMAGE = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp', svg: 'image/svg+xml' };
const PREVIEW_BYTES = 64 * 1024;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const ext = (p) => (/\.([^./]+)$/.exec(p)?.[1] ?? '').toLowerCase();
const baseName = (p) => p.split('/').pop();

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
  return h('li', null, toggle, sub);
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

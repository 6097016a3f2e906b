// Editing widgets shared by the run, model and version pages: a Markdown description, a tag
// table with add and remove, a rename field and a two-step delete. Each takes the write as a
// function (the page calls the REST API), shows the server's refusal on one line next to the
// form, and keeps what the user typed when a write fails.
import { h, muted, table } from './dom.js';
import { renderMarkdown } from './markdown.js';

/** Runs an async write with the button disabled; shows its error in `errorEl` (one line) and rethrows nothing. */
export async function attempt(button, errorEl, write) {
  errorEl.textContent = '';
  if (button) button.disabled = true;
  try {
    await write();
    return true;
  } catch (err) {
    errorEl.textContent = String(err.message ?? err).split('\n')[0];
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

const errorSpan = () => h('span', { class: 'error inline', role: 'alert' });

/**
 * A description shown as Markdown, with Edit → textarea → Save/Cancel. save(text) writes it;
 * an empty text clears it. Returns the element that holds the view and the form.
 */
export function descriptionEditor({ text, save, id, empty = 'No description.', maxBytes = 64 * 1024 }) {
  const box = h('div', { class: 'description-editor', id });
  let current = text ?? '';
  const view = () => {
    box.replaceChildren(
      current ? renderMarkdown(current) : muted(empty),
      h('p', { class: 'toolbar' }, h('button', { type: 'button', class: 'small edit', onclick: form }, current ? 'Edit description' : 'Add description')),
    );
  };
  const form = () => {
    const area = h('textarea', { rows: 8, class: 'markdown-input', placeholder: 'Markdown: **bold**, lists, tables, [links](https://…)' });
    area.value = current;
    const err = errorSpan();
    const saveBtn = h('button', { type: 'submit' }, 'Save');
    box.replaceChildren(
      h(
        'form',
        {
          class: 'edit-form',
          onsubmit: async (e) => {
            e.preventDefault();
            const next = area.value;
            if (new TextEncoder().encode(next).length > maxBytes) {
              err.textContent = `The description is over ${Math.round(maxBytes / 1024)} KB: shorten it.`;
              return;
            }
            if (await attempt(saveBtn, err, () => save(next))) {
              current = next;
              view();
            }
          },
        },
        area,
        h('p', { class: 'toolbar' }, saveBtn, h('button', { type: 'button', class: 'link', onclick: view }, 'Cancel'), err),
      ),
    );
    area.focus();
  };
  view();
  return box;
}

/**
 * Tags as a table with a remove button each and an add/overwrite form. setTag(key, value) and
 * deleteTag(key) write; the table updates when they succeed. hidden(key) keeps system tags out.
 */
export function tagsEditor({ tags, setTag, deleteTag, id }) {
  const current = new Map(tags.map((t) => [t.key, t.value]));
  const box = h('div', { class: 'tags-editor', id });
  const err = errorSpan();
  const render = () => {
    const keys = [...current.keys()].sort();
    const rows = keys.map((k) => [
      h('span', { class: 'tag-key' }, k),
      h('span', { class: 'value' }, current.get(k)),
      h(
        'button',
        {
          type: 'button',
          class: 'small remove-tag',
          title: `Remove tag ${k}`,
          dataset: { key: k },
          onclick: async (e) => {
            if (await attempt(e.currentTarget, err, () => deleteTag(k))) {
              current.delete(k);
              render();
            }
          },
        },
        'Remove',
      ),
    ]);
    const key = h('input', { name: 'tag-key', placeholder: 'key', required: true, maxlength: 250, autocomplete: 'off' });
    const value = h('input', { name: 'tag-value', placeholder: 'value', maxlength: 8000, autocomplete: 'off' });
    const addBtn = h('button', { type: 'submit' }, 'Set tag');
    box.replaceChildren(
      keys.length ? table(['Name', 'Value', ''], rows, { class: 'grid tags' }) : muted('No tags.'),
      h(
        'form',
        {
          class: 'tag-form toolbar',
          onsubmit: async (e) => {
            e.preventDefault();
            const k = key.value.trim();
            if (!k) return;
            if (await attempt(addBtn, err, () => setTag(k, value.value))) {
              current.set(k, value.value);
              render();
            }
          },
        },
        key,
        value,
        addBtn,
      ),
      err,
    );
  };
  render();
  return box;
}

/** A button that asks again inline (no window.confirm: it blocks and tests cannot see it), then runs act(). */
export function confirmButton({ label, question, confirmLabel = label, act, id, cls = 'small danger' }) {
  const wrap = h('span', { class: 'confirm' });
  const err = errorSpan();
  const ask = () => {
    const yes = h('button', { type: 'button', class: `${cls} confirm-yes`, onclick: async () => (await attempt(yes, err, act)) && idle() }, confirmLabel);
    wrap.replaceChildren(h('span', null, `${question} `), yes, h('button', { type: 'button', class: 'link', onclick: idle }, 'Cancel'), err);
  };
  const idle = () => wrap.replaceChildren(h('button', { type: 'button', class: cls, id, onclick: ask }, label));
  idle();
  return wrap;
}

/** An inline rename: the name as a heading with a Rename button that turns into a field. */
export function renameHeading({ name, rename, id, placeholder }) {
  const wrap = h('div', { class: 'rename' });
  let current = name;
  const show = () =>
    wrap.replaceChildren(
      h('h1', { id }, current || placeholder),
      h('button', { type: 'button', class: 'small rename-btn', title: 'Rename', onclick: edit }, 'Rename'),
    );
  const edit = () => {
    const input = h('input', { value: current, id: `${id}-input`, maxlength: 250, required: true, autocomplete: 'off' });
    const err = errorSpan();
    const ok = h('button', { type: 'submit' }, 'Save');
    wrap.replaceChildren(
      h(
        'form',
        {
          class: 'toolbar',
          onsubmit: async (e) => {
            e.preventDefault();
            const next = input.value.trim();
            if (!next) return void (err.textContent = 'A name cannot be empty.');
            if (await attempt(ok, err, () => rename(next))) {
              current = next;
              show();
            }
          },
        },
        input,
        ok,
        h('button', { type: 'button', class: 'link', onclick: show }, 'Cancel'),
        err,
      ),
    );
    input.focus();
  };
  show();
  return wrap;
}

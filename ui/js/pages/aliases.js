// A model's aliases as a table that edits them: move an alias to another version, delete it, or
// add one (registered-models/alias, POST to set and move, DELETE to remove), as
// `mlx models alias` does from the command line.
import { del, post } from '../api.js';
import { h, muted, table } from '../dom.js';
import { attempt, confirmButton } from '../edit.js';
import { versionHref } from '../links.js';

const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;

/** Why an alias is refused, in the server's words, or null (checked here too so nothing is sent). */
export function aliasProblem(a) {
  if (!a) return 'Give the alias a name.';
  if (!ALIAS.test(a)) return `Alias ${JSON.stringify(a)} may hold only letters, digits, "_" and "-".`;
  if (a.toLowerCase() === 'latest' || /^v\d+$/i.test(a))
    return `Alias ${JSON.stringify(a)} is reserved ("latest" and "v<number>" name versions in model URIs); pick another, e.g. "champion".`;
  return null;
}

/**
 * aliases: [{alias, version}]; versions: the model's version numbers (as strings), newest first.
 * onChange() is called after each write so the page can show the new state.
 */
export function aliasesEditor(name, aliases, versions, onChange, { fixedVersion = null } = {}) {
  const err = h('span', { class: 'error inline', role: 'alert' });
  const versionSelect = (current, attrs = {}) =>
    h(
      'select',
      attrs,
      versions.map((v) => h('option', { value: v, selected: String(v) === String(current) }, `version ${v}`)),
    );
  const rows = [...aliases]
    .sort((a, b) => a.alias.localeCompare(b.alias))
    .map((a) => {
      const move = versionSelect(a.version, { class: 'move-alias', dataset: { alias: a.alias }, title: `Move @${a.alias} to another version` });
      move.addEventListener('change', async () => {
        if (await attempt(move, err, () => post('registered-models/alias', { name, alias: a.alias, version: move.value }))) onChange();
        else move.value = String(a.version);
      });
      return [
        h('a', { class: 'chip', href: versionHref(name, a.version) }, `@${a.alias}`),
        fixedVersion ? `version ${a.version}` : move,
        confirmButton({
          label: 'Delete',
          question: `Delete @${a.alias}?`,
          cls: 'small danger delete-alias',
          act: async () => (await del('registered-models/alias', { name, alias: a.alias }), onChange()),
        }),
      ];
    });
  const aliasInput = h('input', { name: 'alias', class: 'new-alias', placeholder: 'alias, e.g. champion', maxlength: 255, autocomplete: 'off' });
  const target = fixedVersion ? null : versionSelect(versions[0], { class: 'new-alias-version' });
  const add = h('button', { type: 'submit' }, fixedVersion ? 'Set alias on this version' : 'Set alias');
  return h(
    'div',
    { class: 'aliases-editor' },
    rows.length ? table(['Alias', 'Version', ''], rows, { class: 'grid aliases', id: 'aliases' }) : muted('No aliases.'),
    versions.length
      ? h(
          'form',
          {
            class: 'toolbar alias-form',
            onsubmit: async (e) => {
              e.preventDefault();
              const a = aliasInput.value.trim();
              const problem = aliasProblem(a);
              if (problem) return void (err.textContent = problem);
              const version = fixedVersion ?? target.value;
              if (await attempt(add, err, () => post('registered-models/alias', { name, alias: a, version: String(version) }))) onChange();
            },
          },
          aliasInput,
          target,
          add,
        )
      : null,
    err,
  );
}

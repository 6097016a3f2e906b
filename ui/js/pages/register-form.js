// Registers a run's artifact as a new model version, as `mlx register runs:/RUN/PATH --name N
// [--alias A]` does: the model is created when it does not exist (registered-models/create),
// then model-versions/create with the runs:/ source, then the alias (registered-models/alias).
import { ApiError, get, getAll, post } from '../api.js';
import { h } from '../dom.js';
import { attempt } from '../edit.js';
import { aliasProblem } from './aliases.js';
import { versionHref } from '../links.js';

/** The form; on success it links to the new version. */
export function registerForm(runId, artifactPath) {
  const listId = `models-${Math.random().toString(36).slice(2)}`;
  const name = h('input', {
    name: 'model-name',
    id: 'register-name',
    required: true,
    maxlength: 250,
    placeholder: 'model name',
    list: listId,
    autocomplete: 'off',
  });
  const alias = h('input', { name: 'alias', id: 'register-alias', placeholder: 'alias (optional), e.g. challenger', maxlength: 255, autocomplete: 'off' });
  const names = h('datalist', { id: listId });
  getAll('registered-models/search', { max_results: 1000 }, 'registered_models', 1000)
    .then((ms) => names.replaceChildren(...ms.map((m) => h('option', { value: m.name }))))
    .catch(() => {});
  const err = h('span', { class: 'error inline', role: 'alert' });
  const done = h('p', { class: 'register-done', id: 'register-done' });
  const submit = h('button', { type: 'submit' }, 'Register');
  return h(
    'form',
    {
      class: 'register-form',
      id: 'register-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const model = name.value.trim();
        const a = alias.value.trim();
        if (!model) return void (err.textContent = 'Give the model a name.');
        // Checked here as well as by the server, so a bad alias registers nothing.
        if (a && aliasProblem(a)) return void (err.textContent = aliasProblem(a));
        await attempt(submit, err, async () => {
          try {
            await get('registered-models/get', { name: model });
          } catch (e2) {
            if (!(e2 instanceof ApiError) || e2.status !== 404) throw e2;
            await post('registered-models/create', { name: model });
          }
          const { model_version: v } = await post('model-versions/create', { name: model, source: `runs:/${runId}/${artifactPath}`, run_id: runId });
          if (a) await post('registered-models/alias', { name: model, alias: a, version: String(v.version) });
          done.replaceChildren(
            'Registered ',
            h('a', { href: versionHref(model, v.version), id: 'registered-link' }, `${model} version ${v.version}`),
            a ? ` with alias @${a}` : '',
            '.',
          );
        });
      },
    },
    names,
    h('p', { class: 'toolbar' }, h('label', null, 'Model ', name), h('label', null, 'Alias ', alias), submit),
    err,
    done,
  );
}

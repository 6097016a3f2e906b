import type { Command } from 'commander';
import { withStore } from '../context.js';
import { examples } from '../help.js';

/** `mlx models list|show|alias|stage|tag|card|update|delete`. */
export function registerModelsCommands(program: Command): void {
  const models = program
    .command('models')
    .description('the model registry: versions, aliases, tags, model cards')
    .summary('registered models, versions and aliases')
    .addHelpText('after', examples(['mlx models list', 'mlx models show pets-classifier@champion', 'mlx models alias pets-classifier 4 champion']));
  modelsList(models);
  modelsShow(models);
  modelsAlias(models);
  modelsStage(models);
  modelsTag(models);
  modelsUpdate(models);
  modelsCard(models);
  modelsDelete(models);
}

/** `mlx models list`. */
function modelsList(models: Command): void {
  models
    .command('list')
    .description('list registered models')
    .option('--json', 'print {"registered_models":[...]} as JSON')
    .addHelpText('after', examples(['mlx models list', 'mlx models list --json']))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { listModels } = await import('./models-show.js');
      await listModels(cmd, opts);
    });
}

/** `mlx models show`. */
function modelsShow(models: Command): void {
  models
    .command('show <model>')
    .description('a model (NAME) with its versions, or one version (NAME/3, NAME@alias, NAME/latest)')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx models show pets-classifier  # the model and its versions',
        'mlx models show pets-classifier@champion  # one version: signature, labels, lineage',
        'mlx models show pets-classifier/3 --json',
      ]),
    )
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const { showModel } = await import('./models-show.js');
      await showModel(cmd, ref, opts);
    });
}

/** `mlx models alias`. */
function modelsAlias(models: Command): void {
  models
    .command('alias <name> <version-or-alias> [alias]')
    .description(
      'point ALIAS at VERSION (moving it if it exists): alias NAME VERSION ALIAS or alias NAME/VERSION ALIAS (models:/NAME/VERSION too); remove: alias --delete NAME ALIAS',
    )
    .option('--delete', 'delete the alias instead')
    .addHelpText(
      'after',
      examples(['mlx models alias pets-classifier 4 champion  # point (or move) an alias', 'mlx models alias --delete pets-classifier challenger']),
    )
    .action(async (first: string, second: string, third: string | undefined, opts: { delete?: boolean }, cmd: Command) => {
      const { MlxError } = await import('../../core/errors.js');
      const { parseVersion } = await import('../../core/validation.js');
      const { parseRegistryRef } = await import('../../core/uri.js');
      const { printable } = await import('../output.js');
      const ref = parseRegistryRef(first.startsWith('models:/') ? first.slice('models:/'.length) : first, { allowBare: true });
      // NAME/VERSION ALIAS: the version is in the first argument.
      const inRef = ref.selector !== null && 'version' in ref.selector ? ref.selector.version : null;
      const usage = opts.delete ? 'usage: mlx models alias --delete NAME ALIAS' : 'usage: mlx models alias NAME VERSION ALIAS (or NAME/VERSION ALIAS)';
      if (ref.selector !== null && (opts.delete || inRef === null || third !== undefined)) throw new MlxError('USAGE', usage);
      if (inRef === null && (opts.delete ? third !== undefined : third === undefined)) throw new MlxError('USAGE', usage);
      const alias = opts.delete || inRef !== null ? second : third!;
      const version = opts.delete ? null : (inRef ?? parseVersion(second));
      // The version the alias pointed at before, for the confirmation (null: it is new).
      const before = await withStore(cmd, false, async (store) => {
        const was = await store.getModelVersionByAlias(ref.name, alias).then(
          (v) => v.version,
          () => null,
        );
        await (version === null ? store.deleteRegisteredModelAlias(ref.name, alias) : store.setRegisteredModelAlias(ref.name, alias, version));
        return was;
      });
      const shown = printable(`${ref.name}@${alias}`);
      process.stderr.write(
        version === null
          ? `mlx: deleted alias ${shown}${before !== null ? ` (it pointed at version ${before})` : ''}\n`
          : `mlx: ${shown} → version ${version}${before === null ? ' (new alias)' : before === version ? ' (unchanged)' : ` (was version ${before})`}\n`,
      );
    });
}

/** `mlx models stage`: MLflow's stages, for teams whose MLflow code still uses them. */
function modelsStage(models: Command): void {
  models
    .command('stage <model> <stage>')
    .description('move a version (NAME/3, NAME@alias) to an MLflow stage: None, Staging, Production or Archived (aliases are the newer way)')
    .option('--archive-existing', "archive the model's other versions in that stage (Staging or Production)")
    .option('--json', 'print the version as JSON')
    .addHelpText('after', examples(['mlx models stage pets-classifier/4 Production --archive-existing', 'mlx models stage models:/pets-classifier/3 Archived']))
    .action(async (ref: string, stageText: string, opts: { archiveExisting?: boolean; json?: boolean }, cmd: Command) => {
      const { MlxError } = await import('../../core/errors.js');
      const { MODEL_STAGES } = await import('../../core/entities.js');
      const stage = MODEL_STAGES.find((s) => s.toLowerCase() === stageText.toLowerCase());
      if (!stage) throw new MlxError('USAGE', `stage ${JSON.stringify(stageText)} is not one of ${MODEL_STAGES.join(', ')}`);
      if (opts.archiveExisting && stage !== 'Staging' && stage !== 'Production')
        throw new MlxError('USAGE', `--archive-existing archives other versions in Staging or Production, not ${stage}`);
      const { resolveRef } = await import('./models-show.js');
      const { print, printJson } = await import('../output.js');
      const v = await withStore(cmd, false, async (store) => {
        const r = await resolveRef(store, ref, { latestForBare: false });
        if (r.version === null) throw new MlxError('USAGE', `name a version: ${r.name}/3, ${r.name}@ALIAS or models:/${r.name}/3`);
        return store.transitionModelVersionStage(r.name, r.version, stage, !!opts.archiveExisting);
      });
      if (opts.json) printJson({ model_version: v });
      else print(`${v.name} version ${v.version} is in stage ${v.current_stage}`);
    });
}

/** `mlx models tag`. */
function modelsTag(models: Command): void {
  models
    .command('tag <model> <key> [value]')
    .description('set a tag on a model (NAME) or a version (NAME/3, NAME@alias); --delete removes it')
    .option('--delete', 'delete the tag instead')
    .addHelpText(
      'after',
      examples([
        'mlx models tag pets-classifier/4 validated yes',
        'mlx models tag pets-classifier team vision  # on the model itself',
        'mlx models tag --delete pets-classifier/4 validated',
      ]),
    )
    .action(async (ref: string, key: string, value: string | undefined, opts: { delete?: boolean }, cmd: Command) => {
      const { MlxError } = await import('../../core/errors.js');
      if (opts.delete ? value !== undefined : value === undefined)
        throw new MlxError('USAGE', opts.delete ? 'usage: mlx models tag --delete MODEL KEY' : 'usage: mlx models tag MODEL KEY VALUE');
      const { resolveRef } = await import('./models-show.js');
      const target = await withStore(cmd, false, async (store) => {
        const r = await resolveRef(store, ref);
        if (r.version === null) await (opts.delete ? store.deleteRegisteredModelTag(r.name, key) : store.setRegisteredModelTag(r.name, key, value!));
        else await (opts.delete ? store.deleteModelVersionTag(r.name, r.version, key) : store.setModelVersionTag(r.name, r.version, key, value!));
        return r.version === null ? `model ${r.name}` : `${r.name} version ${r.version}`;
      });
      const { printable } = await import('../output.js');
      process.stderr.write(printable(opts.delete ? `mlx: deleted tag ${key} from ${target}` : `mlx: tagged ${target}: ${key}=${value}`) + '\n');
    });
}

/** `mlx models update`. */
function modelsUpdate(models: Command): void {
  models
    .command('update <model>')
    .description('change the description of a model (NAME) or a version (NAME/3, NAME@alias)')
    .requiredOption('--description <text>', 'the new description')
    .addHelpText(
      'after',
      examples([
        'mlx models update pets-classifier/4 --description "ResNet-50 fine-tuned with AdamW, 20 epochs"',
        'mlx models update pets-classifier --description "Classifies pet photos into cat, dog, bird, fish, other"',
      ]),
    )
    .action(async (ref: string, opts: { description: string }, cmd: Command) => {
      const { resolveRef } = await import('./models-show.js');
      await withStore(cmd, false, async (store) => {
        const r = await resolveRef(store, ref);
        if (r.version === null) await store.updateRegisteredModel(r.name, { description: opts.description });
        else await store.updateModelVersion(r.name, r.version, { description: opts.description });
      });
    });
}

/** `mlx models card`. */
function modelsCard(models: Command): void {
  models
    .command('card <model>')
    .description('render the Markdown model card of a version (NAME, NAME/3, NAME@alias; NAME means latest)')
    .option('--out <file>', 'write the card to FILE instead of stdout')
    .addHelpText('after', examples(['mlx models card pets-classifier@champion --out MODEL_CARD.md', 'mlx models card pets-classifier/3  # Markdown on stdout']))
    .action(async (ref: string, opts: { out?: string }, cmd: Command) => {
      const { resolveRef } = await import('./models-show.js');
      const { modelCardText, writeModelCard } = await import('../../models/register.js');
      const text = await withStore(cmd, false, async (store) => {
        const r = await resolveRef(store, ref, { latestForBare: true });
        const version = await store.getModelVersion(r.name, r.version!);
        if (opts.out) {
          await writeModelCard(store, version, opts.out);
          return null;
        }
        return modelCardText(store, version);
      });
      if (text !== null) process.stdout.write(text);
    });
}

/** `mlx models delete`. */
function modelsDelete(models: Command): void {
  models
    .command('delete <model>')
    .description('delete a version (NAME/3) or a whole model (NAME); aliased versions need --force')
    .option('--force', 'delete even when aliases point at what is deleted')
    .addHelpText('after', examples(['mlx models delete pets-classifier/3', 'mlx models delete pets-classifier --force  # every version, aliases too']))
    .action(async (ref: string, opts: { force?: boolean }, cmd: Command) => {
      const { deleteModel } = await import('./models-show.js');
      await deleteModel(cmd, ref, opts);
    });
}

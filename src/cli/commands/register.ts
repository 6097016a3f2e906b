import type { Command } from 'commander';
import { collect, withCheckedStore } from '../context.js';
import { examples } from '../help.js';

interface RegisterOptions {
  name: string;
  run?: string;
  alias?: string;
  description?: string;
  labels?: string;
  preprocess?: string;
  tag?: string[];
  maxModelMb?: string;
  schema?: string;
  json?: boolean;
}

/** `mlx register SOURCE --name NAME …`: an ONNX model becomes version N+1 of NAME. */
export function registerRegisterCommand(program: Command): void {
  program
    .command('register <source>')
    .description('register an ONNX model (file, runs:/RUN_ID/PATH or models:/…) as the next version of NAME')
    .summary('register an ONNX model version')
    .requiredOption('--name <name>', 'registered model name (created on first use)')
    .option('--run <id>', 'the run that produced the model (default: the run of a runs:/ source)')
    .option('--alias <alias>', 'point this alias (e.g. champion) at the new version')
    .option('--description <text>', 'what the model is for (goes into the model card)')
    .option('--labels <file>', 'class names, one per line, in output order')
    .option('--preprocess <spec>', 'e.g. "image:224x224,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw" or "tabular"')
    .option('-t, --tag <key=value>', 'set a version tag (repeatable)', collect)
    .option('--schema <file>', 'a data schema (mlx data profile --out) to keep with the version: mlx serve and mlx containerize then enforce it')
    .option('--max-model-mb <mb>', 'refuse model files larger than this (default: MLX_MAX_MODEL_MB, else 2048, the most protobuf reads)')
    .option('--json', 'print the new version as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx register model.onnx --name pets-classifier --run 060a59 --alias champion --labels labels.txt',
        'mlx register runs:/060a59/model --name pets-classifier --description "Classifies pet photos into cat, dog, bird, fish, other"',
        'mlx register value.onnx --name customer-value --preprocess tabular --tag validated=yes',
      ]),
    )
    .action(async (source: string, opts: RegisterOptions, cmd: Command) => {
      const { prepareRegistration, commitRegistration } = await import('../../models/register.js');
      const { parseKeyValue } = await import('../../core/validation.js');
      const { currentUser } = await import('../../app/source-info.js');
      const tags = Object.fromEntries((opts.tag ?? []).map((t) => parseKeyValue('tag', t)));
      const { modelLimitBytes } = await import('../../models/model-file.js');
      const modelLimit = opts.maxModelMb === undefined ? undefined : { bytes: modelLimitBytes(opts.maxModelMb, '--max-model-mb'), from: '--max-model-mb' };
      const { schemaOption } = await import('../../app/model-schema.js');
      const schema = opts.schema === undefined ? undefined : schemaOption('--schema', opts.schema);
      const res = await withCheckedStore(
        cmd,
        (store) =>
          prepareRegistration(store, {
            source,
            name: opts.name,
            runId: opts.run,
            alias: opts.alias,
            description: opts.description,
            labelsFile: opts.labels,
            preprocess: opts.preprocess,
            tags,
            userId: currentUser(),
            modelLimit,
            ...(schema ? { schema: { file: schema.file, text: schema.text } } : {}),
          }),
        commitRegistration,
      );
      for (const w of res.warnings) process.stderr.write(`mlx: warning: ${w}\n`);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ model_version: res.version, warnings: res.warnings, card: res.card, ...(res.schema ? { data_schema: res.schema } : {}) }, null, 2)}\n`,
        );
        return;
      }
      const v = res.version;
      const alias = v.aliases.length ? ` (${v.aliases.map((a) => `@${a}`).join(', ')})` : '';
      process.stdout.write(
        `Registered ${v.name} version ${v.version}${alias}: models:/${v.name}/${v.version}\n` +
          `  sha256 ${v.sha256}${res.storedNewBytes ? '' : ' (same bytes as an earlier version: stored once)'}\n` +
          `  model card ${res.card}\n` +
          (res.schema ? `  data schema ${res.schema}\n` : ''),
      );
    });
}

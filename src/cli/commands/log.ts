import fs from 'node:fs';
import type { Command } from 'commander';
import { activeRun, withStore } from '../context.js';
import { examples } from '../help.js';

interface RunOpt {
  run?: string;
}

/** `mlx log param|metric|tag|artifact|batch|dataset`: write to the active run. Kept light: this is the hot path. */
export function registerLogCommands(program: Command): void {
  const log = program
    .command('log')
    .description('log params, metrics, tags, artifacts and datasets to a run')
    .summary('log params, metrics, artifacts to a run')
    .addHelpText(
      'after',
      examples([
        'mlx log metric val_accuracy 0.91 --step 3  # inside `mlx run`, MLX_RUN_ID names the run',
        'mlx log param batch_size 64 --run 060a59',
        'mlx log artifact confusion_matrix.png --artifact-path plots',
      ]),
    );
  logParam(log);
  logMetric(log);
  logTag(log);
  logArtifact(log);
  logBatch(log);
  logDataset(log);
}

/** `mlx log param`. */
function logParam(log: Command): void {
  log
    .command('param <key> <value>')
    .description('log a parameter (immutable once set)')
    .option('--run <id>', 'run id or unique prefix (default: MLX_RUN_ID)')
    .addHelpText('after', examples(['mlx log param learning_rate 0.001  # inside `mlx run`', 'mlx log param optimizer AdamW --run 060a59']))
    .action(async (key: string, value: string, opts: RunOpt, cmd: Command) => {
      await withStore(cmd, false, async (store) => store.logParam(await activeRun(store, opts.run), key, value));
    });
}

/** `mlx log metric`. */
function logMetric(log: Command): void {
  log
    .command('metric <key> <value>')
    .description('log a metric value (NaN and Infinity are kept)')
    .option('--run <id>', 'run id or unique prefix (default: MLX_RUN_ID)')
    .option('--step <n>', 'training step or epoch (integer)', '0')
    .option('--timestamp <ms>', 'epoch milliseconds (default: now)')
    // Lets -Infinity through as the value rather than as a flag; the action then refuses
    // what commander would have (unknown options, extra arguments) with the same exit code.
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', examples(['mlx log metric train_loss 0.42 --step 3  # inside `mlx run`', 'mlx log metric val_accuracy 0.91 --run 060a59 --step 20']))
    .action(async (key: string, value: string, opts: RunOpt & { step: string; timestamp?: string }, cmd: Command) => {
      const { parseMetricValue, validateKey } = await import('../../core/validation.js');
      const { intFlag } = await import('../flags.js');
      const { MlxError } = await import('../../core/errors.js');
      const args = cmd.args;
      const flag = args.find((a) => a.startsWith('-') && !/^-(\d|\.\d|inf(inity)?$|nan$)/i.test(a));
      if (flag) throw new MlxError('USAGE', `unknown option '${flag}' (see --help)`);
      if (args.length > 2) throw new MlxError('USAGE', `too many arguments for 'metric': expected KEY VALUE, got ${args.length} (see --help)`);
      validateKey('metric', key);
      const metric = {
        key,
        value: parseMetricValue(key, value),
        step: intFlag('--step', opts.step, { min: -Infinity }),
        timestamp: opts.timestamp === undefined ? Date.now() : intFlag('--timestamp', opts.timestamp, { min: 0 }),
      };
      await withStore(cmd, false, async (store) => store.logMetric(await activeRun(store, opts.run), metric));
    });
}

/** `mlx log tag`. */
function logTag(log: Command): void {
  log
    .command('tag <key> <value>')
    .description('set a tag (tags can change)')
    .option('--run <id>', 'run id or unique prefix (default: MLX_RUN_ID)')
    .addHelpText('after', examples(['mlx log tag stage baseline  # inside `mlx run`', 'mlx log tag reviewed yes --run 060a59']))
    .action(async (key: string, value: string, opts: RunOpt, cmd: Command) => {
      await withStore(cmd, false, async (store) => store.setTag(await activeRun(store, opts.run), key, value));
    });
}

/** `mlx log artifact`. */
function logArtifact(log: Command): void {
  log
    .command('artifact <path>')
    .description("copy a file or folder into the run's artifacts")
    .option('--run <id>', 'run id or unique prefix (default: MLX_RUN_ID)')
    .option('--artifact-path <dir>', 'folder inside the run artifacts to copy into')
    .option('--json', 'print the stored paths as JSON')
    .addHelpText('after', examples(['mlx log artifact model.onnx --artifact-path model', 'mlx log artifact plots/ --run 060a59  # a folder, recursively']))
    .action(async (src: string, opts: RunOpt & { artifactPath?: string; json?: boolean }, cmd: Command) => {
      const { checkArtifactPath } = await import('../../artifacts/artifact-path.js');
      const { artifactRepository } = await import('../../artifacts/open-repository.js');
      const artifactPath = checkArtifactPath(opts.artifactPath);
      const stored = await withStore(cmd, false, async (store) => {
        const run = await store.getRun(await activeRun(store, opts.run));
        if (run.info.lifecycle_stage !== 'active') {
          const { MlxError } = await import('../../core/errors.js');
          throw new MlxError('INVALID_STATE', `run ${run.info.run_id} is deleted; restore it first: mlx runs restore ${run.info.run_id}`);
        }
        const repo = await artifactRepository(run.info.artifact_uri, store.uri, store.http);
        return { run_id: run.info.run_id, paths: await repo.log(src, artifactPath) };
      });
      if (opts.json) process.stdout.write(`${JSON.stringify({ run_id: stored.run_id, artifacts: stored.paths })}\n`);
    });
}

/** `mlx log batch`. */
function logBatch(log: Command): void {
  log
    .command('batch <file>')
    .description('log JSON lines ({"type":"metric","key":"loss","value":0.3,"step":1}, param, tag) from FILE or - (stdin) in one transaction')
    .option('--run <id>', 'run id or unique prefix (default: MLX_RUN_ID)')
    .option('--json', 'print the counts as JSON')
    .addHelpText(
      'after',
      examples(['mlx log batch metrics.jsonl --run 060a59', 'echo \'{"type":"metric","key":"train_loss","value":0.3,"step":1}\' | mlx log batch -']),
    )
    .action(async (file: string, opts: RunOpt & { json?: boolean }, cmd: Command) => {
      const { readBatchLines, atLine } = await import('../../core/batch-reader.js');
      const { readableStat } = await import('../../core/file-errors.js');
      const name = file === '-' ? 'stdin' : file;
      if (file !== '-') readableStat(file, `batch file ${JSON.stringify(file)}`);
      const counts = await withStore(cmd, false, async (store) => {
        const runId = await activeRun(store, opts.run);
        const lines = readBatchLines(file === '-' ? process.stdin : fs.createReadStream(file), name);
        try {
          return { run_id: runId, ...(await store.logBatch(runId, lines.entries)) };
        } catch (err) {
          throw atLine(err, name, lines.line);
        }
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(counts)}\n`);
      else if (process.stderr.isTTY) process.stderr.write(`logged ${counts.metrics} metrics, ${counts.params} params, ${counts.tags} tags\n`);
    });
}

/** `mlx log dataset`. */
function logDataset(log: Command): void {
  log
    .command('dataset <file>')
    .description('record a dataset the run used: sha256 digest, size, rows and columns of CSV / JSON lines')
    .option('--run <id>', 'run id or unique prefix (default: MLX_RUN_ID)')
    .option('--name <name>', 'dataset name (default: the file name)')
    .option('--context <context>', 'training, validation, testing (or any word)')
    .option('--json', 'print the recorded dataset as JSON')
    .addHelpText(
      'after',
      examples(['mlx log dataset data/train.csv --name pets-train --context training', 'mlx log dataset reference.csv --run 060a59 --context validation']),
    )
    .action(async (file: string, opts: RunOpt & { name?: string; context?: string; json?: boolean }, cmd: Command) => {
      const { logDataset } = await import('../../app/log-dataset.js');
      const input = await withStore(cmd, false, async (store) => logDataset(store, await activeRun(store, opts.run), file, opts));
      if (opts.json) process.stdout.write(`${JSON.stringify(input)}\n`);
    });
}

import type { Command } from 'commander';
import { experimentArg } from '../../app/experiments.js';
import { collect, withStore } from '../context.js';
import { examples } from '../help.js';

interface RunOptions {
  experiment?: string;
  name?: string;
  param?: string[];
  tag?: string[];
  input?: string[];
  systemMetrics: boolean;
}

/** `mlx run [options] -- CMD ARGS...`: runs a command as the body of a tracked run. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run CMD (without a shell) as a tracked run; exits with its exit code')
    .summary('run a command as a tracked run')
    .argument('<cmd...>', 'the command and its arguments (put them after --)')
    .option('-e, --experiment <name|id>', 'experiment (created if missing; default: MLX_EXPERIMENT or Default)')
    .option('-n, --name <name>', 'run name (default: a generated one)')
    .option('-p, --param <key=value>', 'log a param (repeatable)', collect)
    .option('-t, --tag <key=value>', 'set a tag (repeatable)', collect)
    .option('-i, --input <path>', 'record a data file or folder as an input, stored in the cache at its current digest (repeatable)', collect)
    .option('--no-system-metrics', "don't sample the command's CPU, memory and GPU as system/* metrics (every MLX_SYSTEM_METRICS_INTERVAL s, default 10)")
    .passThroughOptions()
    .addHelpText(
      'after',
      examples([
        'mlx run --experiment image-classifier-v2 --name resnet50-adamw --param optimizer=AdamW --param learning_rate=0.001 -- python train.py --epochs 20',
        'mlx run -e image-classifier-v2 --tag stage=baseline --input data/train.csv -- python train.py  # the input: restorable by `mlx runs reproduce`',
        'MLX_TRACKING_URI=http://127.0.0.1:5000 mlx run -- python train.py  # log to a tracking server',
      ]),
    )
    .action(async (command: string[], opts: RunOptions, cmd: Command) => {
      const { prepareRun, startRun } = await import('../../app/start-run.js');
      const { runCommand } = await import('../../app/run-command.js');
      const { artifactRepository } = await import('../../artifacts/open-repository.js');
      const { MlxError } = await import('../../core/errors.js');
      const { redactUri } = await import('../../core/uri.js');
      const { startSystemMetrics } = await import('../../app/system-metrics.js');
      const warn = (m: string) => process.stderr.write(`mlx: ${m}\n`);
      const { missingCommand } = await import('./run-command-check.js');
      const missing = missingCommand(command, cmd);
      if (missing) {
        const { printable } = await import('../output.js');
        process.stderr.write(`mlx: ${printable(missing)}\n`);
        process.exitCode = 127;
        return;
      }
      const prepared = prepareRun({
        experiment: experimentArg(opts.experiment),
        name: opts.name,
        params: opts.param,
        tags: opts.tag,
        command,
        cwd: process.cwd(),
        env: process.env,
        warn,
      });
      // Inputs are hashed and cached before the run exists: a bad path starts nothing, and the
      // command cannot change them before they are recorded.
      const inputs = opts.input?.length ? await snapshotInputs(opts.input) : undefined;
      const interval = await systemMetricsInterval(opts.systemMetrics);
      const result = await withStore(cmd, true, async (store) => {
        // The command's output is a run artifact: refuse a store that cannot keep one before the run exists.
        if (store.fileRoot === null && !store.http)
          throw new MlxError(
            'INVALID_PARAMETER_VALUE',
            `mlx run keeps the command's output as a run artifact, and ${redactUri(store.uri)} keeps artifacts through its tracking server: run \`mlx server --backend-store-uri ${redactUri(store.uri)} --artifacts-destination DIR\` and set MLX_TRACKING_URI=http://HOST:PORT`,
          );
        const { info, experiment: exp } = await startRun(store, prepared);
        if (inputs) await inputs.log(store, info.run_id);
        process.stderr.write(`mlx: run ${info.run_id} (${info.run_name}) in experiment ${JSON.stringify(exp.name)}\n`);
        const res = await runCommand({
          store,
          runId: info.run_id,
          command,
          cwd: process.cwd(),
          env: { ...process.env, MLX_RUN_ID: info.run_id, MLX_TRACKING_URI: store.uri, MLX_EXPERIMENT: exp.experiment_id },
          // With a tracking server, the output goes to a temporary file uploaded when the command ends (signals included).
          artifacts: await artifactRepository(info.artifact_uri, store.uri, store.http),
          stdout: process.stdout,
          stderr: process.stderr,
          warn,
          sampler: interval === null ? undefined : (pid) => startSystemMetrics(store, info.run_id, pid, { intervalS: interval, warn }),
        });
        process.stderr.write(`mlx: run ${info.run_id} ${res.status} (exit code ${res.exitCode})\n`);
        return res;
      });
      process.exitCode = result.exitCode;
    });
}

/** `--input` paths stored in the project's cache now, logged to the run once it exists. */
async function snapshotInputs(paths: string[]) {
  const { findProject } = await import('../../data/project.js');
  const { snapshotData } = await import('../../data/snapshot.js');
  const { logRunInputs } = await import('../../app/run-inputs.js');
  const { withFlag } = await import('../flags.js');
  let snapshots: Awaited<ReturnType<typeof snapshotData>>;
  try {
    snapshots = await snapshotData(findProject(), paths);
  } catch (err) {
    throw withFlag('--input', err);
  }
  return { snapshots, log: (store: import('../../store/store.js').TrackingStore, runId: string) => logRunInputs(store, runId, snapshots) };
}

/** Seconds between system metrics samples (MLX_SYSTEM_METRICS_INTERVAL, default 10), or null when turned off. */
async function systemMetricsInterval(on: boolean): Promise<number | null> {
  if (!on) return null;
  const { DEFAULT_SYSTEM_METRICS_INTERVAL_S, SYSTEM_METRICS_INTERVAL_ENV } = await import('../../app/system-metrics.js');
  const text = process.env[SYSTEM_METRICS_INTERVAL_ENV];
  if (text === undefined || text.trim() === '') return DEFAULT_SYSTEM_METRICS_INTERVAL_S;
  const { numberFlag } = await import('../flags.js');
  return numberFlag(SYSTEM_METRICS_INTERVAL_ENV, text, { min: 0.1, max: 86_400 });
}

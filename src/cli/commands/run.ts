import type { Command } from 'commander';
import { collect, experimentArg, resolveExperiment, withStore } from '../context.js';

interface RunOptions {
  experiment?: string;
  name?: string;
  param?: string[];
  tag?: string[];
}

/** `mlx run [options] -- CMD ARGS...`: runs a command as the body of a tracked run. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run CMD (without a shell) as a tracked run; exits with its exit code')
    .argument('<cmd...>', 'the command and its arguments (put them after --)')
    .option('-e, --experiment <name|id>', 'experiment (created if missing; default: MLX_EXPERIMENT or Default)')
    .option('-n, --name <name>', 'run name (default: a generated one)')
    .option('-p, --param <key=value>', 'log a param (repeatable)', collect)
    .option('-t, --tag <key=value>', 'set a tag (repeatable)', collect)
    .passThroughOptions()
    .action(async (command: string[], opts: RunOptions, cmd: Command) => {
      const { parseKeyValue } = await import('../../core/validation.js');
      const { runCommand } = await import('../../core/run-command.js');
      const { sourceTags, currentUser } = await import('../../core/source-info.js');
      const { LocalArtifactRepository } = await import('../../artifacts/local-repository.js');
      const { SYSTEM_TAGS } = await import('../../core/entities.js');
      // Everything the user typed is checked before the run exists: bad input writes nothing.
      const params = Object.fromEntries((opts.param ?? []).map((p) => parseKeyValue('param', p)));
      const tags = Object.fromEntries((opts.tag ?? []).map((t) => parseKeyValue('tag', t)));
      const result = await withStore(cmd, true, async (store) => {
        const exp = await resolveExperiment(store, experimentArg(opts.experiment), { create: true });
        let parentRunId: string | undefined;
        if (process.env.MLX_RUN_ID) {
          try {
            parentRunId = await store.resolveRunId(process.env.MLX_RUN_ID);
          } catch {
            process.stderr.write(`mlx: MLX_RUN_ID=${process.env.MLX_RUN_ID} is not a run in this store; not recording a parent\n`);
          }
        }
        const info = await store.createRun({
          experimentId: exp.experiment_id,
          runName: opts.name,
          userId: currentUser(),
          params,
          parentRunId,
          tags: {
            ...sourceTags(process.cwd()),
            [SYSTEM_TAGS.sourceName]: command[0],
            [SYSTEM_TAGS.command]: JSON.stringify(command),
            ...tags,
          },
        });
        process.stderr.write(`mlx: run ${info.run_id} (${info.run_name}) in experiment ${JSON.stringify(exp.name)}\n`);
        const res = await runCommand({
          store,
          runId: info.run_id,
          command,
          cwd: process.cwd(),
          env: { ...process.env, MLX_RUN_ID: info.run_id, MLX_TRACKING_URI: store.uri, MLX_EXPERIMENT: exp.experiment_id },
          artifacts: new LocalArtifactRepository(info.artifact_uri),
          stdout: process.stdout,
          stderr: process.stderr,
          warn: (m) => process.stderr.write(`mlx: ${m}\n`),
        });
        process.stderr.write(`mlx: run ${info.run_id} ${res.status} (exit code ${res.exitCode})\n`);
        return res;
      });
      process.exitCode = result.exitCode;
    });
}

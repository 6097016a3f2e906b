import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { causeChain, MlxError, toExitCode } from '../core/errors.js';
import { printable } from './output.js';
import { registerArtifactsCommands } from './commands/artifacts.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerCompleteValuesCommand } from './commands/complete-values.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerContainerizeCommand } from './commands/containerize.js';
import { registerDataCommands } from './commands/data.js';
import { registerDbCommands } from './commands/db.js';
import { registerDriftCommand } from './commands/drift.js';
import { registerExperimentCommands } from './commands/experiments.js';
import { registerFeedbackCommand } from './commands/feedback.js';
import { registerLogCommands } from './commands/log.js';
import { registerModelsCommands } from './commands/models.js';
import { registerMonitorCommand } from './commands/monitor.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerRegisterCommand } from './commands/register.js';
import { registerRunCommand } from './commands/run.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerServeCommand } from './commands/serve.js';
import { registerServerCommands } from './commands/server.js';
import { registerSweepCommand } from './commands/sweep.js';

const GET_STARTED = `
Get started:
  npm run demo                            # in the mlx repository: the whole lifecycle
  mlx run -e image-classifier-v2 -- python train.py
  mlx runs list -e image-classifier-v2
  mlx ui                                  # browse runs and models at http://127.0.0.1:5000
Run \`mlx COMMAND --help\` for its flags and examples.`;

/** Builds the commander program. Command modules are imported lazily inside each action. */
export function buildProgram(): Command {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('mlx')
    .description('The ML lifecycle from a terminal: track experiments, register, serve and monitor models')
    .version(pkg.version, '-V, --version')
    .addOption(new Option('--tracking-uri <uri>', 'store location (default: MLX_TRACKING_URI, else the nearest .mlx folder, else ./.mlx)'))
    .enablePositionalOptions()
    // One line, like every other mlx error; set before the subcommands so they inherit it.
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) =>
        write(
          `mlx: ${printable(
            s
              .replace(/^error: /, '')
              .replace(/\s*\n\s*/g, ' ')
              .trim(),
          )} (see --help)\n`,
        ),
    })
    .exitOverride()
    .addHelpText('after', GET_STARTED);
  registerRunCommand(program);
  registerRunsCommands(program);
  registerLogCommands(program);
  registerExperimentCommands(program);
  registerArtifactsCommands(program);
  registerCompareCommand(program);
  registerRegisterCommand(program);
  registerModelsCommands(program);
  registerServeCommand(program);
  registerServerCommands(program);
  registerPredictCommand(program);
  registerContainerizeCommand(program);
  registerDataCommands(program);
  registerDriftCommand(program);
  registerMonitorCommand(program);
  registerFeedbackCommand(program);
  registerSweepCommand(program);
  registerPipelineCommands(program);
  registerDbCommands(program);
  registerCompletionCommand(program);
  registerCompleteValuesCommand(program);
  // Also after the command name (`mlx runs list --tracking-uri X`, as MLflow's CLI takes it): the
  // program's own option is read only before it, since `mlx run` passes the rest to its command.
  for (const cmd of allCommands(program))
    if (cmd !== program && cmd.commands.length === 0 && !cmd.options.some((o) => o.long === '--tracking-uri') && cmd.name() !== 'completion')
      cmd.addOption(new Option('--tracking-uri <uri>', 'store location (as `mlx --tracking-uri URI COMMAND`)'));
  return program;
}

/** Runs the CLI and returns the exit code; the one place where errors become messages. */
export async function runCli(argv: string[]): Promise<number> {
  // `mlx … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  for (const cmd of allCommands(program)) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; usage errors were already printed by it.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    // Messages quote user data (a CSV cell, a file's header, an argument): printed with its control
    // characters written out, so no input can drive the terminal through an error line.
    if (err instanceof MlxError) {
      process.stderr.write(`mlx: ${printable(err.message)}\n`);
      if (process.env.MLX_DEBUG) process.stderr.write(debugTrace(err));
      return toExitCode(err);
    }
    process.stderr.write(`mlx: internal error: ${printable(String((err as Error)?.message ?? err))}\n`);
    if (process.env.MLX_DEBUG) process.stderr.write(debugTrace(err));
    else process.stderr.write('mlx: run again with MLX_DEBUG=1 for the stack trace, and report it\n');
    return 1;
  }
}

/**
 * What MLX_DEBUG=1 adds under the one-line message: the stack, then each error it wraps
 * ("cause: …", nearest first; a driver's or the file system's error under mlx's own), and the
 * several errors of an AggregateError (one per address tried). Control characters are written out.
 */
export function debugTrace(err: unknown): string {
  const text = (e: unknown) => (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : typeof e === 'string' ? e : (JSON.stringify(e) ?? String(e)));
  const lines = [text(err)];
  for (const cause of causeChain(err)) {
    lines.push(`cause: ${text(cause)}`);
    const several = (cause as { errors?: unknown } | null)?.errors;
    if (Array.isArray(several)) several.forEach((e, i) => lines.push(`  errors[${i}]: ${text(e).split('\n')[0]}`));
  }
  return `${printable(lines.join('\n'), { newlines: true })}\n`;
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => allCommands(c))];
}

import type { Command } from 'commander';
import { examples } from '../help.js';
import { addDriftAnalysisOptions } from '../drift-flags.js';
import type { DriftFlags } from './drift-run.js';

/** `mlx drift --reference FILE --current FILE …`: data and prediction drift, with CI exit codes. */
export function registerDriftCommand(program: Command): void {
  const drift = program
    .command('drift')
    .description('compare a current dataset with a reference one, column by column, and decide whether it drifted')
    .summary('detect drift between two datasets')
    .requiredOption('-r, --reference <file>', 'reference data (.csv or .jsonl)')
    .requiredOption('-c, --current <file>', 'current data (.csv or .jsonl), or serving:MODEL for the traffic `mlx serve --log-inputs` logged');
  addDriftAnalysisOptions(drift, {
    columns: 'columns to compare (default: all of the reference)',
    predictionColumn: 'the model output column: tested and reported separately',
  })
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--fail-on-drift', 'exit 3 when the dataset (or the prediction) drifted')
    .option('--on-drift <cmd>', 'run CMD (no shell) when drift is found; the JSON report path is in MLX_DRIFT_REPORT')
    .option('--log-to-run <run>', 'record drift share and per-column statistics as metrics of RUN')
    .option('--since <when>', 'with serving:MODEL, traffic since a duration ago (30m, 1h) or a date-time (default: all logged)')
    .option('--until <when>', 'with serving:MODEL, traffic before this (default: now)')
    .option('--variant <name>', 'with serving:MODEL, one variant (shadows included); default: the answers clients got')
    .option('--model-version <n>', 'with serving:MODEL, one model version')
    .addHelpText(
      'after',
      examples(
        [
          'mlx drift --reference reference.csv --current production.csv --html drift.html --fail-on-drift',
          'mlx drift -r reference.csv -c production.csv --columns age,income,score --test psi --json',
          'mlx drift --reference reference.csv --current serving:customer-value --since 1h  # what mlx serve --log-inputs logged',
        ],
        'Exit codes: 0 no drift, 3 drift found (with --fail-on-drift), 1 error, 2 bad flags.',
      ),
    )
    .action(async (f: DriftFlags, cmd: Command) => {
      const { runDrift } = await import('./drift-run.js');
      process.exitCode = await runDrift(f, cmd);
    });
}

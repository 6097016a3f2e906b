import type { Command } from 'commander';
import { examples } from '../help.js';
import { addDriftAnalysisOptions } from '../drift-flags.js';
import type { MonitorFlags } from './monitor-run.js';

/** `mlx monitor MODEL --reference FILE --every 10m`: drift and live accuracy of served traffic on a schedule, with a retraining trigger. */
export function registerMonitorCommand(program: Command): void {
  const monitor = program
    .command('monitor <model>')
    .description(
      'check the traffic `mlx serve --log-inputs` logs for MODEL on a schedule: drift against a reference, live accuracy from feedback, a retraining trigger',
    )
    .summary('watch served traffic: drift, accuracy')
    .requiredOption('-r, --reference <file>', 'reference data (.csv or .jsonl) with the columns the model is sent')
    .option('--every <duration>', 'time between checks: 30s, 10m, 1h', '10m')
    .option('--window <duration>', 'traffic each check looks at, ending at the check (default: --every, so windows tile)')
    .option(
      '--on-drift <cmd>',
      'run CMD (no shell) when a window drifts or a score is past its bound, once per episode; the check report is in MLX_DRIFT_REPORT',
    )
    .option('--log-to-run [run]', 'record every check as metrics of a new monitoring run (or of RUN)')
    .option('-e, --experiment <name>', 'experiment of the new monitoring run', 'monitoring')
    .option('-n, --name <name>', 'name of the new monitoring run (default: monitor-MODEL)')
    .option('--min-accuracy <a>', 'alert when live accuracy (from feedback) of the traffic or a variant is below A (0 to 1)')
    .option('--max-mae <x>', 'alert when the live mean absolute error of a regression model is above X')
    .option('--min-labels <n>', 'labels a window needs before its accuracy / MAE is judged', '10')
    .option('--min-rows <n>', 'logged rows a window needs before its drift is tested', '30')
    .option('--variant <name>', 'one variant only (shadows included); default: the answers clients got')
    .option('--model-version <n>', 'one model version only')
    .option(
      '--schema <file>',
      'also validate each window of logged traffic against a data schema (a file from mlx data profile --out, or models:/NAME/V for the one registered with that version); a failed error expectation alerts',
    )
    .option('--max-checks <n>', 'stop after N checks (default: until Ctrl-C)')
    .option('--json', 'print each check as one JSON object per line');
  addDriftAnalysisOptions(monitor, {
    columns: 'columns to compare (default: every logged column)',
    predictionColumn: "the reference's column the logged predictions are compared with (default: prediction, when it has one)",
  })
    .addHelpText(
      'after',
      examples([
        'mlx monitor customer-value --reference reference.csv --every 10m --min-accuracy 0.85 --log-to-run',
        'mlx monitor customer-value -r reference.csv --every 1h --on-drift "mlx run --experiment customer-value -- python retrain.py"',
        'mlx monitor customer-value -r reference.csv --every 30s --max-checks 3 --json',
      ]),
    )
    .action(async (model: string, f: MonitorFlags, cmd: Command) => {
      const { runMonitorCommand } = await import('./monitor-run.js');
      process.exitCode = await runMonitorCommand(model, f, cmd);
    });
}

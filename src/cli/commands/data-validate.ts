import type { Command } from 'commander';
import { collect } from '../flags.js';
import { examples } from '../help.js';
import type { ValidateFlags } from './data-validate-run.js';

/** `mlx data validate SOURCE --schema FILE | --reference REF [--expect EXPR]…`. */
export function registerDataValidate(data: Command): void {
  data
    .command('validate <source>')
    .description('check a dataset against a schema (or a reference profiled on the fly) and custom expressions; exit 4 when an error-level expectation fails')
    .option('--schema <file>', 'the schema to check: a file (from mlx data profile --out) or models:/NAME/V, the schema registered with that version')
    .option('--reference <file>', 'infer the schema from this reference now (instead of --schema)')
    .option('--expect <expr>', 'a row expression every row must pass, e.g. "age >= 0" (repeatable)', collect)
    .option('--expect-warn <expr>', 'like --expect, but a failure is a warning (repeatable)', collect)
    .option('--tolerance <x>', 'with --reference: share of the reference range allowed beyond each end', '0.1')
    .option('--strict', 'exit 4 on warnings too')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--log-to-run <run>', 'record the result as metrics of RUN and the report as its artifact')
    .option(
      '--threads <n>',
      'threads reading a large CSV/TSV file (default: min(cores, 2); each thread adds ~50-100 MB); the result is the same for any number',
    )
    .option('--since <when>', 'with serving:MODEL, traffic since a duration ago (30m, 1h) or a date-time')
    .option('--until <when>', 'with serving:MODEL, traffic before this (default: now)')
    .addHelpText(
      'after',
      examples(
        [
          'mlx data validate batch.csv --schema schema.json',
          'mlx data validate batch.csv --reference train.csv --html validation.html',
          'mlx data validate serving:clf --schema schema.json --since 1h --expect "income > 0 or income is null"',
        ],
        'Exit codes: 0 valid, 4 an error-level expectation failed (or any with --strict), 1 error, 2 bad flags.',
      ),
    )
    .action(async (source: string, f: ValidateFlags, cmd: Command) => {
      const { runValidate } = await import('./data-validate-run.js');
      process.exitCode = await runValidate(source, f, cmd);
    });
}

import type { Command } from 'commander';
import { examples } from '../help.js';
import type { ProfileFlags } from './data-profile-run.js';

/** `mlx data profile SOURCE [--out schema.json]`. */
export function registerDataProfile(data: Command): void {
  data
    .command('profile <source>')
    .description(
      'profile a dataset (CSV, TSV, JSON lines, a dataset pointer PATH.mlx.json, or serving:MODEL for logged traffic) and infer a schema of expectations from it',
    )
    .option('--out <file>', 'write the inferred schema (expectations + the reference statistics) to this file')
    .option('--tolerance <x>', 'share of the reference range allowed beyond each end in range expectations', '0.1')
    .option('--max-categories <n>', 'most distinct values a text column may have to get a categories expectation', '20')
    .option('--json', 'print the profile as JSON')
    .option(
      '--threads <n>',
      'threads reading a large CSV/TSV file (default: min(cores, 2); each thread adds ~50-100 MB); the result is the same for any number',
    )
    .option('--since <when>', 'with serving:MODEL, traffic since a duration ago (30m, 1h) or a date-time')
    .option('--until <when>', 'with serving:MODEL, traffic before this (default: now)')
    .addHelpText(
      'after',
      examples([
        'mlx data profile train.csv --out schema.json',
        'mlx data profile data/train.csv.mlx.json --json  # a dataset pointer: profiles the file it tracks',
        'mlx data profile serving:clf --since 1d --out live-schema.json',
      ]),
    )
    .action(async (source: string, f: ProfileFlags, cmd: Command) => {
      const { runProfile } = await import('./data-profile-run.js');
      await runProfile(source, f, cmd);
    });
}

import type { Command } from 'commander';
import { examples } from '../help.js';
import { registerDataProfile } from './data-profile.js';
import { registerDataValidate } from './data-validate.js';

/** `mlx data …`: datasets (the data-versioning commands join this group). */
export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('datasets: profile a reference into a schema, validate data against it')
    .summary('profile and validate datasets')
    .addHelpText('after', examples(['mlx data profile train.csv --out schema.json', 'mlx data validate batch.csv --schema schema.json']));
  registerDataProfile(data);
  registerDataValidate(data);
}

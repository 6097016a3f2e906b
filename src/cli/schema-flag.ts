import type { Command } from 'commander';
import type { DataSchema } from '../data/validation/schema.js';
import { withStore } from './context.js';

/**
 * `--schema FILE | models:/NAME/V` of mlx data validate and mlx monitor: a schema file (checked as
 * mlx data validate checks it; an empty value is a usage error), or the schema registered with a
 * model version. Returns it with the name reports and refusals give it.
 */
export async function schemaFlag(cmd: Command, value: string): Promise<{ schema: DataSchema; name: string }> {
  if (value.startsWith('models:/')) {
    const { schemaOfModelUri } = await import('../app/model-schema.js');
    return withStore(cmd, false, (store) => schemaOfModelUri(store, '--schema', value));
  }
  const { schemaOption } = await import('../app/model-schema.js');
  return { schema: schemaOption('--schema', value).schema, name: value };
}

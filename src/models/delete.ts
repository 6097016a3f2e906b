import fs from 'node:fs';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { cardPath } from './register.js';
import { ModelStorage } from './model-storage.js';

/**
 * Deletes a version (or, with version null, a whole model) with its cards and the model bytes
 * no other version uses. Anything an alias points at is refused without force: a serving
 * deployment may resolve that alias.
 */
export async function deleteModelOrVersion(store: Store, name: string, version: number | null, force: boolean): Promise<{ deleted: number[] }> {
  const model = await store.getRegisteredModel(name);
  const doomed = version === null ? (await store.searchModelVersions({ name })).map((v) => v.version) : [version];
  const aliased = Object.entries(model.aliases).filter(([, v]) => doomed.includes(v));
  if (aliased.length && !force)
    throw new MlxError(
      'INVALID_STATE',
      `${version === null ? `model ${JSON.stringify(name)}` : `${name} version ${version}`} is in use by alias${aliased.length > 1 ? 'es' : ''} ${aliased
        .map(([a, v]) => `@${a} (version ${v})`)
        .join(', ')}; move the alias first (mlx models alias) or pass --force`,
    );
  const freed = version === null ? await store.deleteRegisteredModel(name) : await store.deleteModelVersion(name, version);
  new ModelStorage(store.uri).remove(freed);
  for (const v of doomed) fs.rmSync(cardPath(store.uri, name, v), { force: true });
  if (version === null) fs.rmSync(path.dirname(cardPath(store.uri, name, 1)), { recursive: true, force: true });
  return { deleted: doomed };
}

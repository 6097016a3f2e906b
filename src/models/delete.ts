import { MlxError } from '../core/errors.js';
import type { RegistryStore } from '../store/store.js';
import { modelFiles } from './open-model-files.js';

/**
 * Deletes a version (or, with version null, a whole model) with its cards and the model bytes
 * no other version uses. Anything an alias points at is refused without force: a serving
 * deployment may resolve that alias.
 */
export async function deleteModelOrVersion(store: RegistryStore, name: string, version: number | null, force: boolean): Promise<{ deleted: number[] }> {
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
  await (await modelFiles(store)).forget(name, doomed, freed, version === null);
  return { deleted: doomed };
}

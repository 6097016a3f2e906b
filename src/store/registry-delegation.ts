import type { RegistryStore } from './store.js';

/** The methods every registry has (RegistryStore's required ones). */
export const REGISTRY_METHODS = [
  'createRegisteredModel',
  'getRegisteredModel',
  'listRegisteredModels',
  'updateRegisteredModel',
  'renameRegisteredModel',
  'deleteRegisteredModel',
  'setRegisteredModelTag',
  'deleteRegisteredModelTag',
  'createModelVersion',
  'getModelVersion',
  'getModelVersionByAlias',
  'getLatestModelVersion',
  'searchModelVersions',
  'updateModelVersion',
  'deleteModelVersion',
  'setModelVersionTag',
  'deleteModelVersionTag',
  'setRegisteredModelAlias',
  'deleteRegisteredModelAlias',
  'transitionModelVersionStage',
] as const satisfies readonly (keyof RegistryStore)[];

/** RegistryStore's required methods, which a store that holds a registry declares (interface merging) and gets from it. */
export type RegistryMethods = Pick<RegistryStore, (typeof REGISTRY_METHODS)[number]>;

/**
 * Gives `store` the registry methods of the registry it holds: each store (SQLite, PostgreSQL,
 * REST) keeps its registry as an object of its own and hands it the registry calls, rather than
 * inheriting from it. The class declares them with `interface X extends RegistryMethods {}`.
 */
export function delegateRegistry(store: RegistryMethods, registry: RegistryMethods): void {
  for (const name of REGISTRY_METHODS) (store as Record<string, unknown>)[name] = (registry[name] as (...a: unknown[]) => unknown).bind(registry);
}

import type { Command } from 'commander';
import { MlxError } from '../core/errors.js';
import { NoActiveRun, resolveActiveRun } from '../app/active-run.js';
import { openStore, resolveTrackingUri } from '../store/open-store.js';
import type { Store } from '../store/store.js';

/** The options every command inherits from the program (--tracking-uri). */
export function globals(cmd: Command): { trackingUri?: string } {
  // Given after the command name too: that one (the command's own) wins over the program's.
  const own = cmd.opts() as { trackingUri?: string };
  return { ...(cmd.optsWithGlobals() as { trackingUri?: string }), ...(own.trackingUri !== undefined ? { trackingUri: own.trackingUri } : {}) };
}

/**
 * Opens the store for a command, runs fn, and always closes the store. Only commands that
 * create something (a run, an experiment) create a missing store: the others would fail
 * anyway, and a refused command must leave nothing behind.
 */
export async function withStore<T>(cmd: Command, create: boolean, fn: (store: Store) => Promise<T>): Promise<T> {
  const uri = resolveTrackingUri({ flag: globals(cmd).trackingUri });
  const store = await openStore(uri, { create });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * For commands that create things only after checking a lot (mlx register): check runs on the
 * store as it is (an empty stand-in when there is none yet), and the store is created only
 * for write, once the checks passed.
 */
export async function withCheckedStore<P, T>(cmd: Command, check: (store: Store) => Promise<P>, write: (store: Store, checked: P) => Promise<T>): Promise<T> {
  const uri = resolveTrackingUri({ flag: globals(cmd).trackingUri });
  const store = await openStore(uri, { create: false });
  try {
    const checked = await check(store);
    if (!store.ephemeral) return await write(store, checked);
    const created = await openStore(uri, { create: true });
    try {
      return await write(created, checked);
    } finally {
      await created.close();
    }
  } finally {
    await store.close();
  }
}

/** The run a logging command writes to: --run, else MLX_RUN_ID, else an error saying how to name one. */
export async function activeRun(store: Store, flag: string | undefined): Promise<string> {
  try {
    return await resolveActiveRun(store, flag);
  } catch (err) {
    if (err instanceof NoActiveRun)
      throw new MlxError('INVALID_PARAMETER_VALUE', 'no active run: pass --run RUN_ID, set MLX_RUN_ID, or start one with `mlx run -- CMD` or `mlx runs start`');
    throw err;
  }
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

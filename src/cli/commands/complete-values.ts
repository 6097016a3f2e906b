import type { Command } from 'commander';
import { globals } from '../context.js';

/** What `mlx __complete WHAT` lists, for the shell completion scripts. */
export const STORE_VALUES = ['experiments', 'models', 'model-uris'] as const;
export type StoreValues = (typeof STORE_VALUES)[number];

/** Most candidates printed: a shell menu of more helps no one, and the store is read on every TAB. */
const MAX = 500;

/**
 * `mlx __complete experiments|models|model-uris` (hidden): names from the store, one a line, for
 * the completion scripts to offer. Never creates a store, never prints an error: a completion that
 * fails offers nothing.
 */
export function registerCompleteValuesCommand(program: Command): void {
  program
    .command('__complete <what>', { hidden: true })
    .description('names from the store for shell completion')
    .action(async (what: string, _o: unknown, cmd: Command) => {
      try {
        const { openStore, resolveTrackingUri } = await import('../../store/open-store.js');
        const store = await openStore(resolveTrackingUri({ flag: globals(cmd).trackingUri }), { create: false });
        try {
          const out: string[] = [];
          if (what === 'experiments') for (const e of await store.listExperiments('active')) out.push(e.name);
          else if (what === 'models' || what === 'model-uris')
            for (const m of await store.listRegisteredModels()) {
              const refs = [
                m.name,
                ...Object.keys(m.aliases).map((a) => `${m.name}@${a}`),
                ...(m.latest_version !== null ? [`${m.name}/${m.latest_version}`] : []),
              ];
              out.push(...(what === 'models' ? refs : refs.slice(1).map((r) => `models:/${r}`)));
            }
          // One candidate a line; a name with a line break would become two candidates, so it is left out.
          process.stdout.write(
            out
              .filter((s) => !/[\r\n]/.test(s))
              .slice(0, MAX)
              .map((s) => `${s}\n`)
              .join(''),
          );
        } finally {
          await store.close();
        }
      } catch {
        // Nothing to offer.
      }
    });
}

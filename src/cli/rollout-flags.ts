// `mlx serve --canary/--variant/--shadow [NAME:]URI[=WEIGHT]`: the grammar of the rollout flags,
// parsed into serving's typed specs, and the plan with its messages worded with these flags.
import { planVariants, type RolloutSpec, type VariantPlan } from '../serving/router.js';
import { usage } from './flags.js';

export interface RolloutFlags {
  canary?: string[];
  variant?: string[];
  shadow?: string[];
}

/** The rollout flags, as messages name a canary's, variant's or shadow's model. */
export const ROLLOUT_FLAGS = { canary: '--canary', variant: '--variant', shadow: '--shadow' } as const;
const FLAGS = ROLLOUT_FLAGS;

// NAME: in front of a URI; never the scheme of models:/ or runs:/ (a slash follows), nor a drive (C:\).
const NAMED = /^([A-Za-z0-9][A-Za-z0-9_.@-]*):(?![\\/])(.+)$/;
const WEIGHT = /^(\d+(\.\d*)?|\.\d+)$/;

/** Parses `[NAME:]URI=WEIGHT` (or `[NAME:]URI` for --shadow), refusing weights that are not non-negative numbers. */
export function parseVariantFlag(flag: string, text: string, withWeight: boolean): Omit<RolloutSpec, 'role'> {
  const form = withWeight ? `${flag} [NAME:]URI=WEIGHT` : `${flag} [NAME:]URI`;
  let rest = text.trim();
  let weight: number | null = null;
  const eq = rest.lastIndexOf('=');
  if (withWeight) {
    if (eq < 0) throw usage(`${flag} ${JSON.stringify(text)} has no weight; give ${form}, e.g. ${flag} models:/clf@challenger=10`);
    const w = rest.slice(eq + 1).trim();
    if (!WEIGHT.test(w)) throw usage(`${flag} ${JSON.stringify(text)}: weight ${JSON.stringify(w)} is not a non-negative number; give ${form}`);
    weight = Number(w);
    rest = rest.slice(0, eq).trim();
  } else if (eq >= 0 && /^\s*-?[\d.]+\s*$/.test(rest.slice(eq + 1))) {
    throw usage(`${flag} ${JSON.stringify(text)}: a shadow takes no weight (it sees every request); give ${form}`);
  }
  let name: string | null = null;
  const m = NAMED.exec(rest);
  if (m) [name, rest] = [m[1], m[2]];
  if (!rest) throw usage(`${flag} ${JSON.stringify(text)} has no model URI; give ${form}`);
  return { name, uri: rest, weight };
}

/** The rollout flags as serving's specs, in the order given (canaries, variants, shadows). */
export function rolloutSpecs(f: RolloutFlags): RolloutSpec[] {
  return [
    ...(f.canary ?? []).map((t) => ({ ...parseVariantFlag(FLAGS.canary, t, true), role: 'canary' as const })),
    ...(f.variant ?? []).map((t) => ({ ...parseVariantFlag(FLAGS.variant, t, true), role: 'variant' as const })),
    ...(f.shadow ?? []).map((t) => ({ ...parseVariantFlag(FLAGS.shadow, t, false), role: 'shadow' as const })),
  ];
}

/** The plan of `mlx serve URI` with these flags; its refusals name the flags. */
export function rolloutPlans(mainUri: string, f: RolloutFlags = {}): VariantPlan[] {
  return planVariants(mainUri, rolloutSpecs(f), FLAGS);
}

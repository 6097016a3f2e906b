/**
 * What a sweep is: its definition (recorded on the parent run, so a resumed sweep rebuilds it
 * exactly) and the list of trials it expands to. Pure. (`mlx sweep` builds the definition from its
 * flags: cli/commands/sweep-flags.ts.)
 */
import { envName, gridPoint, parseParamSpecs, sampleRandom, substitute, type ParamSpec } from './param-space.js';

export type Strategy = 'grid' | 'random';
export type Goal = 'min' | 'max';

/** The definition of a sweep, as recorded in the parent's `mlx.sweep.config` tag. */
export interface SweepConfig {
  version: 1;
  /** The param specs as typed (`lr=0.01,0.1`). */
  params: string[];
  strategy: Strategy;
  /** Number of trials. */
  size: number;
  /** Random search only. */
  seed: number | null;
  metric: string | null;
  goal: Goal | null;
  /** warmupSteps null: automatic (a quarter of the steps completed runs reached; see median-stopping.ts). */
  earlyStop: { minRuns: number; warmupSteps: number | null } | null;
  /** The command template, `{key}` not yet substituted. */
  command: string[];
  /** Tags set on the parent and on every child. */
  tags: Record<string, string>;
  parallel: number;
  failFast: boolean;
  /** Stop after this many trials in a row failed (0: never); absent in sweeps recorded before it existed (3). */
  maxFailures?: number;
}

/** Trials failing in a row that stop a sweep unless told otherwise: a broken command fails every trial. */
export const DEFAULT_MAX_FAILURES = 3;

export interface Trial {
  /** 1-based, stable when the sweep is resumed. */
  trial: number;
  values: Record<string, string>;
}

export const DEFAULT_RANDOM_RUNS = 10;
/** Grids above this size need an explicit run limit, so a typo such as int:1:100000 does not start 100,000 runs. */
export const GRID_LIMIT = 10_000;
export const DEFAULT_EARLY_STOP_MIN_RUNS = 3;
export const CONFIG_TAG = 'mlx.sweep.config';

/** Reads back a recorded definition (the parent's `mlx.sweep.config` tag); null when the text is not one. */
export function parseSweepConfig(text: string | undefined): SweepConfig | null {
  if (!text) return null;
  try {
    const c = JSON.parse(text) as SweepConfig;
    if (c?.version !== 1 || !Array.isArray(c.params) || !Array.isArray(c.command) || !Number.isInteger(c.size)) return null;
    return c;
  } catch {
    return null;
  }
}

/** The trials a definition expands to, numbered from 1; the same every time for the same definition. */
export function planTrials(config: SweepConfig, specs: ParamSpec[] = parseParamSpecs(config.params)): Trial[] {
  const points =
    config.strategy === 'grid' ? Array.from({ length: config.size }, (_, i) => gridPoint(specs, i)) : sampleRandom(specs, config.size, config.seed ?? 0);
  return points.map((values, i) => ({ trial: i + 1, values }));
}

/** The command of one trial, with `{key}` and `{trial}` substituted. */
export function trialCommand(config: SweepConfig, trial: Trial): string[] {
  return substitute(config.command, trial.values, trial.trial);
}

/** The environment a trial's command gets on top of the sweep's own: MLX_PARAM_<KEY> per param. */
export function trialEnv(trial: Trial, parentRunId: string): Record<string, string> {
  const env: Record<string, string> = { MLX_SWEEP_ID: parentRunId, MLX_SWEEP_TRIAL: String(trial.trial) };
  for (const [k, v] of Object.entries(trial.values)) env[envName(k)] = v;
  return env;
}

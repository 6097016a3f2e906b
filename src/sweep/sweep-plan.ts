/**
 * What a sweep is: its definition (recorded on the parent run, so `--resume` rebuilds it exactly)
 * and the list of trials it expands to. Pure; every refusal is a one-line USAGE error.
 */
import { metricDirection } from '../app/compare.js';
import { MlxError } from '../core/errors.js';
import { LIMITS, parseKeyValue, validateKey, validateTagValue } from '../core/validation.js';
import { discreteCount, envName, gridPoint, gridSize, parseParamSpecs, sampleRandom, substitute, type ParamSpec } from './param-space.js';

export type Strategy = 'grid' | 'random';
export type Goal = 'min' | 'max';

/** The definition of a sweep, as recorded in the parent's `mlx.sweep.config` tag. */
export interface SweepConfig {
  version: 1;
  /** The --param texts as typed. */
  params: string[];
  strategy: Strategy;
  /** Number of trials. */
  size: number;
  /** Random search only. */
  seed: number | null;
  metric: string | null;
  goal: Goal | null;
  earlyStop: { minRuns: number; warmupSteps: number } | null;
  /** The command template, `{key}` not yet substituted. */
  command: string[];
  /** --tag KEY=VALUE, set on the parent and on every child. */
  tags: Record<string, string>;
  parallel: number;
  failFast: boolean;
}

export interface Trial {
  /** 1-based, stable across --resume. */
  trial: number;
  values: Record<string, string>;
}

export interface SweepFlags {
  param?: string[];
  strategy?: string;
  maxRuns?: string;
  seed?: string;
  metric?: string;
  goal?: string;
  earlyStop?: boolean;
  earlyStopMinRuns?: string;
  earlyStopWarmup?: string;
  tag?: string[];
  parallel?: string;
  failFast?: boolean;
}

export const DEFAULT_RANDOM_RUNS = 10;
/** Grids above this size need an explicit --max-runs, so a typo such as int:1:100000 does not start 100,000 runs. */
export const GRID_LIMIT = 10_000;
export const DEFAULT_EARLY_STOP_MIN_RUNS = 3;
export const CONFIG_TAG = 'mlx.sweep.config';

const usage = (message: string, cause?: unknown) => new MlxError('USAGE', message, { cause });

/** A positive (or non-negative) integer flag. */
export function intFlag(flag: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max)
    throw usage(`${flag} ${JSON.stringify(text)} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
  return Number(t);
}

/** Builds and checks a sweep's definition from its flags; `newSeed` picks a seed when random search has none. */
export function buildSweepConfig(flags: SweepFlags, command: string[], newSeed: () => number): SweepConfig {
  if (command.length === 0) throw usage('give the command to sweep after --, e.g. mlx sweep --param lr=0.01,0.1 -- python train.py --lr {lr}');
  const specs = parseParamSpecs(flags.param ?? []);
  if (flags.strategy !== undefined && flags.strategy !== 'grid' && flags.strategy !== 'random')
    throw usage(`--strategy ${JSON.stringify(flags.strategy)} is not a strategy; use grid or random`);
  const continuous = specs.filter((s) => discreteCount(s) === null);
  const strategy: Strategy = (flags.strategy as Strategy | undefined) ?? (continuous.length ? 'random' : 'grid');
  if (strategy === 'grid' && continuous.length)
    throw usage(
      `--param ${JSON.stringify(continuous[0].text)}: a grid needs values to list; give LIST, int: or quniform:, or use --strategy random`,
    );
  const maxRuns = flags.maxRuns === undefined ? undefined : intFlag('--max-runs', flags.maxRuns);
  let size: number;
  if (strategy === 'grid') {
    const n = gridSize(specs);
    const limit = maxRuns ?? GRID_LIMIT;
    if (n > limit)
      throw usage(
        maxRuns === undefined
          ? `the grid has ${fmtCount(n)} combinations, more than ${fmtCount(GRID_LIMIT)}; pass --max-runs ${n} to run them all, or use --strategy random`
          : `the grid has ${fmtCount(n)} combinations, more than --max-runs ${maxRuns}; raise --max-runs, remove values, or use --strategy random --max-runs ${maxRuns}`,
      );
    size = n;
  } else size = maxRuns ?? DEFAULT_RANDOM_RUNS;
  if (flags.seed !== undefined && strategy === 'grid') throw usage('--seed is for --strategy random; a grid has no randomness');
  const seed = strategy === 'random' ? (flags.seed === undefined ? newSeed() : intFlag('--seed', flags.seed, 0, 0xffffffff)) : null;

  if (flags.goal !== undefined && flags.metric === undefined) throw usage(`--goal ${flags.goal} needs --metric: which metric should be ${flags.goal === 'min' ? 'minimized' : 'maximized'}?`);
  if (flags.goal !== undefined && flags.goal !== 'min' && flags.goal !== 'max')
    throw usage(`--goal ${JSON.stringify(flags.goal)} must be min or max`);
  if (flags.metric !== undefined) {
    try {
      validateKey('metric', flags.metric);
    } catch (err) {
      throw usage(`--metric: ${(err as Error).message}`, err);
    }
  }
  const metric = flags.metric ?? null;
  const goal: Goal | null = metric === null ? null : ((flags.goal as Goal | undefined) ?? metricDirection(metric));
  if (!flags.earlyStop && (flags.earlyStopMinRuns !== undefined || flags.earlyStopWarmup !== undefined))
    throw usage('--early-stop-min-runs and --early-stop-warmup tune --early-stop; add --early-stop');
  if (flags.earlyStop && metric === null) throw usage('--early-stop needs --metric: the metric whose curve is compared');
  const earlyStop = flags.earlyStop
    ? {
        minRuns: flags.earlyStopMinRuns === undefined ? DEFAULT_EARLY_STOP_MIN_RUNS : intFlag('--early-stop-min-runs', flags.earlyStopMinRuns),
        warmupSteps: flags.earlyStopWarmup === undefined ? 0 : intFlag('--early-stop-warmup', flags.earlyStopWarmup, 0),
      }
    : null;

  const tags: Record<string, string> = {};
  for (const t of flags.tag ?? []) {
    try {
      const [k, v] = parseKeyValue('tag', t);
      validateTagValue(k, v);
      tags[k] = v;
    } catch (err) {
      throw usage((err as Error).message, err);
    }
  }
  const parallel = flags.parallel === undefined ? 1 : intFlag('--parallel', flags.parallel, 1, 256);
  const config: SweepConfig = {
    version: 1,
    params: specs.map((s) => s.text),
    strategy,
    size,
    seed,
    metric,
    goal,
    earlyStop,
    command,
    tags,
    parallel,
    failFast: !!flags.failFast,
  };
  const recorded = JSON.stringify(config);
  if (recorded.length > LIMITS.tagValueLength)
    throw usage(`the sweep definition is ${recorded.length} characters; it must fit a ${LIMITS.tagValueLength}-character tag (shorten the lists or the command)`);
  return config;
}

function fmtCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : 'unbounded';
}

/** Reads back a definition recorded by buildSweepConfig; null when the text is not one. */
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
    config.strategy === 'grid'
      ? Array.from({ length: config.size }, (_, i) => gridPoint(specs, i))
      : sampleRandom(specs, config.size, config.seed ?? 0);
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

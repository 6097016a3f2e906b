// The flags of `mlx sweep` into the sweep's definition (sweep/sweep-plan.ts), recorded on the parent
// run so `--resume` rebuilds it exactly. Every refusal is a one-line usage error naming the flag.
import { metricDirection } from '../../app/compare.js';
import { LIMITS, parseKeyValue, validateKey, validateTagValue } from '../../core/validation.js';
import { discreteCount, gridSize, PARAM_GRAMMAR, parseParamSpecs } from '../../sweep/param-space.js';
import {
  DEFAULT_EARLY_STOP_MIN_RUNS,
  DEFAULT_MAX_FAILURES,
  DEFAULT_RANDOM_RUNS,
  GRID_LIMIT,
  type Goal,
  type Strategy,
  type SweepConfig,
} from '../../sweep/sweep-plan.js';
import { flagValue, intFlag, usage } from '../flags.js';

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
  maxFailures?: string;
}

/** Builds and checks a sweep's definition from its flags; `newSeed` picks a seed when random search has none. */
export function buildSweepConfig(flags: SweepFlags, command: string[], newSeed: () => number): SweepConfig {
  if (command.length === 0) throw usage('give the command to sweep after --, e.g. mlx sweep --param lr=0.01,0.1 -- python train.py --lr {lr}');
  if ((flags.param ?? []).length === 0) throw usage(`give at least one --param KEY=VALUES (${PARAM_GRAMMAR})`);
  const specs = flagValue('--param', () => parseParamSpecs(flags.param!));
  if (flags.strategy !== undefined && flags.strategy !== 'grid' && flags.strategy !== 'random')
    throw usage(`--strategy ${JSON.stringify(flags.strategy)} is not a strategy; use grid or random`);
  const continuous = specs.filter((s) => discreteCount(s) === null);
  const strategy: Strategy = (flags.strategy as Strategy | undefined) ?? (continuous.length ? 'random' : 'grid');
  if (strategy === 'grid' && continuous.length)
    throw usage(`--param ${JSON.stringify(continuous[0].text)}: a grid needs values to list; give LIST, int: or quniform:, or use --strategy random`);
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
  const seed = strategy === 'random' ? (flags.seed === undefined ? newSeed() : intFlag('--seed', flags.seed, { min: 0, max: 0xffffffff })) : null;

  if (flags.goal !== undefined && flags.metric === undefined)
    throw usage(`--goal ${flags.goal} needs --metric: which metric should be ${flags.goal === 'min' ? 'minimized' : 'maximized'}?`);
  if (flags.goal !== undefined && flags.goal !== 'min' && flags.goal !== 'max') throw usage(`--goal ${JSON.stringify(flags.goal)} must be min or max`);
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
        warmupSteps: flags.earlyStopWarmup === undefined ? null : intFlag('--early-stop-warmup', flags.earlyStopWarmup, { min: 0 }),
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
  const parallel = flags.parallel === undefined ? 1 : intFlag('--parallel', flags.parallel, { min: 1, max: 256 });
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
    maxFailures: maxFailuresFlag(flags.maxFailures) ?? DEFAULT_MAX_FAILURES,
  };
  const recorded = JSON.stringify(config);
  if (recorded.length > LIMITS.tagValueLength)
    throw usage(
      `the sweep definition is ${recorded.length} characters; it must fit a ${LIMITS.tagValueLength}-character tag (shorten the lists or the command)`,
    );
  return config;
}

function fmtCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : 'unbounded';
}

/** --max-failures N: children failing in a row that stop the sweep (0: never). */
export function maxFailuresFlag(text: string | undefined): number | undefined {
  return text === undefined ? undefined : intFlag('--max-failures', text, { min: 0, max: 1_000_000 });
}

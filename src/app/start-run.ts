import type { TrackingStore } from '../store/store.js';
import type { Experiment, RunInfo } from '../core/entities.js';
import { SYSTEM_TAGS } from '../core/entities.js';
import { findExperiment } from './experiments.js';
import { currentUser, sourceTags } from './source-info.js';
import { parseKeyValue, validateParamValue, validateRunName, validateTagValue } from '../core/validation.js';

export interface StartRunInput {
  /** Experiment name or id (created when missing). */
  experiment: string;
  name?: string;
  /** KEY=VALUE strings as typed on the command line. */
  params?: string[];
  tags?: string[];
  /** The command a run wraps, recorded as tags. */
  command?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  warn: (message: string) => void;
}

export interface PreparedRun extends StartRunInput {
  parsedParams: Record<string, string>;
  parsedTags: Record<string, string>;
}

/** Validates everything typed for a new run; call it before opening the store, so bad input writes nothing. */
export function prepareRun(input: StartRunInput): PreparedRun {
  const parsedParams = Object.fromEntries((input.params ?? []).map((p) => parseKeyValue('param', p)));
  const parsedTags = Object.fromEntries((input.tags ?? []).map((t) => parseKeyValue('tag', t)));
  for (const [k, v] of Object.entries(parsedParams)) validateParamValue(k, v);
  for (const [k, v] of Object.entries(parsedTags)) validateTagValue(k, v);
  if (input.name !== undefined) validateRunName(input.name);
  return { ...input, parsedParams, parsedTags };
}

/** Starts a run with tags already parsed (a sweep's parent run): sweep/ is given this as its RunStarter. */
export async function startTaggedRun(
  store: TrackingStore,
  run: Omit<StartRunInput, 'params' | 'tags'> & { tags: Record<string, string> },
): Promise<{ info: RunInfo; experiment: Experiment }> {
  const prepared = prepareRun({ ...run, tags: [] });
  for (const [k, v] of Object.entries(run.tags)) validateTagValue(k, v);
  return startRun(store, { ...prepared, parsedTags: run.tags });
}

/**
 * Starts a run the way `mlx run` and `mlx runs start` do: source tags are recorded, and a
 * run started inside another run (MLX_RUN_ID set) records it as its parent.
 */
export async function startRun(store: TrackingStore, input: PreparedRun): Promise<{ info: RunInfo; experiment: Experiment }> {
  const experiment = await findExperiment(store, input.experiment, { create: true });
  let parentRunId: string | undefined;
  if (input.env.MLX_RUN_ID) {
    try {
      parentRunId = await store.resolveRunId(input.env.MLX_RUN_ID);
    } catch {
      input.warn(`MLX_RUN_ID=${input.env.MLX_RUN_ID} is not a run in this store; not recording a parent`);
    }
  }
  const commandTags: Record<string, string> = input.command
    ? { [SYSTEM_TAGS.sourceName]: input.command[0], [SYSTEM_TAGS.command]: JSON.stringify(input.command) }
    : {};
  const info = await store.createRun({
    experimentId: experiment.experiment_id,
    runName: input.name,
    userId: currentUser(input.env),
    params: input.parsedParams,
    parentRunId,
    tags: { ...sourceTags(input.cwd), ...commandTags, ...input.parsedTags },
  });
  return { info, experiment };
}

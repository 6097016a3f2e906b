import { alreadyExists, invalid, MlxError, notFound } from '../../core/errors.js';
import { SYSTEM_TAGS, type LifecycleStage } from '../../core/entities.js';
import { newRunId, newRunName } from '../../core/ids.js';
import {
  validateAlias,
  validateKey,
  validateModelName,
  validateParamValue,
  validateRunName,
  validateTagValue,
  validateTimestamp,
} from '../../core/validation.js';
import type { CreateModelVersionInput, CreateRunInput } from '../store.js';
import type { ExperimentRow } from './rows.js';

/** The input checks and refusals both SQL stores make, written once so SQLite and PostgreSQL say the same thing. */

const q = JSON.stringify;

// Missing resources are named in MLflow's words first (clients match them), then what to do here.
export const runNotFound = (runId: string) => notFound(`Run with id=${runId} not found; find run ids with: mlx runs list`);
export const runDeleted = (runId: string) => new MlxError('INVALID_STATE', `run ${runId} is deleted; restore it first: mlx runs restore ${runId}`);
export const runInDeletedExperiment = (runId: string, exp: ExperimentRow) =>
  new MlxError('INVALID_STATE', `run ${runId} belongs to deleted experiment ${q(exp.name)}; restore the experiment instead`);
/** Checks a lifecycle change of a run before it is made: deleting a deleted run is an error, as for experiments. */
export function checkRunStage(runId: string, current: string, stage: LifecycleStage): void {
  if (current === stage)
    throw new MlxError('INVALID_STATE', `run ${runId} is already ${stage}${stage === 'deleted' ? `; restore it with: mlx runs restore ${runId}` : ''}`);
}
export const noRunTag = (runId: string, key: string) => notFound(`run ${runId} has no tag ${q(key)}`);

export const experimentNotFound = (id: string) => notFound(`No Experiment with id=${id} exists; list them with: mlx experiments list`);
export const experimentDeleted = (exp: ExperimentRow) =>
  new MlxError('INVALID_STATE', `experiment ${q(exp.name)} is deleted; restore it first: mlx experiments restore ${exp.experiment_id}`);
export const noExperimentTag = (id: string, key: string) => notFound(`experiment ${id} has no tag ${q(key)}`);

/** createExperiment with a name that is taken (by an active or a deleted experiment). */
export function experimentExists(name: string, existing: ExperimentRow): MlxError {
  return alreadyExists(
    existing.lifecycle_stage === 'deleted'
      ? `experiment ${q(name)} exists but is deleted; restore it with: mlx experiments restore ${existing.experiment_id}`
      : `experiment ${q(name)} already exists (id ${existing.experiment_id})`,
  );
}
export const experimentNameTaken = (name: string, clashId: number) => alreadyExists(`experiment ${q(name)} already exists (id ${clashId}); pick another name`);

/** Checks a lifecycle change of an experiment before it is made. */
export function checkExperimentStage(id: string, row: ExperimentRow, stage: LifecycleStage): void {
  if (stage === 'deleted' && row.experiment_id === 0) throw invalid('the Default experiment (id 0) cannot be deleted');
  if (row.lifecycle_stage === stage) throw new MlxError('INVALID_STATE', `experiment ${id} (${q(row.name)}) is already ${stage}`);
}

export const paramChanged = (runId: string, key: string, old: string, value: string) =>
  invalid(`param ${q(key)} of run ${runId} is already ${q(old)}; params cannot change (tried ${q(value)}), log a new run or use a tag`);

/** A run id or prefix as typed, lower-cased; refuses what cannot be one. */
export function runIdPrefix(idOrPrefix: string): string {
  const id = idOrPrefix.trim().toLowerCase();
  if (!/^[0-9a-f]{6,32}$/.test(id)) throw invalid(`run id ${q(idOrPrefix)} is not a run id: give the 32-character id or a unique prefix of 6 or more`);
  return id;
}

/** The one run a prefix names, from up to three ids starting with it. */
export function onePrefixHit(idOrPrefix: string, hits: string[]): string {
  if (hits.length === 0) throw notFound(`no run id starts with ${q(idOrPrefix)}; find run ids with: mlx runs list`);
  if (hits.length > 1) throw invalid(`run id prefix ${q(idOrPrefix)} is ambiguous (${hits.slice(0, 2).join(', ')}...); give more characters`);
  return hits[0];
}

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found; list models with: mlx models list`);
export const modelExists = (name: string, cause?: unknown) => alreadyExists(`registered model ${q(name)} already exists`, cause);
export const versionNotFound = (name: string, version: number) =>
  notFound(`Model Version (name=${name}, version=${version}) not found; see its versions with: mlx models show ${name}`);
export const aliasNotFound = (name: string, alias: string) =>
  notFound(`Registered model alias ${alias} not found (model ${q(name)}); see its aliases with: mlx models show ${name}`);
export const noAliasToDelete = (name: string, alias: string) => notFound(`model ${q(name)} has no alias ${q(alias)}`);
export const noVersions = (name: string) => notFound(`registered model ${q(name)} has no versions`);
export const noModelTag = (name: string, key: string) => notFound(`registered model ${q(name)} has no tag ${q(key)}`);
export const noVersionTag = (name: string, version: number, key: string) => notFound(`model ${q(name)} version ${version} has no tag ${q(key)}`);

/** Validates tags as every store write does. */
export function validateTags(tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(tags)) {
    validateKey('tag', k);
    validateTagValue(k, v);
  }
}

/** Validates a new model version before any write. */
export function validateVersionInput(input: CreateModelVersionInput): void {
  validateModelName(input.name);
  if (input.alias !== undefined) validateAlias(input.alias);
  validateTags(input.tags ?? {});
  // A version registered from a source mlx cannot read (MLflow registers any) has no bytes and no sha256.
  const opaque = input.sha256 === '' && input.storageLocation === '';
  if (!opaque && !/^[0-9a-f]{64}$/.test(input.sha256)) throw invalid(`sha256 ${q(input.sha256)} is not 64 hex characters`);
}

/** A new run's id, name, start time and all its tags (system tags included) and params, validated. */
export function prepareRun(input: CreateRunInput) {
  const runName = input.runName ?? input.tags?.[SYSTEM_TAGS.runName] ?? newRunName();
  validateRunName(runName);
  const tags: Record<string, string> = { ...input.tags, [SYSTEM_TAGS.runName]: runName, [SYSTEM_TAGS.user]: input.userId };
  if (input.parentRunId) tags[SYSTEM_TAGS.parentRunId] = input.parentRunId;
  validateTags(tags);
  const params = input.params ?? {};
  for (const [k, v] of Object.entries(params)) {
    validateKey('param', k);
    validateParamValue(k, v);
  }
  const startTime = input.startTime ?? Date.now();
  validateTimestamp(startTime);
  return { runId: newRunId(), runName, tags, params, startTime };
}

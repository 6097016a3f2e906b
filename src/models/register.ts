import fs from 'node:fs';
import path from 'node:path';
import { NOT_SERVABLE_TAG, type ModelVersion } from '../core/entities.js';
import { invalid } from '../core/errors.js';
import { parseModelUri, redactUri } from '../core/uri.js';
import { validateAlias, validateKey, validateModelName, validateTagValue } from '../core/validation.js';
import type { TrackingStore } from '../store/store.js';
import { checkLabels, readLabels } from './labels.js';
import { renderModelCard } from './model-card.js';
import { checkMlflowSignature } from './mlflow-model.js';
import { modelFiles } from './open-model-files.js';
import { sha256 } from './model-storage.js';
import type { ModelLimit } from './model-file.js';
import { readModelInfo } from './onnx/model-info.js';
import { checkSpecFits, formatPreprocessSpec, inferPreprocessSpec, parsePreprocessSpec } from './preprocess-spec.js';
import { checkLoadsInRuntime } from './runtime-check.js';
import { readModelBytes, resolveModel, type ModelLookupStore } from './uri.js';

export interface RegisterInput {
  /** A .onnx path, runs:/RUN_ID/PATH or models:/… */
  source: string;
  name: string;
  runId?: string;
  alias?: string;
  description?: string;
  labelsFile?: string;
  /** Labels given directly (the tracking server gets them in a tag); labelsFile wins if both. */
  labels?: string[];
  preprocess?: string;
  tags?: Record<string, string>;
  userId: string;
  /** A data schema to keep with the version (`--schema`: its text, already checked by the caller). */
  schema?: { file: string; text: string };
  /** The largest model file to read (default: MLX_MAX_MODEL_MB, else 2048 MB). */
  modelLimit?: ModelLimit;
}

export interface RegisterResult {
  version: ModelVersion;
  /** Problems worth telling but not worth refusing for (e.g. labels that could not be checked). */
  warnings: string[];
  /** Where the model card was written. */
  card: string;
  /** False when the same bytes were already in the store. */
  storedNewBytes: boolean;
  /** Where the data schema was stored, when one was given. */
  schema?: string;
}

/** The model card template shipped in templates/. */
export function modelCardTemplate(): string {
  return fs.readFileSync(new URL('../../templates/model-card.md', import.meta.url), 'utf8');
}

/** What registering reads and writes: the registry, the source run, and its experiment's name for the model card. */
export type RegistrationStore = ModelLookupStore & Pick<TrackingStore, 'getExperiment'>;

/** A registration that passed every check and is ready to be written. */
export interface PreparedRegistration {
  input: RegisterInput;
  bytes: Buffer;
  hash: string;
  source: string;
  runId: string | null;
  info: ReturnType<typeof readModelInfo>;
  labels: string[] | null;
  preprocess: string | null;
  warnings: string[];
  /** The run artifact the bytes came from (runs:/ sources): a tracking server reads them there. */
  origin?: { runId: string; path: string };
}

/**
 * Checks everything about a registration without writing anything: the name and alias, the
 * source resolves, the file is ONNX and onnxruntime loads it, labels and preprocessing fit it.
 */
export async function prepareRegistration(store: ModelLookupStore, input: RegisterInput): Promise<PreparedRegistration> {
  await checkRegistrationInput(store, { ...input, runId: undefined });
  if (input.schema) {
    const files = await modelFiles(store);
    if (!files.writeSchema || !((await files.keepsSchemas?.()) ?? true))
      throw invalid(
        `${input.schema.file}: this store (${redactUri(store.uri)}) cannot keep a data schema with a version (an MLflow tracking server keeps none); register without --schema and pass it to mlx serve --schema`,
      );
  }
  const labels = input.labelsFile !== undefined ? readLabels(input.labelsFile) : (input.labels ?? null);
  const givenSpec = input.preprocess !== undefined ? parsePreprocessSpec(input.preprocess) : null;
  const explicitRun = input.runId !== undefined ? await store.resolveRunId(input.runId) : undefined;

  const ref = parseModelUri(input.source);
  const resolved = await resolveModel(store, ref);
  const bytes = readModelBytes(resolved, input.modelLimit);
  const info = readModelInfo(bytes, resolved.label);
  await checkLoadsInRuntime(bytes, resolved.label);

  const signature = { inputs: info.inputs, outputs: info.outputs };
  if (resolved.mlflowSignature) checkMlflowSignature(resolved.mlflowSignature, signature, resolved.label);
  const warnings: string[] = [];
  if (labels) {
    const w = checkLabels(labels, signature, input.labelsFile ?? 'the labels');
    if (w) warnings.push(w);
  }
  let preprocess: string | null = null;
  if (givenSpec) {
    checkSpecFits(givenSpec, signature, input.preprocess!);
    preprocess = formatPreprocessSpec(givenSpec);
  } else {
    const inferred = inferPreprocessSpec(signature);
    if (inferred) preprocess = formatPreprocessSpec(inferred);
  }
  // Sources are recorded so they still mean the same thing later: absolute paths, full run
  // ids, version numbers rather than aliases that move.
  const source = ref.kind === 'file' ? resolved.file : ref.kind === 'run' ? `runs:/${resolved.runId}/${ref.path}` : resolved.label;
  const origin = ref.kind === 'run' && resolved.runId && resolved.artifactPath ? { runId: resolved.runId, path: resolved.artifactPath } : undefined;
  return { input, bytes, hash: sha256(bytes), source, runId: explicitRun ?? resolved.runId ?? null, info, labels, preprocess, warnings, origin };
}

/** The checks of a registration that do not read the model: name, alias, tags, and that the run exists. */
export async function checkRegistrationInput(
  store: Pick<ModelLookupStore, 'resolveRunId'>,
  input: { name: string; alias?: string; tags?: Record<string, string>; runId?: string },
): Promise<void> {
  validateModelName(input.name);
  if (input.alias !== undefined) validateAlias(input.alias);
  for (const [k, v] of Object.entries(input.tags ?? {})) {
    validateKey('tag', k);
    validateTagValue(k, v);
  }
  if (input.runId !== undefined) await store.resolveRunId(input.runId);
}

export interface OpaqueRegistration {
  name: string;
  source: string;
  runId?: string;
  userId: string;
  description?: string;
  tags: Record<string, string>;
  /** Why mlx cannot serve it, as a phrase after "version N of NAME" (e.g. "is an MLflow sklearn model; mlx serves ONNX: …"). */
  reason: string;
}

/**
 * Registers a source mlx cannot read as a model (another framework's model, files elsewhere) as
 * MLflow does: the source as given, no model facts, and the not-servable tag with the reason, so
 * that serving it says what it is and what to do.
 */
export async function registerOpaque(store: ModelLookupStore, o: OpaqueRegistration): Promise<ModelVersion> {
  return store.createModelVersion({
    name: o.name,
    source: o.source,
    runId: o.runId !== undefined ? await store.resolveRunId(o.runId) : null,
    userId: o.userId,
    description: o.description,
    storageLocation: '',
    sha256: '',
    size: 0,
    irVersion: 0,
    opset: [],
    producer: '',
    signature: { inputs: [], outputs: [] },
    labels: null,
    preprocess: null,
    tags: { ...o.tags, [NOT_SERVABLE_TAG]: o.reason },
  });
}

/**
 * Writes a prepared registration: the bytes (by sha256 in a local store; uploaded through the
 * artifact proxy for a tracking server), version N+1 in one transaction, the model card.
 */
export async function commitRegistration(store: RegistrationStore, p: PreparedRegistration): Promise<RegisterResult> {
  const { input, info, hash, bytes } = p;
  const files = await modelFiles(store);
  const stored = await files.put(bytes, hash, p.origin);
  const { location, created } = stored;
  let version: ModelVersion;
  try {
    version = await store.createModelVersion({
      name: input.name,
      source: p.source,
      runId: p.runId,
      userId: input.userId,
      description: input.description,
      storageLocation: location,
      sha256: hash,
      size: bytes.byteLength,
      irVersion: info.irVersion,
      opset: info.opsetImports,
      producer: [info.producerName, info.producerVersion].filter(Boolean).join(' '),
      signature: { inputs: info.inputs, outputs: info.outputs },
      labels: p.labels,
      preprocess: p.preprocess,
      tags: input.tags,
      alias: input.alias,
    });
  } catch (err) {
    // Nothing registered means no stray bytes either.
    await stored.discard();
    throw err;
  }
  await stored.settle().catch(() => undefined);
  const schema = input.schema ? await files.writeSchema!(version, input.schema.text) : undefined;
  const card = await files.writeCard(version, await modelCardText(store, version));
  const warnings = card.warning ? [...p.warnings, card.warning] : p.warnings;
  return { version, warnings, card: card.location, storedNewBytes: created, ...(schema ? { schema } : {}) };
}

/** Registers an ONNX model as version N+1 of NAME: every check first, then the writes. */
export async function registerModel(store: RegistrationStore, input: RegisterInput): Promise<RegisterResult> {
  return commitRegistration(store, await prepareRegistration(store, input));
}

/** Renders a version's model card (with its training run, when known) and writes it to out, else beside the version in the store. */
export async function writeModelCard(store: RegistrationStore, version: ModelVersion, out?: string): Promise<string> {
  const text = await modelCardText(store, version);
  if (out === undefined) return (await (await modelFiles(store)).writeCard(version, text)).location;
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, text);
  return out;
}

/** The Markdown model card of a version. */
export async function modelCardText(store: Pick<TrackingStore, 'getRun' | 'getExperiment'>, version: ModelVersion): Promise<string> {
  const run = version.run_id ? await store.getRun(version.run_id).catch(() => null) : null;
  const experimentName = run ? (await store.getExperiment(run.info.experiment_id).catch(() => null))?.name : undefined;
  return renderModelCard(modelCardTemplate(), { version, run, experimentName });
}

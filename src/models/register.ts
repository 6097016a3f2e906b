import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion } from '../core/entities.js';
import { validateAlias, validateModelName } from '../core/validation.js';
import type { Store } from '../store/store.js';
import { checkLabels, readLabels } from './labels.js';
import { renderModelCard } from './model-card.js';
import { ModelStorage, sha256 } from './model-storage.js';
import { readModelInfo } from './onnx/model-info.js';
import { checkSpecFits, formatPreprocessSpec, inferPreprocessSpec, parsePreprocessSpec } from './preprocess-spec.js';
import { checkLoadsInRuntime } from './runtime-check.js';
import { parseModelUri, readModelBytes, resolveModel } from './uri.js';

export interface RegisterInput {
  /** A .onnx path, runs:/RUN_ID/PATH or models:/… */
  source: string;
  name: string;
  runId?: string;
  alias?: string;
  description?: string;
  labelsFile?: string;
  preprocess?: string;
  tags?: Record<string, string>;
  userId: string;
}

export interface RegisterResult {
  version: ModelVersion;
  /** Problems worth telling but not worth refusing for (e.g. labels that could not be checked). */
  warnings: string[];
  /** Where the model card was written. */
  card: string;
  /** False when the same bytes were already in the store. */
  storedNewBytes: boolean;
}

/** The model card template shipped in templates/. */
export function modelCardTemplate(): string {
  return fs.readFileSync(new URL('../../templates/model-card.md', import.meta.url), 'utf8');
}

/** Where the card of a version is written, inside the store folder. */
export function cardPath(storeRoot: string, name: string, version: number): string {
  return path.join(storeRoot, 'models', 'cards', name, `v${version}.md`);
}

/**
 * Registers an ONNX model as version N+1 of NAME: everything is checked first (the file is
 * ONNX, onnxruntime loads it, labels and preprocessing fit it), then the bytes are stored by
 * sha256, the version is created in one transaction, and its model card is written.
 */
export async function registerModel(store: Store, input: RegisterInput): Promise<RegisterResult> {
  validateModelName(input.name);
  if (input.alias !== undefined) validateAlias(input.alias);
  const labels = input.labelsFile !== undefined ? readLabels(input.labelsFile) : null;
  const givenSpec = input.preprocess !== undefined ? parsePreprocessSpec(input.preprocess) : null;
  const explicitRun = input.runId !== undefined ? await store.resolveRunId(input.runId) : undefined;

  const resolved = await resolveModel(store, parseModelUri(input.source));
  const bytes = readModelBytes(resolved);
  const info = readModelInfo(bytes, resolved.label);
  await checkLoadsInRuntime(bytes, resolved.label);

  const signature = { inputs: info.inputs, outputs: info.outputs };
  const warnings: string[] = [];
  if (labels) {
    const w = checkLabels(labels, signature, input.labelsFile!);
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

  const hash = sha256(bytes);
  const storage = new ModelStorage(store.uri);
  const { location, created } = storage.put(bytes, hash);
  let version: ModelVersion;
  try {
    version = await store.createModelVersion({
      name: input.name,
      // Files are recorded by absolute path, so lineage survives a change of directory.
      source: parseModelUri(input.source).kind === 'file' ? resolved.file : input.source,
      runId: explicitRun ?? resolved.runId ?? null,
      userId: input.userId,
      description: input.description,
      storageLocation: location,
      sha256: hash,
      size: bytes.byteLength,
      irVersion: info.irVersion,
      opset: info.opsetImports,
      producer: [info.producerName, info.producerVersion].filter(Boolean).join(' '),
      signature,
      labels,
      preprocess,
      tags: input.tags,
      alias: input.alias,
    });
  } catch (err) {
    // Nothing registered means no stray bytes either.
    if (created && (await store.searchModelVersions({})).every((v) => v.sha256 !== hash)) storage.remove([path.join(store.uri, location)]);
    throw err;
  }
  const card = await writeModelCard(store, version);
  return { version, warnings, card, storedNewBytes: created };
}

/** Renders a version's model card (with its training run, when known) and writes it beside the version. */
export async function writeModelCard(store: Store, version: ModelVersion, out?: string): Promise<string> {
  const text = await modelCardText(store, version);
  const file = out ?? cardPath(store.uri, version.name, version.version);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** The Markdown model card of a version. */
export async function modelCardText(store: Store, version: ModelVersion): Promise<string> {
  const run = version.run_id ? await store.getRun(version.run_id).catch(() => null) : null;
  const experimentName = run ? (await store.getExperiment(run.info.experiment_id).catch(() => null))?.name : undefined;
  return renderModelCard(modelCardTemplate(), { version, run, experimentName });
}

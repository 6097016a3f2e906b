import fs from 'node:fs';
import path from 'node:path';
import { artifactRepository } from '../artifacts/open-repository.js';
import { NOT_SERVABLE_TAG, type ModelVersion } from '../core/entities.js';
import { MlxError, notFound } from '../core/errors.js';
import { readableStat } from '../core/file-errors.js';
import { parseRegistryRef, type ModelRef, type VersionSelector } from '../core/uri.js';
import type { RegistryStore, TrackingStore } from '../store/store.js';
import { modelFiles } from './open-model-files.js';
import { readModelFile, type ModelLimit } from './model-file.js';
import { MLMODEL, mlflowOnnxIn, type MlflowModelInfo } from './mlflow-model.js';
import { readVerified } from './model-storage.js';

/** What resolving a model URI reads: the registry (models:/) and runs (runs:/). */
export type ModelLookupStore = RegistryStore & Pick<TrackingStore, 'resolveRunId' | 'getRun'>;

export interface ResolvedModel {
  /** Absolute path of the .onnx file (for a remote store: a verified copy in the local model cache). */
  file: string;
  /** For runs:/ URIs: the .onnx file's path inside the run's artifacts. */
  artifactPath?: string;
  /** The registry version when the URI named one. */
  version?: ModelVersion;
  /** The run the model came from, when known. */
  runId?: string;
  /** How to name the model in messages. */
  label: string;
  /** The MLflow signature of the MLflow model folder the file came from, to check against the ONNX one. */
  mlflowSignature?: MlflowModelInfo['signature'];
}

function readIfFile(file: string): string | null {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : null;
  } catch {
    return null;
  }
}

/** Which of a folder's entries is its model: model.onnx, else the only .onnx file; else how many .onnx files there are. */
export function chooseOnnx(names: string[]): { file: string } | { count: number } {
  const onnx = names.filter((f) => f.toLowerCase().endsWith('.onnx'));
  if (onnx.includes('model.onnx')) return { file: 'model.onnx' };
  if (onnx.length === 1) return { file: onnx[0] };
  return { count: onnx.length };
}

/**
 * A folder stands for its model: an MLflow model folder (MLmodel file) for the file its onnx
 * flavor names, any other folder for the one .onnx file in it (model.onnx preferred).
 */
async function onnxFileIn(p: string, label: string): Promise<{ file: string; signature?: MlflowModelInfo['signature'] }> {
  const stat = readableStat(p, label);
  if (!stat.isDirectory()) return { file: p };
  const mlflow = await mlflowOnnxIn(() => readIfFile(path.join(p, MLMODEL)), label);
  if (mlflow) return { file: path.join(p, ...mlflow.file.split('/')), signature: mlflow.signature };
  const chosen = chooseOnnx(fs.readdirSync(p));
  if ('file' in chosen) return { file: path.join(p, chosen.file) };
  throw notFound(`${label} is a folder with ${chosen.count === 0 ? 'no' : chosen.count} .onnx files; name the file`);
}

/** The version a selector names: NAME/3, NAME@alias or NAME/latest (not found: the store's error, naming it). */
export function versionBySelector(store: RegistryStore, name: string, s: VersionSelector): Promise<ModelVersion> {
  return 'version' in s
    ? store.getModelVersion(name, s.version)
    : 'alias' in s
      ? store.getModelVersionByAlias(name, s.alias)
      : store.getLatestModelVersion(name);
}

/**
 * Resolves a model reference to a file on this machine (and the registry version or run behind
 * it). The store's model files say where a version's bytes are; a run's artifacts may be on a
 * tracking server, then the .onnx file is downloaded into the local model cache.
 */
export async function resolveModel(store: ModelLookupStore, ref: ModelRef): Promise<ResolvedModel> {
  if (ref.kind === 'registry') {
    const version = await versionBySelector(store, ref.name, ref.selector);
    const reason = version.tags[NOT_SERVABLE_TAG];
    if (reason !== undefined) throw new MlxError('INVALID_STATE', `version ${version.version} of ${version.name} ${reason}`);
    const file = await (await modelFiles(store)).localFile(version);
    return { file, version, runId: version.run_id ?? undefined, label: `models:/${version.name}/${version.version}` };
  }
  if (ref.kind === 'run') {
    const runId = await store.resolveRunId(ref.runId);
    const run = await store.getRun(runId);
    const label = `runs:/${runId}/${ref.path}`;
    const what = `artifact ${JSON.stringify(ref.path)} of run ${runId}`;
    const repo = await artifactRepository(run.info.artifact_uri, store.uri, store.http);
    const local = repo.localPath(ref.path);
    if (local !== null) {
      const { file, signature } = await onnxFileIn(local, what);
      return { file, runId, label, artifactPath: path.relative(repo.localPath('')!, file).split(path.sep).join('/'), mlflowSignature: signature };
    }
    const { downloadModel, findOnnx } = await import('./remote-model-files.js');
    const found = await findOnnx(repo, ref.path.replace(/^\/+|\/+$/g, ''), what);
    // Object stores record each file's sha256: a model downloaded before is served from the local cache.
    const known = (await repo.sha256?.(found.rel)) ?? undefined;
    return { file: await downloadModel(repo, found.rel, what, known), runId, label, artifactPath: found.rel, mlflowSignature: found.signature };
  }
  const { file, signature } = await onnxFileIn(ref.path, `model file ${JSON.stringify(ref.path)}`);
  return { file: path.resolve(file), label: ref.path, mlflowSignature: signature };
}

/**
 * Reads a resolved model's bytes; registry versions are verified against their sha256. Files
 * given by users (paths, run artifacts) must be regular files within the model size limit
 * (default: MLX_MAX_MODEL_MB, else 2048 MB).
 */
export function readModelBytes(m: ResolvedModel, limit?: ModelLimit): Buffer {
  // A version from a server without mlx's facts (MLflow) has no sha256 to check against.
  if (m.version?.sha256) return readVerified(m.file, m.version.sha256);
  // The path as the user gave it, unless it named a folder (then the file picked in it).
  const shown = m.artifactPath !== undefined || path.resolve(m.label) === m.file ? m.label : m.file;
  return readModelFile(m.file, `model file ${JSON.stringify(shown)}`, limit);
}

/**
 * Resolves what `mlx models` commands take: NAME (the model itself, or its latest version when
 * latestForBare), NAME/3, NAME/latest or NAME@alias, to a name and a version number (or null).
 */
export async function resolveRegistryRef(
  store: RegistryStore,
  text: string,
  opts: { latestForBare?: boolean } = {},
): Promise<{ name: string; version: number | null }> {
  // models:/NAME/3 and models:/NAME@alias name what NAME/3 and NAME@alias do.
  const { name, selector } = parseRegistryRef(text.startsWith('models:/') ? text.slice('models:/'.length) : text, { allowBare: true });
  if (selector === null) {
    await store.getRegisteredModel(name);
    return { name, version: opts.latestForBare ? (await store.getLatestModelVersion(name)).version : null };
  }
  return { name, version: (await versionBySelector(store, name, selector)).version };
}

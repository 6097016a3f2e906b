import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpArtifactRepository } from '../artifacts/http-repository.js';
import { artifactRepository } from '../artifacts/open-repository.js';
import type { ArtifactRepository } from '../artifacts/repository.js';
import type { ModelVersion } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import type { RegistryStore } from '../store/store.js';
import type { ModelFiles, StoredModel } from './model-files.js';
import { sha256 } from './model-storage.js';
import { MLMODEL, mlflowOnnxIn, type MlflowModelInfo } from './mlflow-model.js';

/** A registry whose tracking server keeps the model files (the REST store): its client, and where versions and cards are. */
export type ServerRegistry = RegistryStore &
  Required<Pick<RegistryStore, 'http' | 'getModelVersionDownloadUri' | 'putModelCard'>> &
  Pick<RegistryStore, 'getModelSchema' | 'putModelSchema' | 'keepsModelSchemas'>;

/** Where registered models are uploaded for model-versions/create to read them (removed once it has). */
export const UPLOAD_PREFIX = '_mlx/uploads';

/** The local cache of downloaded model files: MLX_MODEL_CACHE, else <tmp>/mlx-model-cache. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLX_MODEL_CACHE || path.join(os.tmpdir(), 'mlx-model-cache');
}

/** A cached model file, if present and whole: its bytes are re-hashed, so a damaged one is fetched again. */
function cached(hash: string): string | null {
  const file = path.join(modelCacheDir(), `${hash}.onnx`);
  try {
    return sha256(fs.readFileSync(file)) === hash ? file : null;
  } catch {
    return null;
  }
}

/**
 * Downloads one model file into the cache as <sha256>.onnx and returns its path. With expected,
 * bytes that do not match are refused (and not kept).
 */
export async function downloadModel(repo: ArtifactRepository, rel: string, label: string, expected?: string): Promise<string> {
  if (expected) {
    const hit = cached(expected);
    if (hit) return hit;
  }
  const dir = modelCacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `download-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await repo.download(rel, tmp);
    const hash = sha256(fs.readFileSync(tmp));
    if (expected && hash !== expected)
      throw new MlxError(
        'INVALID_STATE',
        `${label} downloaded from the tracking server does not match its recorded sha256 (expected ${expected.slice(0, 12)}…, got ${hash.slice(0, 12)}…); the server's copy is damaged: re-register the model`,
      );
    const file = path.join(dir, `${hash}.onnx`);
    fs.renameSync(tmp, file);
    return file;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * The one .onnx file an artifact path stands for: the file itself, the file an MLflow model
 * folder's onnx flavor names, or a folder's model.onnx, or its only .onnx.
 */
export async function findOnnx(repo: ArtifactRepository, rel: string, label: string): Promise<{ rel: string; signature?: MlflowModelInfo['signature'] }> {
  const entries = await repo.list(rel || undefined);
  if (entries.length === 0) throw new MlxError('RESOURCE_DOES_NOT_EXIST', `${label} does not exist`);
  if (entries.length === 1 && !entries[0].is_dir && entries[0].path === rel) return { rel };
  const mlmodel = entries.find((e) => !e.is_dir && path.posix.basename(e.path) === MLMODEL);
  if (mlmodel) {
    const tmp = path.join(os.tmpdir(), `mlx-mlmodel-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await repo.download(mlmodel.path, tmp);
      const found = await mlflowOnnxIn(() => fs.readFileSync(tmp, 'utf8'), label);
      if (found) return { rel: rel ? `${rel}/${found.file}` : found.file, signature: found.signature };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const onnx = entries.filter((e) => !e.is_dir && e.path.toLowerCase().endsWith('.onnx')).map((e) => e.path);
  const preferred = onnx.find((p) => path.posix.basename(p) === 'model.onnx');
  if (preferred) return { rel: preferred };
  if (onnx.length === 1) return { rel: onnx[0] };
  throw new MlxError('RESOURCE_DOES_NOT_EXIST', `${label} is a folder with ${onnx.length === 0 ? 'no' : onnx.length} .onnx files; name the file`);
}

/**
 * Model bytes and cards kept by a tracking server: registration uploads through the artifact
 * proxy and the server copies the bytes into its registry; serving downloads them (via
 * model-versions/get-download-uri) into a local cache, verified against the version's sha256.
 */
export class RemoteModelFiles implements ModelFiles {
  constructor(private readonly store: ServerRegistry) {}

  /** A folder of its own per registration, so concurrent registrations of the same bytes do not take each other's upload away. */
  private uploads(hash: string): HttpArtifactRepository {
    const root = `${UPLOAD_PREFIX}/${hash}-${randomBytes(4).toString('hex')}`;
    return new HttpArtifactRepository(`mlflow-artifacts:/${root}`, this.store.http, root);
  }

  async put(bytes: Uint8Array, hash: string, origin?: { runId: string; path: string }): Promise<StoredModel> {
    const nothing = async () => undefined;
    // Already on the server as a run artifact: the server reads it there, and the version records the run.
    if (origin) return { location: `runs:/${origin.runId}/${origin.path}`, created: true, discard: nothing, settle: nothing };
    const repo = this.uploads(hash);
    const tmp = path.join(os.tmpdir(), `mlx-upload-${process.pid}-${randomBytes(4).toString('hex')}.onnx`);
    fs.writeFileSync(tmp, bytes);
    try {
      await repo.upload(tmp, 'model.onnx');
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const drop = () => repo.remove('');
    // mlx server keeps its own content-addressed copy, so the upload is not needed afterwards; an
    // MLflow server records the upload's URI as the version's storage location: it must stay.
    const settle = async () => {
      const copies = await this.store.http.call('GET', 'mlx/server-info').then(
        () => true,
        () => false,
      );
      if (copies) await drop();
    };
    return { location: `${repo.uri}/model.onnx`, created: true, discard: drop, settle };
  }

  async localFile(version: ModelVersion): Promise<string> {
    const label = `models:/${version.name}/${version.version}`;
    if (version.sha256) {
      const hit = cached(version.sha256);
      if (hit) return hit;
    }
    const uri = (await this.store.getModelVersionDownloadUri(version.name, version.version)).replace(/\/+$/, '');
    // A .onnx URI is the file (mlx server); anything else is a model folder (MLflow's) holding one.
    const slash = uri.lastIndexOf('/');
    const base = uri.slice(slash + 1);
    const repo = await artifactRepository(uri.slice(0, slash), this.store.uri, this.store.http);
    const rel = base.toLowerCase().endsWith('.onnx') ? base : (await findOnnx(repo, base, label)).rel;
    return downloadModel(repo, rel, label, version.sha256 || undefined);
  }

  async verifiedFile(version: ModelVersion): Promise<string> {
    // localFile checks a download (and a cached copy) against the version's sha256.
    return this.localFile(version);
  }

  async writeCard(version: ModelVersion, markdown: string): Promise<{ location: string; warning?: string }> {
    try {
      await this.store.putModelCard(version.name, version.version, markdown);
    } catch (err) {
      return {
        location: '',
        warning: `the model card was not stored on the tracking server (${(err as Error).message}); render it with: mlx models card ${version.name}/${version.version}`,
      };
    }
    const q = new URLSearchParams({ name: version.name, version: String(version.version) });
    return { location: `${this.store.uri}/api/2.0/mlx/model-versions/card?${q}` };
  }

  async keepsSchemas(): Promise<boolean> {
    return (await this.store.keepsModelSchemas?.()) ?? false;
  }

  async writeSchema(version: ModelVersion, json: string): Promise<string> {
    if (!this.store.putModelSchema) throw new MlxError('INVALID_STATE', `the tracking server at ${this.store.uri} keeps no data schemas`);
    await this.store.putModelSchema(version.name, version.version, json);
    const q = new URLSearchParams({ name: version.name, version: String(version.version) });
    return `${this.store.uri}/api/2.0/mlx/model-versions/schema?${q}`;
  }

  async readSchema(version: ModelVersion): Promise<string | null> {
    return (await this.store.getModelSchema?.(version.name, version.version)) ?? null;
  }

  async forget(): Promise<void> {
    // The server removes the bytes and cards of the versions it deletes.
  }
}

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactRepository } from '../artifacts/repository.js';
import type { ModelVersion } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import { schemeOf } from '../core/uri.js';
import type { RegistryStore } from '../store/store.js';
import type { ModelFiles, StoredModel } from './model-files.js';
import { readVerified } from './model-storage.js';
import { modelCacheDir } from './remote-model-files.js';

/** The repository-relative keys of a version's files: the same layout as a local store's folder. */
export const registryKeys = {
  model: (hash: string) => `models/sha256/${hash}.onnx`,
  cards: (name: string) => `models/cards/${name}`,
  card: (name: string, version: number) => `models/cards/${name}/v${version}.md`,
  schemas: (name: string) => `models/schemas/${name}`,
  schema: (name: string, version: number) => `models/schemas/${name}/v${version}.json`,
};

/** The sha256 of a file, streamed: a model of gigabytes is never held in memory to be checked. */
async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

/** A registry object whose bytes are not the version's. */
function tampered(label: string, uri: string, expected: string, found: string | null, cause?: unknown): MlxError {
  const got = found === null ? '' : `, found ${found.slice(0, 12)}…`;
  return new MlxError(
    'INVALID_STATE',
    `the model file of ${label} (${uri}) does not match its recorded sha256 (expected ${expected.slice(0, 12)}…${got}): it was changed or corrupted in the bucket; register the model again`,
    { cause },
  );
}

/** A folder of its own under the system's temporary folder, removed after fn. */
async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-registry-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The registry's files on an artifact repository (`mlx server` on PostgreSQL with
 * `--artifacts-destination s3://…`: `<destination>/_mlx-registry/`), so that every replica reads
 * what any of them wrote. Model bytes are content-addressed by sha256 and recorded as the full URI
 * of their object (unambiguous whatever the server's folders), uploaded whole or not at all (the
 * repository's upload: a single PUT or a multipart upload that appears only when complete), and
 * checked against the version's sha256 on every read (downloaded into the model cache first).
 */
export class RepositoryModelFiles implements ModelFiles {
  constructor(
    private readonly store: RegistryStore,
    private readonly repo: ArtifactRepository,
  ) {
    if (!repo.removeTree)
      throw new MlxError('INVALID_STATE', `the registry repository ${repo.uri} cannot delete files; keep the registry in a folder or on S3`);
  }

  private uriOf(rel: string): string {
    return `${this.repo.uri.replace(/\/+$/, '')}/${rel}`;
  }

  /** The repository key of a recorded location in this registry (its full URI, or a registry-relative key); null for a local path. */
  private relOf(location: string): string | null {
    const base = `${this.repo.uri.replace(/\/+$/, '')}/`;
    if (location.startsWith(base)) return location.slice(base.length);
    if (path.isAbsolute(location)) return null;
    if (schemeOf(location) !== null)
      throw new MlxError(
        'INVALID_STATE',
        `model file ${location} is outside this server's registry (${this.repo.uri}); serve it from the server that registered it, or register the model again`,
      );
    return location;
  }

  /** Whether the object at rel holds these bytes already (same size and recorded sha256). */
  private async holds(rel: string, hash: string, size: number): Promise<boolean> {
    const listed = await this.repo.list(rel);
    if (listed.length !== 1 || listed[0].is_dir || listed[0].file_size !== size) return false;
    return (await this.repo.sha256?.(rel)) === hash;
  }

  /** Uploads text (or bytes) to rel through a temporary file of that name: the repository sends it whole or not at all. */
  private async upload(rel: string, bytes: Uint8Array | string): Promise<void> {
    await inTempDir(async (dir) => {
      const file = path.join(dir, path.posix.basename(rel));
      fs.writeFileSync(file, bytes);
      await this.repo.log(file, path.posix.dirname(rel));
    });
  }

  /** The text at rel, or null when there is no such file. */
  private async text(rel: string): Promise<string | null> {
    const listed = await this.repo.list(rel);
    if (listed.length !== 1 || listed[0].is_dir) return null;
    return inTempDir(async (dir) => {
      const file = path.join(dir, 'text');
      await this.repo.download(rel, file);
      return fs.readFileSync(file, 'utf8');
    });
  }

  async put(bytes: Uint8Array, hash: string): Promise<StoredModel> {
    const rel = registryKeys.model(hash);
    const created = !(await this.holds(rel, hash, bytes.byteLength));
    if (created) await this.upload(rel, bytes);
    return {
      location: this.uriOf(rel),
      created,
      // Another replica may have registered the same bytes meanwhile: removed only when no version uses them.
      discard: async () => {
        if (created && (await this.store.searchModelVersions({})).every((v) => v.sha256 !== hash)) await this.repo.removeTree!(rel);
      },
      settle: async () => undefined,
    };
  }

  async localFile(version: ModelVersion): Promise<string> {
    const rel = this.relOf(version.storage_location);
    // A version recorded before the registry moved to the repository (a shared folder) is read where it is.
    if (rel === null) return version.storage_location;
    const label = `models:/${version.name}/${version.version}`;
    const dir = modelCacheDir();
    const cachedFile = path.join(dir, `${version.sha256}.onnx`);
    if ((await fileSha256(cachedFile).catch(() => null)) === version.sha256) return cachedFile;
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `download-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    try {
      try {
        await this.repo.download(rel, tmp);
      } catch (err) {
        if (err instanceof MlxError && err.code === 'RESOURCE_DOES_NOT_EXIST')
          throw new MlxError(
            'RESOURCE_DOES_NOT_EXIST',
            `the model file of ${label} (${this.uriOf(rel)}) is missing from the registry; register the model again`,
            {
              cause: err,
            },
          );
        // The object's bytes differ from the sha256 recorded in its metadata: changed in the bucket, not cut in transit.
        if (err instanceof MlxError && /sha256 [0-9a-f]{64}, recorded/.test(err.message)) throw tampered(label, this.uriOf(rel), version.sha256, null, err);
        throw err;
      }
      const actual = await fileSha256(tmp);
      if (actual !== version.sha256) throw tampered(label, this.uriOf(rel), version.sha256, actual);
      fs.renameSync(tmp, cachedFile);
      return cachedFile;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  async verifiedFile(version: ModelVersion): Promise<string> {
    const file = await this.localFile(version);
    if (this.relOf(version.storage_location) === null) readVerified(file, version.sha256, `${file} (models:/${version.name}/${version.version})`);
    return file;
  }

  async writeCard(version: ModelVersion, markdown: string): Promise<{ location: string }> {
    const rel = registryKeys.card(version.name, version.version);
    await this.upload(rel, markdown);
    return { location: this.uriOf(rel) };
  }

  async readCard(version: ModelVersion): Promise<string | null> {
    return this.text(registryKeys.card(version.name, version.version));
  }

  async writeSchema(version: ModelVersion, json: string): Promise<string> {
    const rel = registryKeys.schema(version.name, version.version);
    await this.upload(rel, json);
    return this.uriOf(rel);
  }

  async readSchema(version: ModelVersion): Promise<string | null> {
    return this.text(registryKeys.schema(version.name, version.version));
  }

  async renameModel(from: string, to: string): Promise<void> {
    for (const [oldDir, newDir] of [
      [registryKeys.cards(from), registryKeys.cards(to)],
      [registryKeys.schemas(from), registryKeys.schemas(to)],
    ]) {
      const files = (await this.repo.list(oldDir, true)).filter((e) => !e.is_dir);
      // Copied first, removed after: a failure midway leaves the files under one name or both, never none.
      for (const f of files) {
        const text = await this.text(f.path);
        if (text !== null) await this.upload(`${newDir}/${f.path.slice(oldDir.length + 1)}`, text);
      }
      if (files.length) await this.repo.removeTree!(oldDir);
    }
  }

  async forget(name: string, versions: number[], freed: string[], wholeModel: boolean): Promise<void> {
    for (const location of freed) {
      const rel = this.relOf(location);
      if (rel === null) fs.rmSync(location, { force: true });
      else await this.repo.removeTree!(rel);
    }
    if (wholeModel) {
      await this.repo.removeTree!(registryKeys.cards(name));
      await this.repo.removeTree!(registryKeys.schemas(name));
      return;
    }
    for (const v of versions) {
      await this.repo.removeTree!(registryKeys.card(name, v));
      await this.repo.removeTree!(registryKeys.schema(name, v));
    }
  }
}

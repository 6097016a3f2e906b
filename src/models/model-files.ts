import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import { writeDenied } from '../core/write-access.js';
import { redactUri } from '../core/uri.js';
import type { Store } from '../store/store.js';
import { ModelStorage } from './model-storage.js';

/** What put() stored for a registration. */
export interface StoredModel {
  /** The location createModelVersion records (local) or reads the model from (remote). */
  location: string;
  /** False when the same bytes were stored already. */
  created: boolean;
  /** After a refused registration: removes what put() stored, unless a version uses it. */
  discard(): Promise<void>;
  /** After a successful registration: drops what is no longer needed (a remote upload the server copied). */
  settle(): Promise<void>;
}

/**
 * Where a store keeps model bytes and model cards: a local store in its own folder, a remote
 * store on its tracking server. The registry code (register, serve, predict, delete) goes
 * through this instead of assuming a folder.
 */
export interface ModelFiles {
  /** Stores the bytes of a model being registered; origin names the run artifact they came from, if any. */
  put(bytes: Uint8Array, hash: string, origin?: { runId: string; path: string }): Promise<StoredModel>;
  /** A file on this machine with a version's bytes (for a remote store, downloaded into a cache and verified). */
  localFile(version: ModelVersion): Promise<string>;
  /** Stores a version's Markdown model card; returns where it can be read, or a warning when it could not be stored. */
  writeCard(version: ModelVersion, markdown: string): Promise<{ location: string; warning?: string }>;
  /** Removes what deleted versions leave behind: bytes no version uses (freed) and their cards. */
  forget(name: string, versions: number[], freed: string[], wholeModel: boolean): Promise<void>;
}

/** Where the card of a version is written, inside a local store folder. */
export function cardPath(storeRoot: string, name: string, version: number): string {
  return path.join(storeRoot, 'models', 'cards', name, `v${version}.md`);
}

const isRemote = (store: Store) => /^https?:\/\//i.test(store.uri);

/** The model files of a store: its folder, or (for an http(s) store) its tracking server. */
export async function modelFiles(store: Store): Promise<ModelFiles> {
  if (isRemote(store)) {
    const { RemoteModelFiles } = await import('./remote-model-files.js');
    return new RemoteModelFiles(store);
  }
  if (store.fileRoot === null)
    throw new MlxError(
      'INVALID_PARAMETER_VALUE',
      `the store ${redactUri(store.uri)} keeps no model files on this machine; run \`mlx server --backend-store-uri ${redactUri(store.uri)} --artifacts-destination DIR\` and use the registry through it (MLX_TRACKING_URI=http://HOST:PORT)`,
    );
  return new LocalModelFiles(store, store.fileRoot);
}

/** Model bytes by sha256 under `<fileRoot>/models/sha256/`, cards under `<fileRoot>/models/cards/`. */
class LocalModelFiles implements ModelFiles {
  private readonly storage: ModelStorage;
  constructor(
    private readonly store: Store,
    private readonly root: string,
  ) {
    this.storage = new ModelStorage(root);
  }

  async put(bytes: Uint8Array, hash: string): Promise<StoredModel> {
    let stored: { location: string; created: boolean };
    try {
      stored = this.storage.put(bytes, hash);
    } catch (err) {
      throw writeDenied(err, `the store ${this.root}`) ?? err;
    }
    const { location, created } = stored;
    return {
      location,
      created,
      discard: async () => {
        if (created && (await this.store.searchModelVersions({})).every((v) => v.sha256 !== hash))
          this.storage.remove([path.join(this.root, location)]);
      },
      settle: async () => undefined,
    };
  }

  async localFile(version: ModelVersion): Promise<string> {
    return version.storage_location;
  }

  async writeCard(version: ModelVersion, markdown: string): Promise<{ location: string }> {
    const file = cardPath(this.root, version.name, version.version);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, markdown);
    } catch (err) {
      throw writeDenied(err, `the store ${this.root}`) ?? err;
    }
    return { location: file };
  }

  async forget(name: string, versions: number[], freed: string[], wholeModel: boolean): Promise<void> {
    this.storage.remove(freed);
    for (const v of versions) fs.rmSync(cardPath(this.root, name, v), { force: true });
    if (wholeModel) fs.rmSync(path.dirname(cardPath(this.root, name, 1)), { recursive: true, force: true });
  }
}

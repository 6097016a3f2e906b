import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion } from '../core/entities.js';
import { writeDenied } from '../core/write-access.js';
import type { RegistryStore } from '../store/store.js';
import type { ModelFiles, StoredModel } from './model-files.js';
import { ModelStorage, readVerified } from './model-storage.js';

/** Where the card of a version is written, inside a local store folder. */
export function cardPath(storeRoot: string, name: string, version: number): string {
  return path.join(storeRoot, 'models', 'cards', name, `v${version}.md`);
}

/** Where the data schema of a version is kept (`mlx register --schema`), beside its card. */
export function schemaPath(storeRoot: string, name: string, version: number): string {
  return path.join(storeRoot, 'models', 'schemas', name, `v${version}.json`);
}

/** Model bytes by sha256 under `<fileRoot>/models/sha256/`, cards under `<fileRoot>/models/cards/`. */
export class LocalModelFiles implements ModelFiles {
  private readonly storage: ModelStorage;
  constructor(
    private readonly store: RegistryStore,
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
        if (created && (await this.store.searchModelVersions({})).every((v) => v.sha256 !== hash)) this.storage.remove([path.join(this.root, location)]);
      },
      settle: async () => undefined,
    };
  }

  async localFile(version: ModelVersion): Promise<string> {
    return version.storage_location;
  }

  async verifiedFile(version: ModelVersion): Promise<string> {
    const file = version.storage_location;
    // Named relative to the store: a client of the tracking server knows no server paths.
    const shown = path.isAbsolute(file) ? path.relative(this.root, file).split(path.sep).join('/') : file;
    readVerified(file, version.sha256, `${shown} (models:/${version.name}/${version.version})`);
    return file;
  }

  async readCard(version: ModelVersion): Promise<string | null> {
    try {
      return fs.readFileSync(cardPath(this.root, version.name, version.version), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async renameModel(from: string, to: string): Promise<void> {
    for (const dirOf of [cardPath, schemaPath]) {
      const old = path.dirname(dirOf(this.root, from, 1));
      if (fs.existsSync(old)) fs.renameSync(old, path.dirname(dirOf(this.root, to, 1)));
    }
  }

  async writeCard(version: ModelVersion, markdown: string): Promise<{ location: string }> {
    const file = cardPath(this.root, version.name, version.version);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Whole or not at all: a replica reading it meanwhile never meets half a card.
      fs.writeFileSync(`${file}.tmp`, markdown);
      fs.renameSync(`${file}.tmp`, file);
    } catch (err) {
      throw writeDenied(err, `the store ${this.root}`) ?? err;
    }
    return { location: file };
  }

  async writeSchema(version: ModelVersion, json: string): Promise<string> {
    const file = schemaPath(this.root, version.name, version.version);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Written whole or not at all: a reader never meets half a schema.
      fs.writeFileSync(`${file}.tmp`, json);
      fs.renameSync(`${file}.tmp`, file);
    } catch (err) {
      throw writeDenied(err, `the store ${this.root}`) ?? err;
    }
    return file;
  }

  async readSchema(version: ModelVersion): Promise<string | null> {
    try {
      return fs.readFileSync(schemaPath(this.root, version.name, version.version), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async forget(name: string, versions: number[], freed: string[], wholeModel: boolean): Promise<void> {
    this.storage.remove(freed);
    for (const v of versions) fs.rmSync(cardPath(this.root, name, v), { force: true });
    for (const v of versions) fs.rmSync(schemaPath(this.root, name, v), { force: true });
    if (wholeModel) fs.rmSync(path.dirname(cardPath(this.root, name, 1)), { recursive: true, force: true });
    if (wholeModel) fs.rmSync(path.dirname(schemaPath(this.root, name, 1)), { recursive: true, force: true });
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { notFound } from '../../core/errors.js';
import { isDigest, type Digest } from '../objects/digest.js';
import { ObjectCache } from '../objects/object-cache.js';
import type { DataRemote } from './remote.js';

/**
 * A remote that is a folder (a mounted volume, a shared drive): the cache's own layout, written
 * the cache's way (a temp name in the folder, then a rename), so an interrupted push leaves whole
 * objects or none, and a second push resumes with what is missing.
 */
export class FolderRemote implements DataRemote {
  private readonly store: ObjectCache;
  constructor(
    readonly name: string,
    readonly url: string,
    folder: string,
  ) {
    this.store = ObjectCache.at(folder);
  }

  async list(): Promise<Map<Digest, number>> {
    const out = new Map<Digest, number>();
    for (const d of await this.store.list()) out.set(d, fs.statSync(this.store.objectPath(d)).size);
    return out;
  }

  async put(digest: Digest, file: string): Promise<void> {
    const dest = this.store.objectPath(digest);
    const dir = path.dirname(dest);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      // A reflink when the volume allows it, else the kernel's copy.
      await fs.promises.copyFile(file, tmp, fs.constants.COPYFILE_FICLONE);
      await fs.promises.rename(tmp, dest);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  localFile(digest: Digest): string | null {
    return isDigest(digest) ? this.store.objectPath(digest) : null;
  }

  async get(digest: Digest, dest: string): Promise<void> {
    const src = this.store.objectPath(digest);
    if (!isDigest(digest) || !fs.existsSync(src)) throw notFound(`object ${digest} is not on remote "${this.name}" (${this.url})`);
    await fs.promises.copyFile(src, dest, fs.constants.COPYFILE_FICLONE);
  }
}

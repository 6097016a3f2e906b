import type { ArtifactRepository } from '../../artifacts/repository.js';
import { isDigest, type Digest } from '../objects/digest.js';
import { objectRel, type DataRemote } from './remote.js';

/**
 * A remote backed by any artifact repository (a tracking server's artifact proxy, object storage
 * once a scheme for it is in artifacts/open-repository.ts): objects are artifacts at
 * `<2 hex>/<62 hex>` under the repository's root. The repository's uploads are whole-or-nothing
 * on the server's side; a listed size that differs from the expected one is treated as absent.
 */
export class ArtifactRemote implements DataRemote {
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly repo: ArtifactRepository,
  ) {}

  async list(): Promise<Map<Digest, number>> {
    const out = new Map<Digest, number>();
    for (const e of await this.repo.list(undefined, true)) {
      if (e.is_dir) continue;
      const d = e.path.replace('/', '');
      if (isDigest(d) && e.path.indexOf('/') === 2) out.set(d, e.file_size ?? -1);
    }
    return out;
  }

  async put(digest: Digest, file: string): Promise<void> {
    // log() stores the file as <folder>/<its basename>: the cache's object file is named <62 hex>.
    await this.repo.log(file, digest.slice(0, 2));
  }

  async get(digest: Digest, dest: string): Promise<void> {
    await this.repo.download(objectRel(digest), dest);
  }
}

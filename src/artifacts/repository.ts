import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { invalid } from '../core/errors.js';
import { redactUri } from '../core/uri.js';
import type { RestClient } from '../store/rest/client.js';
import { LocalArtifactRepository, safeJoin, type ArtifactEntry } from './local-repository.js';

export type { ArtifactEntry };

/** A file being written into a repository (mlx run's logs/output.txt). */
export interface ArtifactWriter {
  readonly stream: Writable;
  /** Ends the stream and stores the file: at once for a local folder, by an upload for a server. */
  close(): Promise<void>;
}

/** A run's artifacts, wherever they live: a local folder, or a tracking server's artifact proxy. */
export interface ArtifactRepository {
  /** The artifact URI this repository serves (a run's artifact_uri). */
  readonly uri: string;
  /** Copies a file or a folder (recursively) to artifactPath/<basename>; returns the stored relative paths. */
  log(source: string, artifactPath?: string): Promise<string[]>;
  /** Lists artifacts under rel (recursively when asked); an absent folder lists as empty, a file as itself. */
  list(rel?: string, recursive?: boolean): Promise<ArtifactEntry[]>;
  /** Opens a file of the repository for writing. */
  openWriter(rel: string): ArtifactWriter;
  /** Copies one artifact file to a local path (written whole or not at all). */
  download(rel: string, dest: string): Promise<void>;
  /** The artifact's path on this machine when the repository is a local folder, else null (download it). */
  localPath(rel: string): string | null;
}

/** Checks a user-given artifact path (relative, no "..") and returns it with forward slashes; undefined stays undefined. */
export function checkArtifactPath(rel: string | undefined, what = 'artifact path'): string | undefined {
  if (!rel) return undefined;
  const root = path.resolve('/mlx-artifact-root');
  const rest = path.relative(root, safeJoin(root, rel, what));
  return rest === '' ? undefined : rest.split(path.sep).join('/');
}

/** The local folder repository behind the async interface. */
class LocalRepository implements ArtifactRepository {
  private readonly local: LocalArtifactRepository;
  constructor(readonly uri: string) {
    this.local = new LocalArtifactRepository(uri);
  }
  async log(source: string, artifactPath?: string): Promise<string[]> {
    return this.local.log(source, artifactPath).map((p) => p.split(path.sep).join('/'));
  }
  async list(rel?: string, recursive = false): Promise<ArtifactEntry[]> {
    return this.local.list(rel, recursive);
  }
  openWriter(rel: string): ArtifactWriter {
    const stream = this.local.createWriteStream(rel);
    return { stream, close: () => new Promise<void>((resolve, reject) => stream.once('error', reject).end(resolve)) };
  }
  async download(rel: string, dest: string): Promise<void> {
    fs.copyFileSync(this.local.resolve(rel), dest);
  }
  localPath(rel: string): string {
    return this.local.resolve(rel);
  }
}

const PROXY = /^mlflow-artifacts:(?:\/\/([^/]*))?(\/.*)?$/i;

/**
 * The repository for a run's artifact URI: `mlflow-artifacts:/…` goes through the tracking
 * server's artifact proxy (the server of trackingUri, or the host the URI names); a path or
 * file:// URI is a local folder. client: reuse the store's HTTP client (and its token).
 */
export async function artifactRepository(artifactUri: string, trackingUri: string, client?: RestClient): Promise<ArtifactRepository> {
  const proxy = PROXY.exec(artifactUri);
  if (proxy) {
    const { HttpArtifactRepository } = await import('./http-repository.js');
    const { RestClient } = await import('../store/rest/client.js');
    const root = (proxy[2] ?? '').replace(/^\/+|\/+$/g, '');
    const isHttp = /^https?:\/\//i.test(trackingUri);
    if (proxy[1]) {
      const scheme = isHttp ? new URL(trackingUri).protocol : 'http:';
      const base = `${scheme}//${proxy[1]}`;
      const same = client && new URL(client.base).host === proxy[1];
      return new HttpArtifactRepository(artifactUri, same ? client! : new RestClient(base), root);
    }
    if (!isHttp)
      throw invalid(
        `artifact URI ${JSON.stringify(artifactUri)} is served by a tracking server, but the tracking URI ${JSON.stringify(redactUri(trackingUri))} is not one; set MLX_TRACKING_URI=http://HOST:PORT`,
      );
    return new HttpArtifactRepository(artifactUri, client ?? new RestClient(trackingUri), root);
  }
  if (/^file:/i.test(artifactUri)) return new LocalRepository(fileURLToPath(artifactUri));
  if (/^[a-z][a-z0-9+.-]+:/i.test(artifactUri) && !/^[a-zA-Z]:[\\/]/.test(artifactUri))
    throw invalid(
      `artifact URI ${JSON.stringify(artifactUri)} uses a scheme mlx cannot read or write; run the tracking server with proxied artifacts (mlflow-artifacts:/)`,
    );
  return new LocalRepository(artifactUri);
}

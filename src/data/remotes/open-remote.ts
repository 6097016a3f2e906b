import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactRepository } from '../../artifacts/open-repository.js';
import { isHttpUri, schemeOf } from '../../core/uri.js';
import { ArtifactRemote } from './artifact-remote.js';
import type { RemoteConfig } from './config.js';
import { FolderRemote } from './folder-remote.js';
import type { DataRemote } from './remote.js';

/**
 * Where data objects live on an mlx server: an ordinary folder of its artifact proxy, so a team
 * that shares a tracking server shares data with no extra service (and with the server's token).
 */
export const SERVER_DATA_PREFIX = '_mlx-data/objects';

/**
 * The remote for a configured URL: a path (or file:) is a folder; http(s)://HOST:PORT is that
 * server's artifact proxy under `_mlx-data/objects/`; any other scheme is handed to the artifact
 * repository table (artifacts/open-repository.ts), so a storage scheme added there (s3:) works as a
 * data remote with no change here.
 */
export async function openRemote(projectRoot: string, r: RemoteConfig): Promise<DataRemote> {
  const scheme = schemeOf(r.url);
  if (scheme === null) return new FolderRemote(r.name, r.url, path.resolve(projectRoot, r.url));
  if (scheme === 'file') return new FolderRemote(r.name, r.url, fileURLToPath(r.url));
  if (isHttpUri(r.url)) {
    const base = r.url.replace(/\/+$/, '');
    return new ArtifactRemote(r.name, r.url, await artifactRepository(`mlflow-artifacts:/${SERVER_DATA_PREFIX}`, base));
  }
  return new ArtifactRemote(r.name, r.url, await artifactRepository(r.url, r.url));
}

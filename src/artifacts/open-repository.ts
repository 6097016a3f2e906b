import { fileURLToPath } from 'node:url';
import { invalid } from '../core/errors.js';
import { isHttpUri, parseProxyUri, redactUri, schemeOf } from '../core/uri.js';
import type { RestClient } from '../store/http-client.js';
import { LocalArtifactRepository } from './local-repository.js';
import type { ArtifactRepository } from './repository.js';

/** Opens the repository of an artifact URI; trackingUri and client as in artifactRepository. */
type RepositoryFactory = (artifactUri: string, trackingUri: string, client?: RestClient) => Promise<ArtifactRepository>;

/**
 * One row per artifact URI scheme mlx reads and writes; a path without a scheme is a local
 * folder. A new kind of storage (e.g. s3:) is one more row. The HTTP repository is imported
 * only when a URI needs it.
 */
const REPOSITORIES_BY_SCHEME: Record<string, RepositoryFactory> = {
  'mlflow-artifacts': openProxied,
  file: async (uri) => new LocalArtifactRepository(fileURLToPath(uri)),
};

/**
 * The repository for a run's artifact URI: `mlflow-artifacts:/…` goes through the tracking
 * server's artifact proxy (the server of trackingUri, or the host the URI names); a path or
 * file:// URI is a local folder. client: reuse the store's HTTP client (and its token).
 */
export async function artifactRepository(artifactUri: string, trackingUri: string, client?: RestClient): Promise<ArtifactRepository> {
  const scheme = schemeOf(artifactUri);
  if (scheme === null) return new LocalArtifactRepository(artifactUri);
  const open = REPOSITORIES_BY_SCHEME[scheme];
  if (!open) throw unsupported(artifactUri);
  return open(artifactUri, trackingUri, client);
}

function unsupported(artifactUri: string): Error {
  return invalid(
    `artifact URI ${JSON.stringify(artifactUri)} uses a scheme mlx cannot read or write; run the tracking server with proxied artifacts (mlflow-artifacts:/)`,
  );
}

/** mlflow-artifacts:/PATH through trackingUri's server, mlflow-artifacts://HOST/PATH through HOST (same http(s) scheme). */
async function openProxied(artifactUri: string, trackingUri: string, client?: RestClient): Promise<ArtifactRepository> {
  const proxy = parseProxyUri(artifactUri);
  if (!proxy) throw unsupported(artifactUri);
  const { HttpArtifactRepository } = await import('./http-repository.js');
  const { RestClient } = await import('../store/http-client.js');
  const isHttp = isHttpUri(trackingUri);
  if (proxy.host !== undefined) {
    const scheme = isHttp ? new URL(trackingUri).protocol : 'http:';
    const same = client && new URL(client.base).host === proxy.host;
    return new HttpArtifactRepository(artifactUri, same ? client! : new RestClient(`${scheme}//${proxy.host}`), proxy.path);
  }
  if (!isHttp)
    throw invalid(
      `artifact URI ${JSON.stringify(artifactUri)} is served by a tracking server, but the tracking URI ${JSON.stringify(redactUri(trackingUri))} is not one; set MLX_TRACKING_URI=http://HOST:PORT`,
    );
  return new HttpArtifactRepository(artifactUri, client ?? new RestClient(trackingUri), proxy.path);
}

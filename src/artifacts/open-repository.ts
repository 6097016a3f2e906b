import { fileURLToPath } from 'node:url';
import { invalid } from '../core/errors.js';
import { isHttpUri, parseProxyUri, parseS3Uri, redactUri, schemeOf } from '../core/uri.js';
import type { RestClient } from '../store/http-client.js';
import { LocalArtifactRepository } from './local-repository.js';
import type { ArtifactRepository } from './repository.js';

/** Opens the repository of an artifact URI; trackingUri and client as in artifactRepository. */
type RepositoryFactory = (artifactUri: string, trackingUri: string, client?: RestClient) => Promise<ArtifactRepository>;

/**
 * One row per artifact URI scheme mlx reads and writes; a path without a scheme is a local
 * folder. A new kind of storage is one more row. The HTTP repository is imported
 * only when a URI needs it.
 */
const REPOSITORIES_BY_SCHEME: Record<string, RepositoryFactory> = {
  'mlflow-artifacts': openProxied,
  file: async (uri) => new LocalArtifactRepository(fileURLToPath(uri)),
  // The AWS SDK loads with this module, only when an s3:// URI is used.
  s3: async (uri) => new (await import('./s3-repository.js')).S3ArtifactRepository(uri),
};

/** The kinds of artifact location mlx reads and writes, for messages. */
export const ARTIFACT_LOCATION_FORMS = 'a folder, file:///PATH, s3://BUCKET/PREFIX or mlflow-artifacts:/PATH';

/**
 * Checks an artifact location given by a user (an experiment's, a server's destination) before
 * anything is written there: a scheme mlx cannot read or write, or a malformed s3:// URI, is
 * refused here rather than becoming a local folder named "gs:". Returns the location's scheme
 * (null for a path).
 */
export function checkArtifactLocation(location: string, what = 'artifact location'): string | null {
  const scheme = schemeOf(location);
  if (scheme === null) return null;
  if (!(scheme in REPOSITORIES_BY_SCHEME))
    throw invalid(`${what} ${JSON.stringify(location)} uses the scheme ${scheme}:, which mlx cannot read or write; use ${ARTIFACT_LOCATION_FORMS}`);
  if (scheme === 's3') parseS3Uri(location);
  if (scheme === 'mlflow-artifacts' && !parseProxyUri(location)) throw invalid(`${what} ${JSON.stringify(location)} is not of the form mlflow-artifacts:/PATH`);
  return scheme;
}

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
    `artifact URI ${JSON.stringify(artifactUri)} uses a scheme mlx cannot read or write; use ${ARTIFACT_LOCATION_FORMS} (or run the tracking server with proxied artifacts)`,
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

import type { ArtifactRepository } from '../artifacts/repository.js';
import { MlxError } from '../core/errors.js';
import { redactUri } from '../core/uri.js';
import type { RegistryStore } from '../store/store.js';
import { LocalModelFiles } from './local-model-files.js';
import type { ModelFiles } from './model-files.js';
import type { ServerRegistry } from './remote-model-files.js';

/** A registry whose tracking server keeps the model files: it offers the client and the calls to reach them. */
function keptByServer(store: RegistryStore): store is ServerRegistry {
  return store.http !== undefined && store.getModelVersionDownloadUri !== undefined && store.putModelCard !== undefined;
}

/** Stores whose registry files live on an artifact repository (set by the tracking server that opened them). */
const onRepository = new WeakMap<RegistryStore, ArtifactRepository>();

/**
 * Keeps a store's registry files (model bytes, cards, schemas) on an artifact repository instead
 * of a folder: `mlx server` on PostgreSQL with an s3:// destination, whose replicas share no disk.
 * The store itself records only where the files are.
 */
export function keepRegistryFilesOn(store: RegistryStore, repo: ArtifactRepository): void {
  onRepository.set(store, repo);
}

/** The model files of a store: its folder, its artifact repository, or (for a store behind a tracking server) that server. */
export async function modelFiles(store: RegistryStore): Promise<ModelFiles> {
  if (keptByServer(store)) {
    // Loaded only for remote stores: a local registry never parses the HTTP artifact code.
    const { RemoteModelFiles } = await import('./remote-model-files.js');
    return new RemoteModelFiles(store);
  }
  const repo = onRepository.get(store);
  if (repo) {
    const { RepositoryModelFiles } = await import('./repository-model-files.js');
    return new RepositoryModelFiles(store, repo);
  }
  if (store.fileRoot === null)
    throw new MlxError(
      'INVALID_PARAMETER_VALUE',
      `the store ${redactUri(store.uri)} keeps no model files on this machine; run \`mlx server --backend-store-uri ${redactUri(store.uri)} --artifacts-destination DIR\` and use the registry through it (MLX_TRACKING_URI=http://HOST:PORT)`,
    );
  return new LocalModelFiles(store, store.fileRoot);
}

import { MlxError } from '../core/errors.js';
import type { InferenceLog } from '../inference-log/inference-log.js';
import { isHttpUri, redactUri } from '../core/uri.js';
import type { Store } from './store.js';

/**
 * The store's inference log, or the one error every command that logs or reads served traffic
 * gives for a store without one (Store.inferenceLog absent: a tracking server, a database server).
 */
export async function inferenceLogOf(store: Store): Promise<InferenceLog> {
  if (store.inferenceLog) return store.inferenceLog();
  throw new MlxError(
    'INVALID_PARAMETER_VALUE',
    `inference logging needs a local store folder; ${redactUri(store.uri)} is ${isHttpUri(store.uri) ? 'a tracking server' : 'a database server'}. Point --tracking-uri / MLX_TRACKING_URI at a local folder to log and read served traffic`,
  );
}

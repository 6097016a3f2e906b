// The content-addressed cache: what `mlx data` and pipelines (stage outputs, the run cache) store data in.
export { ObjectCache, type AddOptions, type AddResult, type CachedEntry, type KnownDigest } from './object-cache.js';
export { hashBytes, hashFile, isDigest, parseDigest, sameStamp, stampOf, type Digest, type FileStamp } from './digest.js';
export { decodeManifest, encodeManifest, isSafeRelative, type ManifestEntry } from './manifest.js';
export type { LinkKind } from './materialize.js';

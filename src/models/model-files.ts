import type { ModelVersion } from '../core/entities.js';

/** What put() stored for a registration. */
export interface StoredModel {
  /** The location createModelVersion records (local) or reads the model from (remote). */
  location: string;
  /** False when the same bytes were stored already. */
  created: boolean;
  /** After a refused registration: removes what put() stored, unless a version uses it. */
  discard(): Promise<void>;
  /** After a successful registration: drops what is no longer needed (a remote upload the server copied). */
  settle(): Promise<void>;
}

/**
 * Where a store keeps model bytes and model cards: a local store in its own folder, a remote
 * store on its tracking server. The registry code (register, serve, predict, delete) goes
 * through this instead of assuming a folder; open-model-files.ts picks the implementation.
 */
export interface ModelFiles {
  /** Stores the bytes of a model being registered; origin names the run artifact they came from, if any. */
  put(bytes: Uint8Array, hash: string, origin?: { runId: string; path: string }): Promise<StoredModel>;
  /** A file on this machine with a version's bytes (for a remote store, downloaded into a cache and verified). */
  localFile(version: ModelVersion): Promise<string>;
  /**
   * A file on this machine with a version's bytes, checked against its sha256 now (the tracking
   * server's `_mlx-registry` download sends it); a mismatch is refused naming the version.
   */
  verifiedFile(version: ModelVersion): Promise<string>;
  /** Stores a version's Markdown model card; returns where it can be read, or a warning when it could not be stored. */
  writeCard(version: ModelVersion, markdown: string): Promise<{ location: string; warning?: string }>;
  /**
   * Stores a version's data schema (the JSON text `mlx data profile --out` writes), beside its card.
   * Absent: this store cannot keep one.
   */
  writeSchema?(version: ModelVersion, json: string): Promise<string>;
  /** Whether writeSchema will work, when only asking can tell (a tracking server: MLflow's keeps none). */
  keepsSchemas?(): Promise<boolean>;
  /** A version's data schema text, or null when it has none. */
  readSchema?(version: ModelVersion): Promise<string | null>;
  /** A version's stored model card, or null when none was stored. */
  readCard?(version: ModelVersion): Promise<string | null>;
  /** Moves the cards and schemas of a renamed model to its new name. */
  renameModel?(from: string, to: string): Promise<void>;
  /** Removes what deleted versions leave behind: bytes no version uses (freed) and their cards. */
  forget(name: string, versions: number[], freed: string[], wholeModel: boolean): Promise<void>;
}

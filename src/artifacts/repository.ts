import type { Writable } from 'node:stream';

/** One file or folder of a run's artifacts; file_size for files. */
export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** A file being written into a repository (mlx run's logs/output.txt). */
export interface ArtifactWriter {
  readonly stream: Writable;
  /** Ends the stream and stores the file: at once for a local folder, by an upload for a server. */
  close(): Promise<void>;
}

/**
 * A run's artifacts, wherever they live: a local folder, or a tracking server's artifact proxy.
 * open-repository.ts picks the implementation from the artifact URI's scheme.
 */
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
  /**
   * The sha256 the store recorded for a file, when it keeps one (S3: the object's metadata), so a
   * download can be skipped for bytes already cached under that hash; null when it does not know.
   */
  sha256?(rel: string): Promise<string | null>;
  /** Deletes a file, or every file under a folder; false when there was neither (absent: the repository cannot delete). */
  removeTree?(rel: string): Promise<boolean>;
}

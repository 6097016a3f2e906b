import fs from 'node:fs';
import path from 'node:path';
import { notFound } from '../core/errors.js';
import { fileError, isSystemError, readableStat } from '../core/file-errors.js';
import { writeDenied } from '../core/write-access.js';
import { safeJoin } from './artifact-path.js';
import type { ArtifactEntry, ArtifactRepository, ArtifactWriter } from './repository.js';

/**
 * A copy that failed reading its source (a file or folder in it this user may not read) rather
 * than writing the store: both come as EACCES, and only the first is the user's file to fix.
 */
function unreadableSource(err: unknown, source: string): unknown {
  const p = isSystemError(err) ? err.path : undefined;
  if (!p) return null;
  const rel = path.relative(path.resolve(source), path.resolve(p));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  try {
    fs.accessSync(p, fs.constants.R_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? fileError(err, `artifact source ${JSON.stringify(p)}`) : null;
  }
}

/** A run's artifacts in a local folder (a path or a file: URI's path). */
export class LocalArtifactRepository implements ArtifactRepository {
  constructor(readonly uri: string) {}

  /** Copies a file or a folder (recursively) to artifactPath/<basename> and returns the stored relative paths. */
  async log(source: string, artifactPath?: string): Promise<string[]> {
    const stat = readableStat(source, `artifact source ${JSON.stringify(source)}`);
    const destDir = safeJoin(this.uri, artifactPath);
    const dest = path.join(destDir, path.basename(path.resolve(source)));
    try {
      fs.mkdirSync(destDir, { recursive: true });
      if (stat.isDirectory()) fs.cpSync(source, dest, { recursive: true, dereference: true });
      else fs.copyFileSync(source, dest);
    } catch (err) {
      throw unreadableSource(err, source) ?? writeDenied(err, `the run's artifact folder ${this.uri}`) ?? err;
    }
    const stored = stat.isDirectory() ? this.entries(path.relative(this.uri, dest), true).map((e) => e.path) : [path.relative(this.uri, dest)];
    return stored.map((p) => p.split(path.sep).join('/'));
  }

  /** Appends to the file (mlx run's captured output); close() ends it. */
  openWriter(rel: string): ArtifactWriter {
    const full = safeJoin(this.uri, rel);
    try {
      fs.mkdirSync(path.dirname(full), { recursive: true });
    } catch (err) {
      throw writeDenied(err, `the run's artifact folder ${this.uri}`) ?? err;
    }
    const stream = fs.createWriteStream(full, { flags: 'a' });
    return { stream, close: () => new Promise<void>((resolve, reject) => stream.once('error', reject).end(resolve)) };
  }

  async list(rel?: string, recursive = false): Promise<ArtifactEntry[]> {
    return this.entries(rel, recursive);
  }

  private entries(rel: string | undefined, recursive: boolean): ArtifactEntry[] {
    const base = safeJoin(this.uri, rel);
    if (!fs.existsSync(base)) return [];
    const out: ArtifactEntry[] = [];
    const walk = (dir: string) => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, d.name);
        const relPath = path.relative(this.uri, full).split(path.sep).join('/');
        if (d.isDirectory()) {
          out.push({ path: relPath, is_dir: true });
          if (recursive) walk(full);
        } else out.push({ path: relPath, is_dir: false, file_size: fs.statSync(full).size });
      }
    };
    if (fs.statSync(base).isDirectory()) walk(base);
    else out.push({ path: path.relative(this.uri, base), is_dir: false, file_size: fs.statSync(base).size });
    return out;
  }

  async download(rel: string, dest: string): Promise<void> {
    try {
      fs.copyFileSync(safeJoin(this.uri, rel), dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(safeJoin(this.uri, rel)))
        throw notFound(`artifact ${JSON.stringify(rel)} does not exist in ${this.uri}`, err);
      throw err;
    }
  }

  localPath(rel: string): string {
    return safeJoin(this.uri, rel);
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import { fileError, isSystemError, readableStat } from '../core/file-errors.js';
import { writeDenied } from '../core/write-access.js';

export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** Resolves a user-given relative path inside root, refusing anything that would escape it. */
export function safeJoin(root: string, rel: string | undefined, what = 'artifact path'): string {
  if (!rel) return root;
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel))
    throw invalid(`${what} ${JSON.stringify(rel)} must be relative to the run's artifact folder`);
  const full = path.resolve(root, rel);
  const back = path.relative(root, full);
  if (back.startsWith('..') || path.isAbsolute(back))
    throw invalid(`${what} ${JSON.stringify(rel)} would escape the run's artifact folder; use a path without ".."`);
  return full;
}

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

/** A run's artifacts in a local folder; remote repositories will implement the same methods. */
export class LocalArtifactRepository {
  constructor(readonly root: string) {}

  /** Copies a file or a folder (recursively) to artifactPath/<basename> and returns the stored relative paths. */
  log(source: string, artifactPath?: string): string[] {
    const stat = readableStat(source, `artifact source ${JSON.stringify(source)}`);
    const destDir = safeJoin(this.root, artifactPath);
    const dest = path.join(destDir, path.basename(path.resolve(source)));
    try {
      fs.mkdirSync(destDir, { recursive: true });
      if (stat.isDirectory()) fs.cpSync(source, dest, { recursive: true, dereference: true });
      else fs.copyFileSync(source, dest);
    } catch (err) {
      throw unreadableSource(err, source) ?? writeDenied(err, `the run's artifact folder ${this.root}`) ?? err;
    }
    return stat.isDirectory() ? this.list(path.relative(this.root, dest), true).map((e) => e.path) : [path.relative(this.root, dest)];
  }

  /** Opens a write stream to a file in the repository (used for `mlx run`'s captured output). */
  createWriteStream(rel: string): fs.WriteStream {
    const full = safeJoin(this.root, rel);
    try {
      fs.mkdirSync(path.dirname(full), { recursive: true });
    } catch (err) {
      throw writeDenied(err, `the run's artifact folder ${this.root}`) ?? err;
    }
    return fs.createWriteStream(full, { flags: 'a' });
  }

  /** Lists artifacts under rel (recursively when asked); an absent folder lists as empty. */
  list(rel?: string, recursive = false): ArtifactEntry[] {
    const base = safeJoin(this.root, rel);
    if (!fs.existsSync(base)) return [];
    const out: ArtifactEntry[] = [];
    const walk = (dir: string) => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, d.name);
        const relPath = path.relative(this.root, full).split(path.sep).join('/');
        if (d.isDirectory()) {
          out.push({ path: relPath, is_dir: true });
          if (recursive) walk(full);
        } else out.push({ path: relPath, is_dir: false, file_size: fs.statSync(full).size });
      }
    };
    if (fs.statSync(base).isDirectory()) walk(base);
    else out.push({ path: path.relative(this.root, base), is_dir: false, file_size: fs.statSync(base).size });
    return out;
  }

  /** The absolute path of an artifact, for readers. */
  resolve(rel: string): string {
    return safeJoin(this.root, rel);
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { invalid, notFound } from '../core/errors.js';
import { reservedName } from './artifact-path.js';

export interface TreeEntry {
  name: string;
  is_dir: boolean;
  file_size?: number;
}

/** Where a real path lies: inside the root (its names under it), in a reserved top-level folder, or outside. */
type Place = { inside: string[] } | { reserved: string } | { outside: true };

const errCode = (err: unknown) => (err as NodeJS.ErrnoException)?.code;
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/** /proc/self/fd/N names the file an open descriptor points at (Linux); elsewhere there is no such check. */
function openedPath(fd: number): string | null {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * A folder of artifacts whose paths never lead out of it, whatever links it holds. Names come
 * already checked by parseArtifactPath; here every path is resolved to its real path (links
 * followed) and must stay under the root's real path and out of the reserved top-level folders.
 * A link whose target stays inside is followed; one that leaves (or is broken) reads as missing
 * and refuses writes and deletes. Reads check the descriptor they opened, so a link swapped in
 * after the check is caught; writes check the real parent folder right before the rename.
 */
export class ArtifactTree {
  private realRootCache: string | null = null;

  constructor(
    readonly root: string,
    private readonly reserved: readonly string[] = [],
  ) {}

  /** The root's real path (null while the root does not exist). */
  get realRoot(): string | null {
    if (this.realRootCache === null) {
      try {
        this.realRootCache = fs.realpathSync.native(this.root);
      } catch {
        return null;
      }
    }
    return this.realRootCache;
  }

  private place(real: string): Place {
    const root = this.realRoot;
    if (root === null) return { outside: true };
    const rel = path.relative(root, real);
    if (rel === '') return { inside: [] };
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return { outside: true };
    const names = rel.split(path.sep);
    const r = reservedName(names[0], this.reserved);
    return r ? { reserved: r } : { inside: names };
  }

  private real(p: string): string | null {
    try {
      return fs.realpathSync.native(p);
    } catch (err) {
      if (MISSING.has(errCode(err) ?? '')) return null;
      throw err;
    }
  }

  /** An existing path's real path and stat, or null when it is missing, broken, or leads out of the tree. */
  find(names: string[]): { real: string; stat: fs.Stats } | null {
    const real = this.real(path.join(this.root, ...names));
    if (real === null || !('inside' in this.place(real))) return null;
    return { real, stat: fs.statSync(real) };
  }

  /** Opens a file of the tree for reading: its descriptor and size, or null when there is no such file in the tree. */
  openFile(names: string[]): { fd: number; size: number } | null {
    const found = this.find(names);
    if (!found || !found.stat.isFile()) return null;
    let fd: number;
    try {
      // NOFOLLOW: a link swapped in at the end is not opened; NONBLOCK: nor does a FIFO swapped in block the server.
      fd = fs.openSync(found.real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (err) {
      if (MISSING.has(errCode(err) ?? '')) return null;
      throw err;
    }
    const stat = fs.fstatSync(fd);
    const opened = openedPath(fd);
    if (!stat.isFile() || (opened !== null && !('inside' in this.place(opened)))) {
      fs.closeSync(fd);
      return null;
    }
    return { fd, size: stat.size };
  }

  /** A folder's entries (links resolved; those leading out left out), a file's size, or null when the path is not in the tree. */
  list(names: string[]): { dir: TreeEntry[] } | { file: number } | null {
    const found = this.find(names);
    if (!found) return null;
    if (!found.stat.isDirectory()) return found.stat.isFile() ? { file: found.stat.size } : null;
    const entries: TreeEntry[] = [];
    for (const d of fs.readdirSync(found.real, { withFileTypes: true })) {
      let full = path.join(found.real, d.name);
      if (d.isSymbolicLink()) {
        const target = this.real(full);
        if (target === null) continue;
        full = target;
      }
      if (!('inside' in this.place(full))) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(full);
      } catch {
        continue;
      }
      if (stat.isDirectory()) entries.push({ name: d.name, is_dir: true });
      else if (stat.isFile()) entries.push({ name: d.name, is_dir: false, file_size: stat.size });
    }
    return { dir: entries.sort((a, b) => a.name.localeCompare(b.name)) };
  }

  /**
   * Walks the folders of a path to be written, following links only while they stay in the tree;
   * with create, makes the missing ones. Returns the real folder and the final name's full path.
   */
  private walkForWrite(names: string[], shown: string, create: boolean): { folder: string; dest: string } {
    const root = this.realRoot;
    if (root === null) throw notFound(`the artifact root is missing; restart the server to create it`);
    let folder = root;
    for (let i = 0; i < names.length - 1; i++) {
      const p = path.join(folder, names[i]);
      const upTo = JSON.stringify(names.slice(0, i + 1).join('/'));
      let stat: fs.Stats | null = null;
      try {
        stat = fs.lstatSync(p);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
      }
      if (stat === null) {
        this.checkPlace(p, shown, 'leads out of the artifact root');
        if (!create) return { folder, dest: path.join(folder, ...names.slice(i)) };
        try {
          fs.mkdirSync(p);
        } catch (err) {
          // Made meanwhile by another upload: look at it again.
          if (errCode(err) !== 'EEXIST') throw err;
          i--;
          continue;
        }
        folder = p;
        continue;
      }
      let next = p;
      if (stat.isSymbolicLink()) {
        const target = this.real(p);
        if (target === null) throw invalid(`${shown} goes through ${upTo}, a broken symbolic link; remove it first`);
        this.checkPlace(target, shown, 'goes through a symbolic link that leads out of the artifact root');
        stat = fs.statSync(target);
        next = target;
      } else this.checkPlace(p, shown, 'leads out of the artifact root');
      if (!stat.isDirectory()) throw invalid(`${shown}: ${upTo} is a file, not a folder`);
      folder = next;
    }
    const dest = path.join(folder, names[names.length - 1]);
    this.checkPlace(dest, shown, 'leads out of the artifact root');
    return { folder, dest };
  }

  private checkPlace(real: string, shown: string, outsideWhy: string): void {
    const at = this.place(real);
    if ('outside' in at) throw invalid(`${shown} ${outsideWhy}: nothing is written or deleted there`);
    if ('reserved' in at) throw invalid(`${shown} leads into ${at.reserved}/, which is not writable through the artifact proxy`);
  }

  /** Checks that a file can be written at names (no side effects): the folders on the way stay in the tree, the path is not a folder. */
  checkWrite(names: string[], shown: string): void {
    const { dest } = this.walkForWrite(names, shown, false);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(dest);
    } catch {
      return;
    }
    if (stat.isDirectory()) throw invalid(`${shown} is a folder; upload to a file path inside it`);
  }

  /**
   * Moves a finished temporary file (on the same filesystem) to names: makes the missing folders,
   * checks the real folder again right before the rename, and replaces whatever file or link
   * was there (a link is replaced, never written through).
   */
  commitWrite(names: string[], tmp: string, shown: string): void {
    const { folder, dest } = this.walkForWrite(names, shown, true);
    if (this.real(folder) !== folder) throw invalid(`${shown}: a folder on its path was replaced by a symbolic link during the upload; upload again`);
    let stat: fs.Stats | null;
    try {
      stat = fs.lstatSync(dest);
    } catch {
      stat = null;
    }
    if (stat?.isDirectory()) throw invalid(`${shown} is a folder; upload to a file path inside it`);
    try {
      fs.renameSync(tmp, dest);
    } catch (err) {
      if (errCode(err) !== 'EXDEV') throw err;
      // A folder mounted inside the root is another filesystem: copy beside the file, then rename there.
      const near = path.join(folder, `.${path.basename(dest)}.${process.pid}.${Date.now()}.mlx-partial`);
      try {
        fs.copyFileSync(tmp, near);
        fs.renameSync(near, dest);
      } finally {
        fs.rmSync(near, { force: true });
      }
    }
  }

  /** Deletes a file or folder (recursively); a link is removed itself, never what it points at. */
  remove(names: string[], shown: string): void {
    const parent = this.real(path.join(this.root, ...names.slice(0, -1)));
    if (parent === null) throw notFound(`${shown} does not exist`);
    this.checkPlace(parent, shown, 'goes through a symbolic link that leads out of the artifact root');
    const target = path.join(parent, names[names.length - 1]);
    this.checkPlace(target, shown, 'leads out of the artifact root');
    try {
      fs.lstatSync(target);
    } catch (err) {
      // A folder the server may not search is not an artifact that is not there.
      throw MISSING.has(errCode(err) ?? '') ? notFound(`${shown} does not exist`, err) : err;
    }
    if (this.real(path.dirname(target)) !== parent) throw invalid(`${shown}: its folder changed while it was being deleted; try again`);
    fs.rmSync(target, { recursive: true, force: true });
  }
}

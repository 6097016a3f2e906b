import fs from 'node:fs';
import path from 'node:path';

/** How a workspace file was made from its object: the cheapest that works on this file system. */
export type LinkKind = 'reflink' | 'hardlink' | 'copy';

/**
 * Makes `tmp` hold the object's bytes: a reflink (copy-on-write, free on btrfs/XFS/APFS), else a
 * hard link (the object is read-only, so the workspace file is too and cannot be edited into the
 * cache by accident), else a copy. Executable files and `copy` always get their own inode.
 */
export async function linkOrCopy(object: string, tmp: string, opts: { copy?: boolean; mode: number }): Promise<LinkKind> {
  if (!opts.copy) {
    try {
      await fs.promises.copyFile(object, tmp, fs.constants.COPYFILE_FICLONE_FORCE | fs.constants.COPYFILE_EXCL);
      await fs.promises.chmod(tmp, opts.mode);
      return 'reflink';
    } catch {
      await fs.promises.rm(tmp, { force: true });
    }
    if (opts.mode !== 0o755) {
      try {
        await fs.promises.link(object, tmp);
        return 'hardlink';
      } catch {
        // Another file system, or links not allowed: copy.
      }
    }
  }
  await fs.promises.copyFile(object, tmp, fs.constants.COPYFILE_EXCL);
  await fs.promises.chmod(tmp, opts.mode);
  return 'copy';
}

/** A temporary name beside `dest` (same folder, so the final rename is atomic and never crosses file systems). */
export function siblingTemp(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.mlx-tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
}

/** Replaces dest (a file, a folder, or nothing) with the prepared `ready` in renames: dest is the old or the new, never a mix. */
export async function swapInto(ready: string, dest: string): Promise<void> {
  let old: string | undefined;
  try {
    const st = await fs.promises.lstat(dest);
    // rename() replaces a file by a file in one step; a folder on either side is moved aside first.
    if (st.isDirectory() || (await fs.promises.lstat(ready)).isDirectory()) {
      old = siblingTemp(dest);
      await fs.promises.rename(dest, old);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    await fs.promises.rename(ready, dest);
  } catch (err) {
    if (old) await fs.promises.rename(old, dest);
    throw err;
  }
  if (old) await fs.promises.rm(old, { recursive: true, force: true });
}

/**
 * Removes temporaries a killed checkout left beside dest (`.NAME.mlx-tmp-PID-…`), but only those
 * of processes that are gone: a running checkout's are its own.
 */
export async function removeDeadTemps(dest: string): Promise<void> {
  const dir = path.dirname(dest);
  const prefix = `.${path.basename(dest)}.mlx-tmp-`;
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
    await fs.promises.rm(path.join(dir, n), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

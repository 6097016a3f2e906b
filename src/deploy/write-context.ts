import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quoteJson } from '../core/control-chars.js';
import { MlxError, alreadyExists, invalid } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { packMlx } from './mlx-package.js';
import { MARKER_FILE, type BuildPlan } from './plan.js';
import type { Written } from './report.js';

// Nothing at the path (or a file where a folder should be): the folder is to be made.
const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/** What is at the output folder now: nothing, an empty folder, or a folder with files. */
type OutState = 'missing' | 'empty' | 'full';

/** The checked output folder: its state, and the folder the context goes to (--out with symlinks resolved). */
export interface OutDir {
  state: OutState;
  real: string;
}

/** A folder with its symlinks resolved, or as it is when it does not exist (a HOME of /nonexistent). */
function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** True when dir is folder or one of its ancestors. */
function holds(dir: string, folder: string): boolean {
  const rel = path.relative(dir, folder);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The first `.git` inside dir (a checkout or a submodule), relative to dir; symlinks are not followed. */
function findCheckout(dir: string, rel = ''): string | null {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.name === '.git') return rel || '.';
    if (e.isDirectory() && !e.isSymbolicLink()) {
      const found = findCheckout(dir, p);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Checks the output folder before anything is written: a non-empty folder needs --force, and --force
 * replaces only a folder mlx wrote, which holds MARKER_FILE (or an empty one): never HOME or a folder
 * above it, the current folder or one above it, nor a folder holding a git checkout, marker or not.
 * A symlinked --out is judged, and later replaced, where it points.
 */
export function checkOutDir(out: string, force: boolean): OutDir {
  const abs = path.resolve(out);
  const shown = quoteJson(out);
  let link: fs.Stats | null;
  try {
    link = fs.lstatSync(abs);
  } catch (err) {
    // Not there: the folder will be created, and the nearest existing ancestor must be a folder.
    // Anything else (a folder on the way this user may not search) is said as it is.
    if (!MISSING.has((err as NodeJS.ErrnoException).code ?? '')) throw fileError(err, `--out ${shown}`);
    let up = path.dirname(abs);
    while (!fs.existsSync(up)) up = path.dirname(up);
    if (!fs.statSync(up).isDirectory()) throw invalid(`--out ${shown} cannot be created: ${up} is a file`);
    return { state: 'missing', real: abs };
  }
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (err) {
    if (!MISSING.has((err as NodeJS.ErrnoException).code ?? '')) throw fileError(err, `--out ${shown}`);
    const target = link.isSymbolicLink() ? quoteJson(fs.readlinkSync(abs)) : 'nothing';
    throw invalid(`--out ${shown} is a symbolic link to ${target}, which does not exist; point it at a folder or choose another --out`);
  }
  const where = real !== abs ? `${shown} (${quoteJson(real)})` : shown;
  if (!fs.statSync(real).isDirectory()) throw invalid(`--out ${where} is a file, not a folder; choose a folder for the build context`);
  // Checked before the folder is read: HOME may be unreadable to this user, and it is never replaced.
  if (holds(real, realOrSelf(os.homedir())))
    throw invalid(`--out ${where} is the home folder or holds it; --force never replaces it: choose a folder of its own, e.g. --out build/NAME`);
  let entries: string[];
  try {
    entries = fs.readdirSync(real);
  } catch (err) {
    throw invalid(`--out ${where} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose a folder you can write`, err);
  }
  if (entries.length === 0) return { state: 'empty', real };
  if (!force) throw alreadyExists(`--out ${shown} is not empty; choose an empty folder, or pass --force to replace a build context mlx wrote`);
  if (holds(real, realOrSelf(process.cwd()))) throw invalid(`--out ${where} holds the current folder; --force never replaces it: choose another --out`);
  if (entries.includes('.git')) throw invalid(`--out ${where} is a git checkout; --force never replaces one: choose another --out`);
  let marker: fs.Stats | null = null;
  try {
    marker = fs.lstatSync(path.join(real, MARKER_FILE));
  } catch {
    // No marker: refused below.
  }
  if (!marker?.isFile())
    throw invalid(
      `--out ${where} was not written by mlx (it has no ${MARKER_FILE} file), so --force will not delete what is in it: ` +
        'choose another --out, or, if it is a build context of an older mlx, which did not mark its folders, delete the folder yourself',
    );
  const checkout = findCheckout(real);
  if (checkout) throw invalid(`--out ${where} holds a git checkout (${checkout}); --force never replaces one: move it out, or choose another --out`);
  return { state: 'full', real };
}

function writeFile(file: string, data: string | Buffer, secret: boolean): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A secret is created private, never readable by others even for a moment.
  fs.writeFileSync(file, data, { mode: secret ? 0o600 : 0o644 });
  // Explicit modes, whatever the umask: Docker's COPY keeps them, and the image's user must read the files.
  fs.chmodSync(file, secret ? 0o600 : 0o644);
}

function chmodDirs(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) chmodDirs(path.join(dir, e.name));
}

/**
 * Writes a planned context into a hidden sibling folder, packs mlx into it, then puts it in
 * place with a rename: a failure at any point leaves the output folder as it was.
 */
export function writeContext(plan: BuildPlan, force: boolean): Written {
  if (!plan.files.some((f) => f.path === MARKER_FILE))
    throw new MlxError(
      'INTERNAL_ERROR',
      `${plan.subject} has no ${MARKER_FILE}: every context mlx writes carries one, so --force can tell it from the user's folders`,
    );
  const { state, real: out } = checkOutDir(plan.out, force);
  const parent = path.dirname(out);
  const createdParent = fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(out)}.mlx-`));
  let old: string | null = null;
  try {
    for (const f of plan.files) if (!f.pack) writeFile(path.join(tmp, f.path), f.content!, !!f.secret);
    for (const f of plan.files) if (f.pack) fs.chmodSync(packMlx(tmp, plan.mlxRoot), 0o644);
    chmodDirs(tmp);
    if (state === 'empty') fs.rmdirSync(out);
    if (state === 'full') {
      old = `${tmp}.old`;
      fs.renameSync(out, old);
    }
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (old && !fs.existsSync(out)) fs.renameSync(old, out);
    if (state === 'empty' && !fs.existsSync(out)) fs.mkdirSync(out);
    if (createdParent) fs.rmSync(createdParent, { recursive: true, force: true });
    throw err instanceof MlxError
      ? err
      : new MlxError('INTERNAL_ERROR', `writing the build context to ${quoteJson(plan.out)} failed: ${(err as Error).message}`);
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
  return { out: path.resolve(plan.out), files: plan.files.map((f) => ({ path: f.path, size: fs.statSync(path.join(out, f.path)).size })) };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlxError, alreadyExists, invalid } from '../core/errors.js';
import { packMlx } from './mlx-package.js';
import type { BuildPlan } from './plan.js';
import type { Written } from './report.js';

/** What is at the output folder now: nothing, an empty folder, or a folder with files. */
type OutState = 'missing' | 'empty' | 'full';

/**
 * Checks the output folder before anything is written: a non-empty folder needs --force, and
 * --force never replaces the current folder, one of its parents, the home folder or a git checkout.
 */
export function checkOutDir(out: string, force: boolean): OutState {
  const abs = path.resolve(out);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    // The folder will be created: the nearest existing ancestor must be a folder.
    let up = path.dirname(abs);
    while (!fs.existsSync(up)) up = path.dirname(up);
    if (!fs.statSync(up).isDirectory()) throw invalid(`--out ${JSON.stringify(out)} cannot be created: ${up} is a file`);
    return 'missing';
  }
  if (!stat.isDirectory()) throw invalid(`--out ${JSON.stringify(out)} is a file, not a folder; choose a folder for the build context`);
  if (fs.readdirSync(abs).length === 0) return 'empty';
  if (!force) throw alreadyExists(`--out ${JSON.stringify(out)} is not empty; choose an empty folder, or pass --force to replace its contents`);
  const cwd = process.cwd();
  const rel = path.relative(abs, cwd);
  const contains = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  if (contains || abs === os.homedir() || abs === path.parse(abs).root || fs.existsSync(path.join(abs, '.git')))
    throw invalid(`--out ${JSON.stringify(out)} holds the current folder, the home folder or a git checkout; --force replaces only a folder of its own`);
  return 'full';
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
  const out = path.resolve(plan.out);
  const state = checkOutDir(plan.out, force);
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
    throw err instanceof MlxError ? err : new MlxError('INTERNAL_ERROR', `writing the build context to ${plan.out} failed: ${(err as Error).message}`);
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
  return { out, files: plan.files.map((f) => ({ path: f.path, size: fs.statSync(path.join(out, f.path)).size })) };
}

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlxError } from '../core/errors.js';

/** The root of the running mlx package (the folder holding its package.json), from source or from dist/. */
export function mlxRoot(): string {
  return path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
}

/** The running mlx's version and the name `npm pack` gives its tarball. */
export function mlxPackage(root = mlxRoot()): { version: string; tarball: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  return { version: pkg.version, tarball: `${pkg.name}-${pkg.version}.tgz` };
}

/** Throws unless the package can be packed as it is: the compiled dist/ must be there (pack runs no build). */
export function checkPackable(root = mlxRoot()): void {
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')))
    throw new MlxError('INVALID_STATE', `mlx at ${root} has no compiled dist/ to pack into the image; run npm run build there first`);
}

/** npm's own CLI beside this node when there is one (works without npm on PATH), else `npm` from PATH. */
function npmCommand(): [string, string[]] {
  const candidates = [process.env.npm_execpath, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  const cli = candidates.find((c) => c && /npm-cli\.js$/.test(c) && fs.existsSync(c));
  return cli ? [process.execPath, [cli]] : ['npm', []];
}

/**
 * Packs the running mlx into dir with `npm pack` (scripts off: dist/ is already built, and
 * packing must not recompile) and returns the tarball's path.
 */
export function packMlx(dir: string, root = mlxRoot()): string {
  const [cmd, pre] = npmCommand();
  const r = spawnSync(cmd, [...pre, 'pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' },
  });
  const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  if (r.error || r.status !== 0) throw new MlxError('INTERNAL_ERROR', `npm pack of mlx at ${root} failed (${why})`);
  const { tarball } = mlxPackage(root);
  const file = path.join(dir, tarball);
  if (!fs.existsSync(file)) throw new MlxError('INTERNAL_ERROR', `npm pack of mlx at ${root} did not write ${tarball}`);
  return file;
}

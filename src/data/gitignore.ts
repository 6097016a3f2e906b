import fs from 'node:fs';
import path from 'node:path';

/**
 * Adds `/name` for the data path to the `.gitignore` nearest it (in its folder or a parent up to
 * the project root; a new one in its folder when there is none), as DVC does, so the data stays out
 * of git while its pointer goes in. Returns the .gitignore changed, or null when it already lists it.
 */
export function ignoreInGit(projectRoot: string, dataAbs: string): string | null {
  let dir = path.dirname(dataAbs);
  let file = path.join(dir, '.gitignore');
  while (!fs.existsSync(file) && dir !== projectRoot && dir.startsWith(projectRoot)) {
    dir = path.dirname(dir);
    file = path.join(dir, '.gitignore');
  }
  if (!fs.existsSync(file)) file = path.join(path.dirname(dataAbs), '.gitignore');
  const entry = '/' + path.relative(path.dirname(file), dataAbs).split(path.sep).join('/');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (text.split(/\r?\n/).includes(entry)) return null;
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text + (text === '' || text.endsWith('\n') ? '' : '\n') + entry + '\n');
  fs.renameSync(tmp, file);
  return file;
}

const MLX_GITIGNORE = `# Written by mlx data: the cache, its index and the local tracking store stay out of git;
# config.json (the data remotes) is meant to be committed.
/*
!/.gitignore
!/config.json
`;

/** Writes `.mlx/.gitignore` (once) so that `git add -A` never commits the cache: a later `git checkout` would otherwise rewind it. */
export function ignoreCacheInGit(projectRoot: string): void {
  const file = path.join(projectRoot, '.mlx', '.gitignore');
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, MLX_GITIGNORE);
}

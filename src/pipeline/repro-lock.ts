import fs from 'node:fs';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';

/**
 * One `mlx repro` at a time in a project: two would delete and write the same outputs. The lock is
 * a file holding the owner's pid; one left by a process that died (SIGKILL) is taken over.
 */
export function acquireReproLock(dir: string): () => void {
  const file = path.join(dir, 'repro.pid');
  fs.mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(err, file);
    }
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid))
      throw new MlxError(
        'INVALID_STATE',
        `another mlx repro (pid ${pid}) is running in this project; wait for it, or remove ${file} if that process is not mlx`,
      );
    fs.rmSync(file, { force: true });
  }
  throw new MlxError('INVALID_STATE', `could not take the repro lock ${file}; another mlx repro is starting`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import { spawn, spawnSync } from 'node:child_process';
import { MlxError } from '../core/errors.js';

/** The command that builds a context by hand. */
export function buildCommand(tag: string, dir: string): string {
  return `docker build -t ${tag} ${/^[\w./:@-]+$/.test(dir) ? dir : JSON.stringify(dir)}`;
}

/** Asks the Docker engine for its version; throws a one-line error saying how to go on when no engine answers. */
export function checkDockerEngine(tag: string, dir: string): string {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15_000 });
  const version = (r.stdout ?? '').trim();
  if (!r.error && r.status === 0 && version) return version;
  const why =
    (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
      ? 'the docker command is not installed'
      : r.error
        ? `docker info: ${r.error.message}`
        : `docker info: ${firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.status}`}`;
  throw new MlxError(
    'INVALID_STATE',
    `--build needs a Docker engine and none answers (${why}); nothing was written: run again without --build, then ${buildCommand(tag, dir)}`,
  );
}

function firstLine(text: string | null | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** Runs `docker build -t TAG DIR`, its progress on stderr (stdout stays for mlx's own output). */
export async function dockerBuild(tag: string, dir: string): Promise<void> {
  const child = spawn('docker', ['build', '-t', tag, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.pipe(process.stderr, { end: false });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new MlxError('INTERNAL_ERROR', `docker build -t ${tag} failed (exit ${code}); the build context stays in ${dir}`);
}

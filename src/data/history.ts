import { execFileSync } from 'node:child_process';
import { MlxError } from '../core/errors.js';
import { parsePointer, type Pointer } from './pointer.js';

function git(cwd: string, args: string[], input?: string): string {
  return gitBytes(cwd, args, input).toString('utf8');
}

function gitBytes(cwd: string, args: string[], input?: string): Buffer {
  try {
    return execFileSync('git', args, { cwd, input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '')
      .trim()
      .split('\n')[0];
    throw new MlxError('INVALID_STATE', `git ${args[0]} failed in ${cwd}: ${stderr || (err as Error).message}; is it a git repository with commits?`, {
      cause: err,
    });
  }
}

/** One version of a pointer in git history. */
export interface PointerVersion {
  commit: string;
  /** Commit time, epoch milliseconds. */
  time: number;
  subject: string;
  /** The pointer in that commit; null where it was deleted or is not valid JSON. */
  pointer: Pointer | null;
}

/** `mlx data log`: the pointer's versions, newest first (commits that changed it, following renames is not attempted). */
export function pointerLog(projectRoot: string, pointerRel: string, max = 1000): PointerVersion[] {
  const out = git(projectRoot, ['log', `--max-count=${max}`, '--format=%H%x1f%ct%x1f%s', '--', pointerRel]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [commit, ct, subject] = line.split('\x1f');
      let pointer: Pointer | null = null;
      try {
        pointer = parsePointer(git(projectRoot, ['show', `${commit}:./${pointerRel}`]), `${pointerRel}@${commit.slice(0, 8)}`);
      } catch {
        // Deleted in that commit, or broken there.
      }
      return { commit, time: Number(ct) * 1000, subject, pointer };
    });
}

/** Every pointer in every commit of every branch and tag (for `gc --all-commits`): one `git rev-list` and one `git cat-file --batch`. */
export function pointersInHistory(projectRoot: string): Pointer[] {
  const blobs = new Set<string>();
  for (const line of git(projectRoot, ['rev-list', '--all', '--objects']).split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && line.endsWith('.mlx.json')) blobs.add(line.slice(0, sp));
  }
  if (blobs.size === 0) return [];
  const out = gitBytes(projectRoot, ['cat-file', '--batch'], [...blobs].join('\n') + '\n');
  const pointers: Pointer[] = [];
  let pos = 0;
  // Each object: "<sha> <type> <size>\n<size bytes>\n".
  while (pos < out.length) {
    const nl = out.indexOf(10, pos);
    if (nl < 0) break;
    const [sha, type, size] = out.subarray(pos, nl).toString('utf8').split(' ');
    const len = Number(size);
    const body = out.subarray(nl + 1, nl + 1 + len).toString('utf8');
    pos = nl + 1 + len + 1;
    if (type !== 'blob') continue;
    try {
      pointers.push(parsePointer(body, sha));
    } catch {
      // A file named *.mlx.json that is not a pointer: it references nothing.
    }
  }
  return pointers;
}

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { SYSTEM_TAGS } from '../core/entities.js';

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

/** Tags describing where a run came from: user, host, and git commit / branch / dirty state when in a repository. */
export function sourceTags(cwd: string): Record<string, string> {
  const tags: Record<string, string> = { [SYSTEM_TAGS.host]: os.hostname(), [SYSTEM_TAGS.sourceType]: 'LOCAL' };
  const commit = git(cwd, ['rev-parse', 'HEAD']);
  if (commit && /^[0-9a-f]{40,64}$/.test(commit)) {
    tags[SYSTEM_TAGS.gitCommit] = commit;
    const status = git(cwd, ['status', '--porcelain', '--untracked-files=no']);
    tags[SYSTEM_TAGS.gitDirty] = status ? 'true' : 'false';
    const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (branch && branch !== 'HEAD') tags[SYSTEM_TAGS.gitBranch] = branch;
    const remote = git(cwd, ['config', '--get', 'remote.origin.url']);
    if (remote) tags[SYSTEM_TAGS.gitRepoUrl] = remote;
  }
  return tags;
}

/** The user to record on runs: MLX_USER, else the OS account name. */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLX_USER) return env.MLX_USER;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { SYSTEM_TAGS } from '../core/entities.js';

/** The folder inside its git repository a run's command ran in (absent at the top). */
export const SOURCE_SUBDIR_TAG = 'mlx.source.subdir';

/** What git prints (trimmed, except for a rev-parse whose first line may be empty), or undefined outside a repository. */
function git(cwd: string, args: string[], trim = true): string | undefined {
  try {
    const out = execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5000 });
    return trim ? out.trim() : out;
  } catch {
    return undefined;
  }
}

/**
 * Tags describing where a run came from: user, host, and git commit / branch / dirty state when in a
 * repository, with `mlx.source.subdir`, the folder inside it the command ran in (`mlx runs reproduce`
 * runs it there again). One `git rev-parse` answers the prefix, commit and branch.
 */
export function sourceTags(cwd: string): Record<string, string> {
  const tags: Record<string, string> = { [SYSTEM_TAGS.host]: os.hostname(), [SYSTEM_TAGS.sourceType]: 'LOCAL' };
  const [prefix, commit, branch] = (git(cwd, ['rev-parse', '--show-prefix', 'HEAD', '--abbrev-ref', 'HEAD'], false) ?? '').split('\n');
  if (commit && /^[0-9a-f]{40,64}$/.test(commit)) {
    tags[SYSTEM_TAGS.gitCommit] = commit;
    const status = git(cwd, ['status', '--porcelain', '--untracked-files=no']);
    tags[SYSTEM_TAGS.gitDirty] = status ? 'true' : 'false';
    if (branch && branch !== 'HEAD') tags[SYSTEM_TAGS.gitBranch] = branch;
    const remote = git(cwd, ['config', '--get', 'remote.origin.url']);
    if (remote) tags[SYSTEM_TAGS.gitRepoUrl] = remote;
    const subdir = prefix.replace(/\/$/, '');
    if (subdir) tags[SOURCE_SUBDIR_TAG] = subdir;
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

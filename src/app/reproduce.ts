import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Run } from '../core/entities.js';
import { SYSTEM_TAGS } from '../core/entities.js';
import { invalid, MlxError, notFound } from '../core/errors.js';
import type { DataProject } from '../data/project.js';
import { listRemotes } from '../data/remotes/config.js';
import { restorableInputs, type RestorableInput } from './run-inputs.js';
import { SOURCE_SUBDIR_TAG } from './source-info.js';

/** The tag a reproduced run carries: the run it reproduces. */
export const REPRODUCED_FROM_TAG = 'mlx.reproducedFrom';

export interface ReproducePlan {
  runId: string;
  commit: string;
  dir: string;
  /** Where the command runs: the run's folder inside the worktree. */
  cwd: string;
  command: string[] | null;
  params: Record<string, string>;
  experimentId: string;
  inputs: (RestorableInput & { dest: string })[];
}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 }).trim();
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '')
      .trim()
      .split('\n')[0];
    throw new MlxError('INVALID_STATE', `git ${args.join(' ')} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/**
 * What `mlx runs reproduce` will do, checked before anything is written: the run recorded a git
 * commit this repository has, the folder is new or empty, and every recorded input's object is in
 * the cache (else the digest and the remote to pull it from are named).
 */
export function planReproduce(run: Run, project: DataProject, opts: { dir?: string; cwd?: string }): ReproducePlan {
  const runId = run.info.run_id;
  const commit = run.tags[SYSTEM_TAGS.gitCommit];
  if (!commit) throw invalid(`run ${runId} recorded no git commit (it was not started in a git repository), so its code cannot be restored`);
  const here = opts.cwd ?? process.cwd();
  let top: string;
  try {
    top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: here, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
  } catch {
    throw invalid(`${here} is not in a git repository; run \`mlx runs reproduce\` inside a clone of the run's repository`);
  }
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: top, stdio: 'ignore' });
  } catch {
    throw notFound(`commit ${commit} of run ${runId} is not in this repository; fetch it (\`git fetch --all\`) and try again`);
  }
  const dir = path.resolve(here, opts.dir ?? path.join(path.dirname(top), `${path.basename(top)}-run-${runId.slice(0, 8)}`));
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw invalid(`--dir ${JSON.stringify(dir)} exists and is not empty; give a new folder`);
  const projectInTop = path.relative(fs.realpathSync(top), project.root);
  const subdir = run.tags[SOURCE_SUBDIR_TAG] ?? '';
  const command = parseCommand(run.tags[SYSTEM_TAGS.command]);
  const inputs = restorableInputs(run.inputs).map((i) => ({ ...i, dest: path.join(dir, projectInTop, i.path) }));
  for (const i of inputs) {
    if (project.cache.has(i.digest)) continue;
    const remotes = listRemotes(project.root);
    const hint = remotes.length ? ` (\`mlx data pull --remote ${(remotes.find((r) => r.default) ?? remotes[0]).name}\` fetches it if it was pushed)` : '';
    throw notFound(`input ${JSON.stringify(i.path)} of run ${runId} (object ${i.digest}) is not in the cache${hint}`);
  }
  return { runId, commit, dir, cwd: path.join(dir, subdir), command, params: run.params, experimentId: run.info.experiment_id, inputs };
}

function parseCommand(text: string | undefined): string[] | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

/** Restores the plan: a detached git worktree at the commit, then each input from the cache (folder manifests need their files, checked first). */
export async function restoreRun(plan: ReproducePlan, project: DataProject): Promise<void> {
  for (const i of plan.inputs)
    if (i.kind === 'dir') {
      const missing = (await project.cache.readManifest(i.digest)).find((e) => !project.cache.has(e.digest));
      if (missing) throw notFound(`input ${JSON.stringify(i.path)}: object ${missing.digest} (${missing.path}) is not in the cache; pull the data first`);
    }
  git(project.root, ['worktree', 'add', '--detach', plan.dir, plan.commit]);
  for (const i of plan.inputs) await project.cache.materialize(i.digest, i.kind, i.dest);
}

import type { Command } from 'commander';
import { invalid } from '../../core/errors.js';
import { planReproduce, REPRODUCED_FROM_TAG, restoreRun, type ReproducePlan } from '../../app/reproduce.js';
import { findProject } from '../../data/project.js';
import { withStore } from '../context.js';
import { print, printJson } from '../output.js';

/** A shell-safe rendering of one argument (for the command line printed to copy). */
const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

function commandLine(plan: ReproducePlan): string | null {
  if (!plan.command) return null;
  const params = Object.entries(plan.params).map(([k, v]) => `--param ${quote(`${k}=${v}`)}`);
  return ['mlx run', '--experiment', plan.experimentId, ...params, '--tag', `${REPRODUCED_FROM_TAG}=${plan.runId}`, '--', ...plan.command.map(quote)].join(' ');
}

/** `mlx runs reproduce RUN`: the run's commit as a worktree, its inputs from the cache, and its command (run with --execute). */
export async function reproduceRun(cmd: Command, run: string, opts: { dir?: string; execute?: boolean; json?: boolean }): Promise<void> {
  const project = findProject();
  const exitCode = await withStore(cmd, false, async (store) => {
    const full = await store.getRun(await store.resolveRunId(run));
    const plan = planReproduce(full, project, { dir: opts.dir });
    if (opts.execute && !plan.command) throw invalid(`run ${plan.runId} recorded no command (it was not started by \`mlx run\`); restore it without --execute`);
    await restoreRun(plan, project);
    const line = commandLine(plan);
    if (!opts.execute) {
      if (opts.json)
        printJson({
          run_id: plan.runId,
          commit: plan.commit,
          dir: plan.dir,
          cwd: plan.cwd,
          inputs: plan.inputs,
          command: plan.command,
          params: plan.params,
          command_line: line,
        });
      else {
        print(`restored commit ${plan.commit.slice(0, 12)} of run ${plan.runId} in ${plan.dir}`);
        for (const i of plan.inputs) print(`restored input ${i.path} (sha256:${i.digest.slice(0, 12)}…)`);
        print(line ? `run it again:\n  cd ${quote(plan.cwd)} && ${line}` : 'the run recorded no command (it was not started by `mlx run`)');
      }
      return 0;
    }
    const { prepareRun, startRun } = await import('../../app/start-run.js');
    const { runCommand } = await import('../../app/run-command.js');
    const { artifactRepository } = await import('../../artifacts/open-repository.js');
    const warn = (m: string) => process.stderr.write(`mlx: ${m}\n`);
    const prepared = prepareRun({ experiment: plan.experimentId, command: plan.command!, cwd: plan.cwd, env: process.env, warn });
    prepared.parsedParams = { ...plan.params };
    prepared.parsedTags = { [REPRODUCED_FROM_TAG]: plan.runId };
    const { info } = await startRun(store, prepared);
    if (full.inputs.length) await store.logInputs(info.run_id, full.inputs);
    process.stderr.write(`mlx: run ${info.run_id} reproduces ${plan.runId} in ${plan.cwd}\n`);
    const res = await runCommand({
      store,
      runId: info.run_id,
      command: plan.command!,
      cwd: plan.cwd,
      env: { ...process.env, MLX_RUN_ID: info.run_id, MLX_TRACKING_URI: store.uri, MLX_EXPERIMENT: plan.experimentId },
      artifacts: await artifactRepository(info.artifact_uri, store.uri, store.http),
      stdout: opts.json ? process.stderr : process.stdout,
      stderr: process.stderr,
      warn,
    });
    process.stderr.write(`mlx: run ${info.run_id} ${res.status} (exit code ${res.exitCode})\n`);
    if (opts.json) printJson({ run_id: info.run_id, reproduces: plan.runId, status: res.status, exit_code: res.exitCode, dir: plan.dir, commit: plan.commit });
    return res.exitCode;
  });
  process.exitCode = exitCode;
}

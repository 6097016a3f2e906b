import type { Command } from 'commander';
import { experimentArg } from '../../app/experiments.js';
import type { PipelineRuns } from '../../app/repro.js';
import path from 'node:path';
import { validateRunName } from '../../core/validation.js';
import { repro, stateDir, type StageReport, type StageRunner } from '../../pipeline/repro.js';
import { findPipelineRoot, loadPipeline } from '../../pipeline/spec.js';
import { globals } from '../context.js';
import { intFlag, optional, refuseFlags, usage } from '../flags.js';
import { printable, print, printJson, renderTable } from '../output.js';

export interface ReproCliOptions {
  force?: boolean;
  dryRun?: boolean;
  jobs?: string;
  single?: boolean;
  runCache?: boolean;
  experiment?: string;
  name?: string;
  json?: boolean;
}

/** Checks the flags, reproduces the pipeline, prints the outcome; returns the exit code. */
export async function reproAction(cmd: Command, target: string | undefined, opts: ReproCliOptions): Promise<number> {
  const jobs = optional('--jobs', opts.jobs, (flag, text) => intFlag(flag, text, { min: 1, max: 64 })) ?? 1;
  if (opts.single && target === undefined) throw usage('--single needs a STAGE');
  if (opts.dryRun) refuseFlags([['--name', opts.name]], 'does not apply to --dry-run: nothing runs');
  if (opts.name !== undefined) validateRunName(opts.name);
  const root = findPipelineRoot(process.cwd());
  const pipeline = loadPipeline(root, { cacheFile: path.join(stateDir(root), 'parsed.json') });
  const warn = (m: string) => process.stderr.write(`mlx: ${printable(m)}\n`);
  // The run machinery (store, artifacts, run-command) loads only when a stage runs: a no-op repro stays fast.
  let runs: PipelineRuns | null = null;
  const pipelineRuns = async () => {
    const { PipelineRuns } = await import('../../app/repro.js');
    runs ??= new PipelineRuns({
      openStore: async () => {
        const { openStore, resolveTrackingUri } = await import('../../store/open-store.js');
        return openStore(resolveTrackingUri({ flag: globals(cmd).trackingUri }), { create: true });
      },
      experiment: experimentArg(opts.experiment),
      name: opts.name,
      command: ['mlx', ...process.argv.slice(2)],
      root,
      env: process.env,
      // With --json, stdout holds the one JSON document: the stages' output goes to stderr.
      stdout: opts.json ? process.stderr : process.stdout,
      stderr: process.stderr,
      warn,
      prefix: jobs > 1,
    });
    return runs;
  };
  const runner: StageRunner = {
    run: async (stage, ctx) => (await pipelineRuns()).run(stage, ctx),
    finish: async (stage, runId, result) => (await pipelineRuns()).finish(stage, runId, result),
  };
  const quiet = opts.json || opts.dryRun;
  let result;
  let ok = false;
  try {
    result = await repro({
      pipeline,
      target,
      single: opts.single,
      force: opts.force,
      dryRun: opts.dryRun,
      jobs,
      runCache: opts.runCache,
      runner,
      objects: async () => (await import('../../data/objects/index.js')).ObjectCache.open(root),
      onEvent: quiet ? undefined : (e) => progress(e.type, e.report),
    });
    ok = result.ok;
  } finally {
    await (runs as PipelineRuns | null)?.close(ok);
  }
  const parentRunId = runs ? await (runs as PipelineRuns).parentRunId() : null;
  const stages = result.stages;
  if (opts.json) {
    printJson({
      ok: result.ok,
      dry_run: !!opts.dryRun,
      pipeline_run_id: parentRunId,
      stages: stages.map((s) => ({ stage: s.stage, action: s.action, reasons: s.reasons, run_id: s.runId ?? null, exit_code: s.exitCode ?? null })),
    });
  } else if (opts.dryRun) {
    const rows = stages.map((s) => [s.stage, s.action === 'would-run' ? 'yes' : 'no', s.reasons.join('; ') || 'up to date']);
    print(await renderTable(['stage', 'would run', 'why'], rows));
  } else {
    const count = (a: StageReport['action']) => stages.filter((s) => s.action === a).length;
    const parts = [
      count('ran') && `${count('ran')} ran`,
      count('restored') && `${count('restored')} restored from the run cache`,
      count('unchanged') && `${count('unchanged')} up to date`,
      count('failed') && `${count('failed')} failed`,
      count('not-run') && `${count('not-run')} not run`,
    ].filter(Boolean);
    const nothing = stages.every((s) => s.action === 'unchanged');
    process.stderr.write(
      nothing
        ? `mlx: nothing to do: ${stages.length === 1 ? 'the stage is' : `all ${stages.length} stages are`} up to date\n`
        : `mlx: ${parts.join(', ')}${parentRunId ? ` (pipeline run ${parentRunId})` : ''}\n`,
    );
  }
  if (result.ok) return 0;
  // A failed stage's own exit code (a validation gate's 4, say), else 1.
  return stages.find((s) => s.action === 'failed' && (s.exitCode ?? 0) > 0)?.exitCode ?? 1;
}

function progress(type: 'start' | 'end', r: StageReport): void {
  const why = r.reasons.length ? ` (${r.reasons.join('; ')})` : '';
  let line: string | null = null;
  if (type === 'start') line = r.action === 'restored' ? null : `stage ${r.stage}: running${why}`;
  else if (r.action === 'ran') line = `stage ${r.stage}: done${r.runId ? ` (run ${r.runId})` : ''}`;
  else if (r.action === 'restored') line = `stage ${r.stage}: outputs restored from the run cache${why}`;
  else if (r.action === 'failed') line = `stage ${r.stage}: FAILED: ${r.reasons.join('; ')}${r.runId ? ` (run ${r.runId})` : ''}`;
  else if (r.action === 'not-run') line = `stage ${r.stage}: not run: ${r.reasons.join('; ')}`;
  else if (r.action === 'unchanged') line = `stage ${r.stage}: up to date`;
  if (line) process.stderr.write(`mlx: ${printable(line)}\n`);
}

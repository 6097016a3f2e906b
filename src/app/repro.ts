import { Transform, type Writable } from 'node:stream';
import path from 'node:path';
import { artifactRepository } from '../artifacts/open-repository.js';
import type { Experiment } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import { redactUri } from '../core/uri.js';
import { validateParamValue, validateTagValue } from '../core/validation.js';
import { readMetrics } from '../pipeline/outputs.js';
import type { StageRunner } from '../pipeline/repro.js';
import type { Stage } from '../pipeline/spec.js';
import { runParams, type StageInputs } from '../pipeline/status.js';
import type { Store } from '../store/store.js';
import { runCommand } from './run-command.js';
import { startRun } from './start-run.js';

export const PIPELINE_TAGS = {
  /** On the pipeline's run: the folder of mlx.yaml. */
  root: 'mlx.pipeline.root',
  /** On each stage's run: its name, and why it ran. */
  stage: 'mlx.pipeline.stage',
  reasons: 'mlx.pipeline.reasons',
  failure: 'mlx.pipeline.failure',
} as const;

export interface PipelineRunsOptions {
  /** Opened only when a stage actually runs: a repro with nothing to do touches no store. */
  openStore: () => Promise<Store>;
  experiment: string;
  name?: string;
  /** The `mlx repro …` command line, recorded on the pipeline's run. */
  command: string[];
  root: string;
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  warn: (message: string) => void;
  /** Prefix each output line with [STAGE] (several stages running at once). */
  prefix: boolean;
}

interface Parent {
  store: Store;
  runId: string;
  experiment: Experiment;
}

/**
 * Runs pipeline stages as mlx runs: one run for the pipeline, started when the first stage runs,
 * and under it (mlflow.parentRunId) one run per executed stage, holding the stage's params, its
 * deps as dataset inputs (digests, as MLflow's log_input), its metrics files and its output.
 */
export class PipelineRuns implements StageRunner {
  private parent: Promise<Parent> | null = null;
  private store: Store | null = null;
  readonly stageRuns: { stage: string; runId: string }[] = [];

  constructor(private readonly o: PipelineRunsOptions) {}

  /** The pipeline's run id, if one was started. */
  async parentRunId(): Promise<string | null> {
    return this.parent ? (await this.parent).runId : null;
  }

  private ensureParent(): Promise<Parent> {
    this.parent ??= (async () => {
      const store = await this.o.openStore();
      this.store = store;
      // Each stage's output is a run artifact: refuse a store that cannot keep one before any run exists.
      if (store.fileRoot === null && !store.http)
        throw new MlxError(
          'INVALID_PARAMETER_VALUE',
          `pipeline stages keep their output as run artifacts, and ${redactUri(store.uri)} keeps artifacts through its tracking server: run \`mlx server --backend-store-uri ${redactUri(store.uri)} --artifacts-destination DIR\` and set MLX_TRACKING_URI=http://HOST:PORT`,
        );
      const { info, experiment } = await startRun(store, {
        experiment: this.o.experiment,
        name: this.o.name ?? 'repro',
        command: this.o.command,
        cwd: this.o.root,
        env: this.o.env,
        warn: this.o.warn,
        parsedParams: {},
        parsedTags: { [PIPELINE_TAGS.root]: this.o.root },
      });
      return { store, runId: info.run_id, experiment };
    })();
    return this.parent;
  }

  async run(stage: Stage, ctx: { inputs: StageInputs; reasons: string[] }): Promise<{ exitCode: number; runId: string | null }> {
    const { store, runId: parentId, experiment } = await this.ensureParent();
    const params = runParams(stage, ctx.inputs.params);
    for (const [k, v] of Object.entries(params)) validateParamValue(k, v);
    const tags = { [PIPELINE_TAGS.stage]: stage.name, [PIPELINE_TAGS.reasons]: ctx.reasons.join('; ').slice(0, 5000) };
    for (const [k, v] of Object.entries(tags)) validateTagValue(k, v);
    const script = shellScript(stage.cmd);
    const { info } = await startRun(store, {
      experiment: experiment.experiment_id,
      name: stage.name,
      command: ['/bin/sh', '-c', script],
      cwd: this.o.root,
      // startRun reads MLX_RUN_ID as the parent run.
      env: { ...this.o.env, MLX_RUN_ID: parentId },
      warn: this.o.warn,
      parsedParams: params,
      parsedTags: tags,
    });
    this.stageRuns.push({ stage: stage.name, runId: info.run_id });
    if (ctx.inputs.deps.length)
      await store.logInputs(
        info.run_id,
        ctx.inputs.deps.map((d) => ({
          name: d.path,
          digest: d.sha256,
          source_type: 'local',
          source: path.join(this.o.root, d.path),
          schema: null,
          profile: JSON.stringify({ size: d.size, ...(d.files !== undefined ? { files: d.files, format: 'folder' } : {}) }),
          context: 'pipeline',
        })),
      );
    const res = await runCommand({
      store,
      runId: info.run_id,
      command: ['/bin/sh', '-c', script],
      cwd: this.o.root,
      env: { ...this.o.env, MLX_RUN_ID: info.run_id, MLX_TRACKING_URI: store.uri, MLX_EXPERIMENT: experiment.experiment_id, MLX_PIPELINE_STAGE: stage.name },
      artifacts: await artifactRepository(info.artifact_uri, store.uri, store.http),
      stdout: this.o.prefix ? prefixed(stage.name, this.o.stdout) : this.o.stdout,
      stderr: this.o.prefix ? prefixed(stage.name, this.o.stderr) : this.o.stderr,
      warn: this.o.warn,
      processGroup: true,
    });
    return { exitCode: res.exitCode, runId: info.run_id };
  }

  async finish(stage: Stage, runId: string | null, result: { ok: boolean; note?: string }): Promise<void> {
    if (!runId || !this.store) return;
    const store = this.store;
    if (!result.ok) {
      if (result.note) {
        await store.setTag(runId, PIPELINE_TAGS.failure, result.note.slice(0, 5000));
        await store.updateRun(runId, { status: 'FAILED', endTime: Date.now() });
      }
      return;
    }
    const now = Date.now();
    const entries = [];
    for (const file of stage.metrics) {
      try {
        for (const [key, value] of Object.entries(readMetrics(this.o.root, file)))
          entries.push({ type: 'metric' as const, key, value, step: 0, timestamp: now });
      } catch (err) {
        this.o.warn(`stage ${stage.name}: ${(err as Error).message}; its metrics are not logged`);
      }
    }
    if (entries.length) await store.logBatch(runId, entries).catch((err: Error) => this.o.warn(`stage ${stage.name}: metrics not logged: ${err.message}`));
  }

  /** Ends the pipeline's run (FINISHED, or FAILED when a stage failed) and closes the store. */
  async close(ok: boolean): Promise<void> {
    try {
      if (this.parent) {
        const parent = await this.parent.catch(() => null);
        if (parent) await parent.store.updateRun(parent.runId, { status: ok ? 'FINISHED' : 'FAILED', endTime: Date.now() });
      }
    } finally {
      await this.store?.close();
    }
  }
}

/** A stage's commands as one shell script: each in order, the first failure ends it with its exit code. */
export function shellScript(cmd: string[]): string {
  return cmd.length === 1 ? cmd[0] : cmd.map((c) => `(\n${c}\n) || exit $?`).join('\n');
}

/** A stream that writes each line to dest as "[name] line" (stages running at once stay readable). */
function prefixed(name: string, dest: Writable): Writable {
  let atStart = true;
  const t = new Transform({
    transform(chunk: Buffer | string, _enc, done) {
      const text = String(chunk);
      let out = '';
      for (const piece of text.split(/(?<=\n)/)) {
        if (atStart && piece) out += `[${name}] `;
        out += piece;
        atStart = piece.endsWith('\n');
      }
      done(null, out);
    },
  });
  t.pipe(dest, { end: false });
  return t;
}

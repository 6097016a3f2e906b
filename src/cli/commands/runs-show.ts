import type { Command } from 'commander';
import { artifactRepository } from '../../artifacts/open-repository.js';
import { runToJson } from '../../core/entities.js';
import { withStore } from '../context.js';
import { colors, formatDuration, formatTime, formatValue, print, printJson, renderTable } from '../output.js';

export async function showRun(cmd: Command, id: string, opts: { json?: boolean }): Promise<void> {
  const { run, versions, artifacts } = await withStore(cmd, false, async (store) => {
    const run = await store.getRun(await store.resolveRunId(id));
    const repo = await artifactRepository(run.info.artifact_uri, store.uri, store.http).catch((err: Error) => ({
      list: async () => Promise.reject(err),
    }));
    // Artifacts in a place mlx cannot read (say, S3 behind an MLflow server) leave the rest of the run worth showing.
    const listing = repo.list(undefined, true).catch((err: Error) => {
      process.stderr.write(`mlx: warning: cannot list the artifacts of run ${run.info.run_id}: ${err.message}\n`);
      return [];
    });
    const [versions, listed] = await Promise.all([store.searchModelVersions({ runId: run.info.run_id }), listing]);
    return { run, versions, artifacts: listed.filter((a) => !a.is_dir) };
  });
  // Lineage both ways: the model versions registered from this run.
  const modelVersions = versions.map((v) => ({ name: v.name, version: v.version, aliases: v.aliases, uri: `models:/${v.name}/${v.version}` }));
  if (opts.json) return printJson({ ...runToJson(run), artifacts, model_versions: modelVersions });
  const c = await colors();
  const i = run.info;
  const lines = [
    `${c.bold('run')}         ${i.run_id}`,
    `${c.bold('name')}        ${i.run_name}`,
    `${c.bold('experiment')}  ${i.experiment_id}`,
    `${c.bold('status')}      ${i.status}${i.lifecycle_stage === 'deleted' ? ' (deleted)' : ''}`,
    `${c.bold('started')}     ${formatTime(i.start_time)}`,
    `${c.bold('ended')}       ${formatTime(i.end_time)}${i.end_time != null ? ` (${formatDuration(i.end_time - i.start_time)})` : ''}`,
    `${c.bold('user')}        ${i.user_id}`,
    `${c.bold('artifacts')}   ${i.artifact_uri}`,
  ];
  print(lines.join('\n'));
  const section = async (title: string, head: string[], rows: string[][]) => {
    if (rows.length === 0) return;
    print(`\n${c.bold(title)}`);
    print(await renderTable(head, rows));
  };
  const sorted = (o: Record<string, string | number>) =>
    Object.keys(o)
      .sort()
      .map((k) => [k, formatValue(o[k])]);
  await section('params', ['key', 'value'], sorted(run.params));
  await section('metrics (latest)', ['key', 'value'], sorted(run.metrics));
  await section('tags', ['key', 'value'], sorted(run.tags));
  await section(
    'datasets',
    ['name', 'context', 'digest', 'rows'],
    run.inputs.map((d) => [d.name, d.context ?? '', d.digest.slice(0, 12), rowCount(d.profile)]),
  );
  await section(
    'artifacts',
    ['path', 'bytes'],
    artifacts.map((a) => [a.path, String(a.file_size ?? '')]),
  );
  await section(
    'model versions',
    ['model', 'version', 'aliases'],
    modelVersions.map((v) => [v.name, String(v.version), v.aliases.map((a) => `@${a}`).join(' ')]),
  );
}

// The profile is free text from whichever client logged the dataset (MLflow's is JSON by
// convention only): anything without a num_rows number shows no count, never an error.
function rowCount(profile: string | null): string {
  try {
    const n = (JSON.parse(profile ?? '{}') as { num_rows?: unknown } | null)?.num_rows;
    return typeof n === 'number' ? String(n) : '';
  } catch {
    return '';
  }
}

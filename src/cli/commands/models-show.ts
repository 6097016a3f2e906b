import type { Command } from 'commander';
import { NOT_SERVABLE_TAG, type ModelVersion, type RegisteredModel } from '../../core/entities.js';
import { schemaSummary, versionSchema } from '../../app/model-schema.js';
import type { DataSchema } from '../../data/validation/schema.js';
import { deleteModelOrVersion } from '../../models/delete.js';
import { resolveRegistryRef } from '../../models/uri.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../context.js';
import { colors, formatTime, print, printJson, renderTable } from '../output.js';

export { resolveRegistryRef as resolveRef };

export async function listModels(cmd: Command, opts: { json?: boolean }): Promise<void> {
  const models = await withStore(cmd, false, (store) => store.listRegisteredModels());
  if (opts.json) return printJson({ registered_models: models });
  if (models.length === 0) return print('no registered models (register one with: mlx register MODEL.onnx --name NAME)');
  print(
    await renderTable(
      ['name', 'latest', 'aliases', 'updated', 'description'],
      models.map((m) => [
        m.name,
        m.latest_version === null ? '' : String(m.latest_version),
        Object.entries(m.aliases)
          .map(([a, v]) => `@${a}→${v}`)
          .join(' '),
        formatTime(m.last_updated_time),
        m.description.split('\n')[0].slice(0, 60),
      ]),
    ),
  );
}

const shape = (s: number[]) => `[${s.join(', ')}]`;

/** A version's aliases and, when it has one, its MLflow stage: "@champion stage Production". */
function placement(v: ModelVersion): string {
  return [...v.aliases.map((a) => `@${a}`), ...(v.current_stage !== 'None' ? [`stage ${v.current_stage}`] : [])].join(' ');
}

async function printVersion(v: ModelVersion, runName: string | null, schema: DataSchema | null): Promise<void> {
  const c = await colors();
  const row = (k: string, val: string) => `${c.bold(k.padEnd(12))}${val}`;
  const notServable = v.tags[NOT_SERVABLE_TAG];
  if (notServable !== undefined) {
    // Registered as MLflow registers any source: there are no ONNX facts to show.
    print(
      [
        row('model', `${v.name} version ${v.version}${placement(v) ? `  (${placement(v)})` : ''}`),
        row('uri', `models:/${v.name}/${v.version}`),
        row('created', `${formatTime(v.creation_time)} by ${v.user_id}`),
        row('run', v.run_id ? `${v.run_id}${runName ? ` (${runName})` : ''}` : '-'),
        row('source', v.source),
        row('servable', c.yellow(`no: ${notServable}`)),
        row('description', v.description || '-'),
      ].join('\n'),
    );
    const userTags = Object.entries(v.tags).filter(([k]) => k !== NOT_SERVABLE_TAG);
    if (userTags.length) print(`\n${c.bold('tags')}\n${await renderTable(['key', 'value'], userTags.sort())}`);
    return;
  }
  print(
    [
      row('model', `${v.name} version ${v.version}${placement(v) ? `  (${placement(v)})` : ''}`),
      row('uri', `models:/${v.name}/${v.version}`),
      row('created', `${formatTime(v.creation_time)} by ${v.user_id}`),
      row('run', v.run_id ? `${v.run_id}${runName ? ` (${runName})` : ''}` : '-'),
      row('source', v.source),
      row('sha256', v.sha256),
      row('size', `${v.size} bytes`),
      row('onnx', `IR ${v.ir_version}, opset ${v.opset.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}, producer ${v.producer || '?'}`),
      row('preprocess', v.preprocess ?? '-'),
      row('labels', v.labels ? `${v.labels.length}: ${v.labels.slice(0, 10).join(', ')}${v.labels.length > 10 ? ', …' : ''}` : '-'),
      row('description', v.description || '-'),
      row('file', v.storage_location || 'on the tracking server'),
      row('schema', schema ? schemaSummary(schema) : '-'),
    ].join('\n'),
  );
  print(`\n${c.bold('signature')}`);
  print(
    await renderTable(
      ['', 'name', 'type', 'shape'],
      [
        ...v.signature.inputs.map((t) => ['input', t.name, t.type, shape(t.shape)]),
        ...v.signature.outputs.map((t) => ['output', t.name, t.type, shape(t.shape)]),
      ],
    ),
  );
  if (Object.keys(v.tags).length) {
    print(`\n${c.bold('tags')}`);
    print(await renderTable(['key', 'value'], Object.entries(v.tags).sort()));
  }
}

async function runName(store: Store, runId: string | null): Promise<string | null> {
  if (!runId) return null;
  return (await store.getRun(runId).catch(() => null))?.info.run_name ?? null;
}

export async function showModel(cmd: Command, ref: string, opts: { json?: boolean }): Promise<void> {
  const shown = await withStore(cmd, false, async (store) => {
    const r = await resolveRegistryRef(store, ref);
    if (r.version !== null) {
      const v = await store.getModelVersion(r.name, r.version);
      return { kind: 'version' as const, v, runName: await runName(store, v.run_id), schema: await versionSchema(store, v) };
    }
    const model = await store.getRegisteredModel(r.name);
    return { kind: 'model' as const, model, versions: await store.searchModelVersions({ name: r.name }) };
  });
  if (shown.kind === 'version') {
    if (opts.json) return printJson({ model_version: { ...shown.v, run_name: shown.runName, ...(shown.schema ? { data_schema: shown.schema } : {}) } });
    return printVersion(shown.v, shown.runName, shown.schema);
  }
  if (opts.json) return printJson({ registered_model: shown.model, model_versions: shown.versions });
  await printModel(shown.model, shown.versions);
}

async function printModel(m: RegisteredModel, versions: ModelVersion[]): Promise<void> {
  const c = await colors();
  print(`${c.bold(m.name)}${m.description ? `: ${m.description}` : ''}`);
  print(`created ${formatTime(m.creation_time)}, updated ${formatTime(m.last_updated_time)}`);
  if (Object.keys(m.tags).length)
    print(
      `tags: ${Object.entries(m.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  print(
    await renderTable(
      ['version', 'aliases / stage', 'created', 'run', 'sha256', 'inputs → outputs'],
      versions.map((v) => [
        String(v.version),
        placement(v),
        formatTime(v.creation_time),
        v.run_id ? v.run_id.slice(0, 8) : '',
        v.sha256.slice(0, 12),
        v.tags[NOT_SERVABLE_TAG] !== undefined
          ? `not servable: ${v.tags[NOT_SERVABLE_TAG].split(';')[0]}`
          : `${v.signature.inputs.map((t) => shape(t.shape)).join(' ')} → ${v.signature.outputs.map((t) => shape(t.shape)).join(' ')}`,
      ]),
    ),
  );
}

export async function deleteModel(cmd: Command, ref: string, opts: { force?: boolean }): Promise<void> {
  await withStore(cmd, false, async (store) => {
    const r = await resolveRegistryRef(store, ref);
    await deleteModelOrVersion(store, r.name, r.version, !!opts.force);
  });
}

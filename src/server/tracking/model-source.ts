import path from 'node:path';
import type { ModelVersion } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { commitRegistration, prepareRegistration } from '../../models/register.js';
import { localArtifactPath, PROXY_SCHEME, proxyPath, REGISTRY_PREFIX, type TrackingContext } from './context.js';
import type { Fields } from './request.js';

/** Input tags that carry what MLflow's CreateModelVersion has no field for; consumed, not stored. */
const INPUT_TAGS = ['mlx.labels', 'mlx.preprocess', 'mlx.sha256', 'mlx.alias'];

function labelsOf(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid('tag mlx.labels must be a JSON array of strings, e.g. ["cat","dog"]');
  return v;
}

/** The local file or folder a model version's source names; only places under the artifact root are read. */
async function localSource(ctx: TrackingContext, source: string): Promise<string> {
  if (source.startsWith(PROXY_SCHEME)) {
    if (proxyPath(source).startsWith(`${REGISTRY_PREFIX}/`)) throw invalid(`source ${JSON.stringify(source)} is a registered model file; register it with models:/NAME/VERSION instead`);
    return localArtifactPath(ctx, source);
  }
  const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (run) {
    const r = await ctx.store.getRun(await ctx.store.resolveRunId(run[1]));
    return localArtifactPath(ctx, r.info.artifact_uri, run[2]);
  }
  if (source.startsWith('models:/')) return source;
  if (path.isAbsolute(source)) {
    const rel = path.relative(ctx.artifactRoot, source);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return source;
  }
  throw invalid(`source ${JSON.stringify(source)} is not readable by this server: upload the model through the artifact proxy and pass its mlflow-artifacts:/ URI, or a runs:/RUN_ID/PATH`);
}

/** model-versions/create: reads the ONNX model at the source, checks it as `mlx register` does, and stores version N+1. */
export async function registerFromSource(ctx: TrackingContext, f: Fields): Promise<ModelVersion> {
  const source = f.str('source');
  const given = f.tags();
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    if (!k.startsWith('mlx.')) tags[k] = v;
    else if (!INPUT_TAGS.includes(k)) throw invalid(`tag ${JSON.stringify(k)}: of the mlx.* tags, a new version takes only ${INPUT_TAGS.join(', ')}`);
  }
  const local = await localSource(ctx, source);
  const prepared = await prepareRegistration(ctx.store, {
    source: local,
    name: f.str('name'),
    runId: f.optStr('run_id') || undefined,
    alias: given['mlx.alias'],
    description: f.optStr('description'),
    labels: labelsOf(given['mlx.labels']),
    preprocess: given['mlx.preprocess'],
    tags,
    userId: f.optStr('user_id') || 'unknown',
  }).catch((err: unknown) => {
    // The client knows its source, not this server's folders: name the one, never show the other.
    if (!(err instanceof MlxError) || local === source) throw err;
    const message = err.message.split(local).join(source).split(ctx.artifactRoot).join(PROXY_SCHEME);
    throw invalid(message.startsWith(`source `) ? message : `source ${JSON.stringify(source)}: ${message}`);
  });
  const expected = given['mlx.sha256'];
  if (expected !== undefined && expected.toLowerCase() !== prepared.hash)
    throw invalid(`the model at ${JSON.stringify(source)} has sha256 ${prepared.hash}, not ${expected} as the client said: the upload is damaged or incomplete`);
  // Recorded as the client gave it, as MLflow does.
  if (!source.startsWith('models:/')) prepared.source = source;
  return (await commitRegistration(ctx.store, prepared)).version;
}

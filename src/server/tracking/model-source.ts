import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { PROXY_SCHEME } from '../../core/uri.js';
import { parseArtifactPath, reservedName } from '../../artifacts/artifact-path.js';
import { ArtifactTree } from '../../artifacts/artifact-tree.js';
import { commitRegistration, prepareRegistration } from '../../models/register.js';
import { kindOf } from '../../models/model-file.js';
import { chooseOnnx } from '../../models/uri.js';
import type { S3ArtifactRepository } from '../../artifacts/s3-repository.js';
import { artifactTree, localArtifactPath, proxyPath, REGISTRY_PREFIX, RESERVED_NAMES, storeRelative, UPLOAD_TMP, type TrackingContext } from './context.js';
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

/**
 * The ONNX file in a tree that a source names (a folder stands for its model.onnx, or its one
 * .onnx file), by its real path: links are followed only while they stay in the tree, as MLflow
 * requires a local source to lie inside the run's artifact folder.
 */
function modelFileIn(tree: ArtifactTree, names: string[], source: string): string {
  const shown = `source ${JSON.stringify(source)}`;
  // 400 as for any unusable source (MLflow answers INVALID_PARAMETER_VALUE for a bad source).
  const missing = () => invalid(`${shown} does not exist under the artifacts this server keeps (links that lead out of them are not followed)`);
  let found = tree.find(names);
  if (!found) throw missing();
  if (found.stat.isDirectory()) {
    const listed = tree.list(names);
    const files = listed && 'dir' in listed ? listed.dir.filter((e) => !e.is_dir).map((e) => e.name) : [];
    const chosen = chooseOnnx(files);
    if (!('file' in chosen)) throw invalid(`${shown} is a folder with ${chosen.count === 0 ? 'no' : chosen.count} .onnx files; name the file`);
    found = tree.find([...names, chosen.file]);
    if (!found) throw missing();
  }
  if (!found.stat.isFile()) throw invalid(`${shown} is ${kindOf(found.stat)}, not a regular file; give an uploaded .onnx file`);
  return found.real;
}

/**
 * With an S3 destination: the ONNX file a source names (a folder stands for its one .onnx file),
 * downloaded (checked against its sha256) into the upload folder for registration to read.
 */
async function objectSource(ctx: TrackingContext, repo: S3ArtifactRepository, rel: string, source: string): Promise<string> {
  const shown = `source ${JSON.stringify(source)}`;
  const entries = await repo.list(rel || undefined);
  let file = rel;
  if (entries.length === 0) throw invalid(`${shown} does not exist under the artifacts this server keeps`);
  if (!(entries.length === 1 && entries[0].path === rel && !entries[0].is_dir)) {
    const chosen = chooseOnnx(entries.filter((e) => !e.is_dir).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1)));
    if (!('file' in chosen)) throw invalid(`${shown} is a folder with ${chosen.count === 0 ? 'no' : chosen.count} .onnx files; name the file`);
    file = [rel, chosen.file].filter((p) => p).join('/');
  }
  const dir = path.join(ctx.artifactRoot, UPLOAD_TMP);
  fs.mkdirSync(dir, { recursive: true });
  const local = path.join(dir, `${randomUUID()}-${path.posix.basename(file)}`);
  await repo.download(file, local);
  return local;
}

/** The local file a model version's source names; only files under the artifact root (a run's: under its folder) are read. */
async function localSource(ctx: TrackingContext, source: string): Promise<string> {
  const what = `source ${JSON.stringify(source)}`;
  if (source.startsWith(PROXY_SCHEME)) {
    const names = parseArtifactPath(proxyPath(source), { what });
    const reserved = reservedName(names[0], RESERVED_NAMES);
    if (reserved === REGISTRY_PREFIX) throw invalid(`${what} is a registered model file; register it with models:/NAME/VERSION instead`);
    if (reserved) throw invalid(`${what} is in the server's ${reserved}/ folder, which holds no artifacts`);
    if (ctx.objectStore) return objectSource(ctx, ctx.objectStore, names.join('/'), source);
    return modelFileIn(artifactTree(ctx), names, source);
  }
  const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (run) {
    const r = await ctx.store.getRun(await ctx.store.resolveRunId(run[1]));
    const names = parseArtifactPath(run[2], { what, trailingSlash: true });
    if (ctx.objectStore && r.info.artifact_uri.startsWith(PROXY_SCHEME))
      return objectSource(ctx, ctx.objectStore, [proxyPath(r.info.artifact_uri), ...names].filter((p) => p).join('/'), source);
    return modelFileIn(new ArtifactTree(localArtifactPath(ctx, r.info.artifact_uri)), names, source);
  }
  if (source.startsWith('models:/')) return source;
  if (path.isAbsolute(source)) {
    const tree = artifactTree(ctx);
    for (const root of [ctx.artifactRoot, tree.realRoot]) {
      if (root === null) continue;
      const rel = path.relative(root, path.normalize(source));
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
      const names = rel.split(path.sep);
      if (reservedName(names[0], RESERVED_NAMES)) break;
      return modelFileIn(tree, names, source);
    }
  }
  throw invalid(
    `${what} is not readable by this server: upload the model through the artifact proxy and pass its mlflow-artifacts:/ URI, or a runs:/RUN_ID/PATH`,
  );
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
  try {
    return await register(ctx, f, source, local, given, tags);
  } finally {
    // A copy downloaded from the S3 destination; the registry keeps its own.
    if (ctx.objectStore && local !== source && local.startsWith(path.join(ctx.artifactRoot, UPLOAD_TMP))) fs.rmSync(local, { force: true });
  }
}

async function register(
  ctx: TrackingContext,
  f: Fields,
  source: string,
  local: string,
  given: Record<string, string>,
  tags: Record<string, string>,
): Promise<ModelVersion> {
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
    const message = storeRelative(ctx, err.message.split(local).join(source));
    throw invalid(message.startsWith(`source `) ? message : `source ${JSON.stringify(source)}: ${message}`, err);
  });
  const expected = given['mlx.sha256'];
  if (expected !== undefined && expected.toLowerCase() !== prepared.hash)
    throw invalid(
      `the model at ${JSON.stringify(source)} has sha256 ${prepared.hash}, not ${expected} as the client said: the upload is damaged or incomplete`,
    );
  // Recorded as the client gave it, as MLflow does.
  if (!source.startsWith('models:/')) prepared.source = source;
  return (await commitRegistration(ctx.store, prepared)).version;
}

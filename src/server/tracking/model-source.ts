import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { PROXY_SCHEME, schemeOf } from '../../core/uri.js';
import { parseArtifactPath, reservedName } from '../../artifacts/artifact-path.js';
import { ArtifactTree } from '../../artifacts/artifact-tree.js';
import { checkRegistrationInput, commitRegistration, prepareRegistration, registerOpaque } from '../../models/register.js';
import { kindOf } from '../../models/model-file.js';
import { checkMlflowSignature, MLMODEL, mlflowOnnxIn, type MlflowModelInfo } from '../../models/mlflow-model.js';
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

/** What a source holds for mlx: an ONNX file (with the MLflow signature of its model folder), or why there is none. */
type Found = { file: string; signature?: MlflowModelInfo['signature'] } | { unusable: string };

/** A source mlx cannot use, with the reason a version registered from it is not servable (a phrase after "version N of NAME"). */
class Unusable extends Error {}

/**
 * The ONNX file in a tree that a source names (an MLflow model folder stands for the file its
 * onnx flavor names; another folder for its model.onnx or its one .onnx file), by its real path:
 * links are followed only while they stay in the tree, as MLflow requires a local source to lie
 * inside the run's artifact folder. What is missing or not ONNX is Unusable, not an error: MLflow
 * registers any source.
 */
async function modelFileIn(tree: ArtifactTree, names: string[], source: string): Promise<Found> {
  const shown = `source ${JSON.stringify(source)}`;
  const nothing = () => new Unusable(`had no files at ${source} when it was registered: upload the model there and register it again`);
  let found = tree.find(names);
  if (!found) throw nothing();
  let signature: MlflowModelInfo['signature'] | undefined;
  if (found.stat.isDirectory()) {
    const mlflow = await mlflowOnnxIn(() => {
      const fd = tree.openFile([...names, MLMODEL]);
      if (!fd) return null;
      try {
        return fs.readFileSync(fd.fd, 'utf8');
      } finally {
        fs.closeSync(fd.fd);
      }
    }, shown).catch((err: unknown) => {
      // "is an MLflow sklearn model; mlx serves ONNX: …" is the reason the version is not servable.
      throw err instanceof MlxError ? new Unusable(err.message.slice(shown.length + 1)) : err;
    });
    let file: string[];
    if (mlflow) {
      file = [...names, ...parseArtifactPath(mlflow.file, { what: `the onnx flavor's file of ${shown}` })];
      signature = mlflow.signature;
    } else {
      const listed = tree.list(names);
      const files = listed && 'dir' in listed ? listed.dir.filter((e) => !e.is_dir).map((e) => e.name) : [];
      const chosen = chooseOnnx(files);
      if (!('file' in chosen))
        throw new Unusable(
          `is a folder with ${chosen.count === 0 ? 'no' : chosen.count} .onnx files and no MLmodel file; mlx serves ONNX: register the .onnx file`,
        );
      file = [...names, chosen.file];
    }
    found = tree.find(file);
    if (!found) throw new Unusable(`names ${file.slice(names.length).join('/')} in ${source}, which is not there: upload it and register again`);
  }
  if (!found.stat.isFile()) throw new Unusable(`is ${kindOf(found.stat)}, not a regular file; mlx serves ONNX: register an .onnx file`);
  return { file: found.real, signature };
}

/**
 * With an S3 destination: the ONNX file a source names (a folder stands for its one .onnx file),
 * downloaded (checked against its sha256) into the upload folder for registration to read.
 */
async function objectSource(ctx: TrackingContext, repo: S3ArtifactRepository, rel: string, source: string): Promise<Found> {
  const entries = await repo.list(rel || undefined);
  let file = rel;
  if (entries.length === 0) throw new Unusable(`had no files at ${source} when it was registered: upload the model there and register it again`);
  if (!(entries.length === 1 && entries[0].path === rel && !entries[0].is_dir)) {
    const chosen = chooseOnnx(entries.filter((e) => !e.is_dir).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1)));
    if (!('file' in chosen))
      throw new Unusable(`is a folder with ${chosen.count === 0 ? 'no' : chosen.count} .onnx files; mlx serves ONNX: register the .onnx file`);
    file = [rel, chosen.file].filter((p) => p).join('/');
  }
  const dir = path.join(ctx.artifactRoot, UPLOAD_TMP);
  fs.mkdirSync(dir, { recursive: true });
  const local = path.join(dir, `${randomUUID()}-${path.posix.basename(file)}`);
  await repo.download(file, local);
  return { file: local };
}

/**
 * What a model version's source holds, read only under the artifact root (a run's: under its
 * folder). Sources elsewhere (s3://, gs://, …, or a folder of another machine) are Unusable here,
 * as opaque to mlx as MLflow treats every source; local paths outside the artifact root are
 * refused, as MLflow refuses them.
 */
async function localSource(ctx: TrackingContext, source: string): Promise<Found> {
  const what = `source ${JSON.stringify(source)}`;
  try {
    if (source.startsWith(PROXY_SCHEME)) {
      const names = parseArtifactPath(proxyPath(source), { what });
      const reserved = reservedName(names[0], RESERVED_NAMES);
      if (reserved === REGISTRY_PREFIX) throw invalid(`${what} is a registered model file; register it with models:/NAME/VERSION instead`);
      if (reserved) throw invalid(`${what} is in the server's ${reserved}/ folder, which holds no artifacts`);
      if (ctx.objectStore) return await objectSource(ctx, ctx.objectStore, names.join('/'), source);
      return await modelFileIn(artifactTree(ctx), names, source);
    }
    const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (run) {
      const r = await ctx.store.getRun(await ctx.store.resolveRunId(run[1]));
      const names = parseArtifactPath(run[2], { what, trailingSlash: true });
      const stored = r.info.artifact_uri;
      if (ctx.objectStore && stored.startsWith(PROXY_SCHEME))
        return await objectSource(ctx, ctx.objectStore, [proxyPath(stored), ...names].filter((p) => p).join('/'), source);
      if (!stored.startsWith(PROXY_SCHEME) && !path.isAbsolute(stored))
        throw new Unusable(`has its files at ${stored}, which this server does not read: register an .onnx file uploaded through mlx server`);
      return await modelFileIn(new ArtifactTree(localArtifactPath(ctx, stored)), names, source);
    }
    if (source.startsWith('models:/')) return { file: source };
    const scheme = schemeOf(source);
    const local = scheme === 'file' ? fileUriPath(source) : scheme === null ? source : null;
    if (local === null)
      throw new Unusable(`has its files at ${source}, which mlx does not read: register an .onnx file the server keeps (mlflow-artifacts:/ or runs:/)`);
    if (path.isAbsolute(local)) {
      const tree = artifactTree(ctx);
      for (const root of [ctx.artifactRoot, tree.realRoot]) {
        if (root === null) continue;
        const rel = path.relative(root, path.normalize(local));
        if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
        const names = rel.split(path.sep);
        if (reservedName(names[0], RESERVED_NAMES)) break;
        return await modelFileIn(tree, names, source);
      }
    }
  } catch (err) {
    if (err instanceof Unusable) return { unusable: err.message };
    throw err;
  }
  // MLflow's words (handlers.py _validate_source), then what to do here.
  throw invalid(
    `Invalid model version source: '${source}'. To use a local path as a model version source, the local path has to be contained within the artifact directory of this server: upload the model through the artifact proxy and pass its mlflow-artifacts:/ URI, or a runs:/RUN_ID/PATH`,
  );
}

/** The path of a file: URI (file:///a/b or file:/a/b), percent-escapes decoded; null when it names another host. */
function fileUriPath(uri: string): string | null {
  try {
    const u = new URL(uri);
    return u.host === '' || u.host === 'localhost' ? decodeURIComponent(u.pathname) : null;
  } catch {
    return null;
  }
}

/** The tags of a new version: the client's, less the mlx.* input tags it may send (which say it expects an ONNX model). */
function splitTags(given: Record<string, string>): { tags: Record<string, string>; wantsOnnx: boolean } {
  const tags: Record<string, string> = {};
  let wantsOnnx = false;
  for (const [k, v] of Object.entries(given)) {
    if (!k.startsWith('mlx.')) tags[k] = v;
    else if (!INPUT_TAGS.includes(k)) throw invalid(`tag ${JSON.stringify(k)}: of the mlx.* tags, a new version takes only ${INPUT_TAGS.join(', ')}`);
    else wantsOnnx = true;
  }
  return { tags, wantsOnnx };
}

/**
 * model-versions/create: reads the ONNX model at the source, checks it as `mlx register` does,
 * and stores version N+1 with its facts. A source that holds no ONNX model mlx can use is
 * registered as MLflow registers it (the source as an opaque string) and marked not servable,
 * unless the client sent mlx.* input tags: such a client expects an ONNX model and is told why
 * there is none.
 */
export async function registerFromSource(ctx: TrackingContext, f: Fields): Promise<ModelVersion> {
  const source = f.str('source');
  const given = f.tags();
  const { tags, wantsOnnx } = splitTags(given);
  const name = f.str('name');
  const runId = f.optStr('run_id') || undefined;
  const userId = f.optStr('user_id') || 'unknown';
  const description = f.optStr('description');
  // Checked first, so that what fails later is the model itself.
  await checkRegistrationInput(ctx.store, { name, tags, runId });
  const found = await localSource(ctx, source);
  try {
    return await registerFound(ctx, { source, given, tags, wantsOnnx, name, runId, userId, description }, found);
  } finally {
    // A copy downloaded from the S3 destination; the registry keeps its own.
    const copy = 'file' in found ? found.file : source;
    if (ctx.objectStore && copy !== source && copy.startsWith(path.join(ctx.artifactRoot, UPLOAD_TMP))) fs.rmSync(copy, { force: true });
  }
}

interface NewVersion {
  source: string;
  given: Record<string, string>;
  tags: Record<string, string>;
  wantsOnnx: boolean;
  name: string;
  runId: string | undefined;
  userId: string;
  description: string | undefined;
}

/** Registers what the source was found to hold: an ONNX model with its facts, or an opaque source. */
async function registerFound(ctx: TrackingContext, v: NewVersion, found: Found): Promise<ModelVersion> {
  const { source, given, tags, wantsOnnx, name, runId, userId, description } = v;
  if ('unusable' in found) {
    if (wantsOnnx) throw invalid(`source ${JSON.stringify(source)} ${found.unusable}`);
    return registerOpaque(ctx.store, { name, source, runId, userId, description, tags, reason: found.unusable });
  }
  const local = found.file;
  const prepared = await prepareRegistration(ctx.store, {
    source: local,
    name,
    runId,
    alias: given['mlx.alias'],
    description,
    labels: labelsOf(given['mlx.labels']),
    preprocess: given['mlx.preprocess'],
    tags,
    userId,
  })
    .then((p) => {
      if (found.signature) checkMlflowSignature(found.signature, { inputs: p.info.inputs, outputs: p.info.outputs }, `source ${JSON.stringify(source)}`);
      return p;
    })
    .catch((err: unknown) => {
      // The client knows its source, not this server's folders: name the one, never show the other.
      if (!(err instanceof MlxError) || local === source) throw err;
      const message = storeRelative(ctx, err.message.split(local).join(source));
      throw invalid(message.startsWith(`source `) ? message : `source ${JSON.stringify(source)}: ${message}`, err);
    })
    .catch((err: unknown) => {
      // A file that is not a usable ONNX model is still a source MLflow registers.
      if (wantsOnnx || !(err instanceof MlxError) || err.code !== 'INVALID_PARAMETER_VALUE') throw err;
      return { unusable: `is not a model mlx can serve (${err.message.replace(/^source "[^"]*"[:]? ?/, '')}); mlx serves ONNX: register an .onnx file` };
    });
  if ('unusable' in prepared) return registerOpaque(ctx.store, { name, source, runId, userId, description, tags, reason: prepared.unusable });
  const expected = given['mlx.sha256'];
  if (expected !== undefined && expected.toLowerCase() !== prepared.hash)
    throw invalid(
      `the model at ${JSON.stringify(source)} has sha256 ${prepared.hash}, not ${expected} as the client said: the upload is damaged or incomplete`,
    );
  // Recorded as the client gave it, as MLflow does.
  if (!source.startsWith('models:/')) prepared.source = source;
  return (await commitRegistration(ctx.store, prepared)).version;
}

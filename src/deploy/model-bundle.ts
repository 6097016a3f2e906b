import path from 'node:path';
import { escapeChar, findControlChar, quoteJson, safeJson } from '../core/control-chars.js';
import type { ModelSignature, ModelVersion } from '../core/entities.js';
import { invalid } from '../core/errors.js';
import { parseModelUri } from '../core/uri.js';
import { checkLabels, readLabels } from '../models/labels.js';
import { sha256 } from '../models/model-storage.js';
import { readModelInfo } from '../models/onnx/model-info.js';
import { checkSpecFits, formatPreprocessSpec, inferPreprocessSpec, parsePreprocessSpec } from '../models/preprocess-spec.js';
import { modelFiles } from '../models/open-model-files.js';
import { modelCardText, type RegistrationStore } from '../models/register.js';
import { readModelBytes, resolveModel } from '../models/uri.js';

/** Everything about one model version that goes into a build context, read and checked in memory. */
export interface ModelBundle {
  /** The name the server reports (/health, X-Mlx-Model, /v2/models/NAME): the registered name, or the file's base name. */
  name: string;
  /** The registry version, or null for a file or run artifact. */
  version: number | null;
  /** The URI as given, and as resolved (models:/NAME/V for registry versions). */
  uri: string;
  resolvedUri: string;
  bytes: Buffer;
  sha256: string;
  signature: ModelSignature;
  labels: string[] | null;
  /** The canonical preprocessing spec the server will use, when one is known or can be inferred. */
  preprocess: string | null;
  /** The model card (registry versions only). */
  card: string | null;
  /** The data schema registered with the version (mlx register --schema), as written. */
  schema: string | null;
  registry: ModelVersion | null;
  runId: string | null;
  warnings: string[];
}

export interface BundleInput {
  uri: string;
  /** Override or supply class names (one per line), as `mlx serve --labels`. */
  labelsFile?: string;
  /** Override or supply the preprocessing spec, as `mlx serve --preprocess`. */
  preprocess?: string;
  /** Leave out the data schema registered with the version (`--no-schema`). */
  noSchema?: boolean;
}

/** The text of the data schema registered with a version, or null (none, or a store that keeps none). */
async function registeredSchemaText(store: RegistrationStore, v: ModelVersion): Promise<string | null> {
  const files = await modelFiles(store);
  return files.readSchema ? files.readSchema(v) : null;
}

/** Resolves a model URI through the store and reads what the image needs; registry bytes are verified by sha256. */
export async function readModelBundle(store: RegistrationStore, input: BundleInput): Promise<ModelBundle> {
  const noSchema = input.noSchema === true;
  const flagLabels = input.labelsFile !== undefined ? readLabels(input.labelsFile) : null;
  const flagSpec = input.preprocess !== undefined ? parsePreprocessSpec(input.preprocess) : null;
  const resolved = await resolveModel(store, parseModelUri(input.uri));
  const bytes = readModelBytes(resolved);
  const info = readModelInfo(bytes, resolved.label);
  const signature: ModelSignature = { inputs: info.inputs, outputs: info.outputs };
  const v = resolved.version ?? null;
  const warnings: string[] = [];

  let labels = v?.labels ?? null;
  if (flagLabels) {
    const w = checkLabels(flagLabels, signature, input.labelsFile!);
    if (w) warnings.push(w);
    labels = flagLabels;
  }
  let preprocess: string | null;
  if (flagSpec) {
    checkSpecFits(flagSpec, signature, input.preprocess!);
    preprocess = formatPreprocessSpec(flagSpec);
  } else if (v?.preprocess) preprocess = v.preprocess;
  else {
    const inferred = inferPreprocessSpec(signature);
    preprocess = inferred ? formatPreprocessSpec(inferred) : null;
  }
  const name = v?.name ?? path.basename(resolved.file).replace(/\.onnx$/i, '');
  checkModelName(name, v ? null : path.basename(resolved.file));
  if (labels) checkLabelLines(labels);
  return {
    name,
    version: v?.version ?? null,
    uri: input.uri,
    resolvedUri: resolved.label,
    bytes,
    sha256: v?.sha256 || sha256(bytes),
    signature,
    labels,
    preprocess,
    card: v ? await modelCardText(store, v) : null,
    schema: v && !noSchema ? await registeredSchemaText(store, v) : null,
    registry: v,
    runId: resolved.runId ?? null,
    warnings,
  };
}

/**
 * Refuses a model name holding a control character (a line break, an escape, a bidi override): the name
 * is the served model's (X-Mlx-Model, /v2/models/NAME), a file in the image, and it is shown in the
 * comments of the Dockerfile, compose file and manifests, where a line break would make text live.
 */
export function checkModelName(name: string, file: string | null): void {
  const c = findControlChar(name);
  if (c === null) return;
  const fix = file !== null ? `rename the file ${quoteJson(file)}` : 'register the model under a name without one';
  throw invalid(`model name ${quoteJson(name)} holds a control character (${escapeChar(c)}); it would name the served model and a file in the image: ${fix}`);
}

/** model/labels.txt holds one class name per line: a label with a line break would shift every label after it. */
function checkLabelLines(labels: string[]): void {
  const i = labels.findIndex((l) => /[\r\n]/.test(l));
  if (i >= 0)
    throw invalid(
      `the label of class ${i}, ${quoteJson(labels[i])}, holds a line break; model/labels.txt has one class name per line: fix the model version's labels or give --labels FILE`,
    );
}

/** model/model.json: what the image serves, with the registry facts a file-served model no longer carries. */
export function modelManifest(b: ModelBundle, mlxVersion: string, files: Record<string, string | null>): string {
  const v = b.registry;
  const doc = {
    name: b.name,
    version: b.version,
    uri: b.resolvedUri,
    sha256: b.sha256,
    size: b.bytes.byteLength,
    files,
    signature: b.signature,
    labels: b.labels,
    preprocess: b.preprocess,
    run_id: b.runId,
    ...(v
      ? {
          description: v.description,
          source: v.source,
          aliases: v.aliases,
          tags: v.tags,
          creation_time: v.creation_time,
          user_id: v.user_id,
          ir_version: v.ir_version,
          opset: v.opset,
          producer: v.producer,
        }
      : {}),
    built_with: { mlx: mlxVersion },
  };
  return `${safeJson(doc, 2)}\n`;
}

import { escapeControlChars, safeJson } from '../core/control-chars.js';
import type { RegistrationStore } from '../models/register.js';
import { readModelBundle, modelManifest, type ModelBundle } from './model-bundle.js';
import { mlxPackage, mlxRoot, checkPackable } from './mlx-package.js';
import type { ContextOptions } from './options.js';
import { renderK8sFiles } from './render-k8s.js';
import { renderReadme } from './render-readme.js';
import { renderDockerFiles, type ContextSpec } from './render.js';
import { imageCommand, markerFile, textFile as text, type BuildPlan, type PlannedFile } from './plan.js';
import { slug } from './validate.js';

/** A model's build context, rendered in memory. */
export interface ContextPlan extends BuildPlan {
  spec: ContextSpec;
  bundle: ModelBundle;
}

export interface PlanInput {
  uri: string;
  out?: string;
  labelsFile?: string;
  preprocess?: string;
  options: ContextOptions;
}

/** The default image: the model's name and version (or content hash), e.g. `pets-classifier:3`. */
export function defaultImage(b: Pick<ModelBundle, 'name' | 'version' | 'sha256'>): string {
  return `${slug(b.name, 128)}:${b.version !== null ? b.version : b.sha256.slice(0, 12)}`;
}

/** The default output folder, e.g. `build/pets-classifier-v3`. */
export function defaultOut(b: Pick<ModelBundle, 'name' | 'version'>): string {
  return `build/${slug(b.name, 100)}${b.version !== null ? `-v${b.version}` : ''}`;
}

/** Resolves the model and renders every file of the context in memory. */
export async function planContext(store: RegistrationStore, input: PlanInput): Promise<ContextPlan> {
  const root = mlxRoot();
  checkPackable(root);
  const { version: mlxVersion, tarball } = mlxPackage(root);
  const bundle = await readModelBundle(store, { uri: input.uri, labelsFile: input.labelsFile, preprocess: input.preprocess });
  const o = input.options;
  const modelFile = `model/${bundle.name}.onnx`;
  const labelsFile = bundle.labels ? 'model/labels.txt' : null;
  const schemaFile = bundle.schema ? 'model/schema.json' : null;
  const spec: ContextSpec = {
    ...o,
    name: bundle.name,
    version: bundle.version,
    uri: bundle.uri,
    resolvedUri: bundle.resolvedUri,
    sha256: bundle.sha256,
    description: bundle.registry?.description ?? '',
    signature: bundle.signature,
    modelFile,
    labelsFile,
    schemaFile,
    preprocess: bundle.preprocess,
    mlxVersion,
    tarball,
    image: o.tag ?? defaultImage(bundle),
    app: slug(bundle.name),
  };
  const modelFiles: PlannedFile[] = [{ path: modelFile, content: bundle.bytes, size: bundle.bytes.byteLength }];
  if (bundle.labels) modelFiles.push(text('model/labels.txt', `${bundle.labels.join('\n')}\n`));
  if (bundle.preprocess) modelFiles.push(text('model/preprocess.txt', `${bundle.preprocess}\n`));
  modelFiles.push(text('model/signature.json', `${safeJson(bundle.signature, 2)}\n`));
  if (bundle.card) modelFiles.push(text('model/MODEL_CARD.md', bundle.card));
  if (bundle.schema) modelFiles.push(text('model/schema.json', bundle.schema));
  const manifestFiles = {
    model: modelFile,
    labels: labelsFile,
    preprocess: bundle.preprocess ? 'model/preprocess.txt' : null,
    signature: 'model/signature.json',
    card: bundle.card ? 'model/MODEL_CARD.md' : null,
    ...(schemaFile ? { schema: schemaFile } : {}),
  };
  modelFiles.push(text('model/model.json', modelManifest(bundle, mlxVersion, manifestFiles)));

  const docker = renderDockerFiles(spec);
  const files: PlannedFile[] = [
    ...docker.slice(0, 3).map((f) => text(f.path, f.content)),
    { path: tarball, pack: true, size: null },
    ...modelFiles,
    ...docker.slice(3).map((f) => text(f.path, f.content)),
    ...(o.k8s ? renderK8sFiles(spec).map((f) => text(f.path, f.content)) : []),
  ];
  const subject = `the build context for ${escapeControlChars(bundle.resolvedUri)}`;
  files.push(markerFile(subject, mlxVersion));
  files.push(text('README.md', renderReadme(spec, [...files.map((f) => f.path), 'README.md'])));
  const warnings = [...bundle.warnings];
  return {
    out: input.out ?? defaultOut(bundle),
    image: spec.image,
    spec,
    bundle,
    files,
    mlxRoot: root,
    warnings,
    subject,
    port: o.port,
    k8s: o.k8s,
    runCommand: `docker run --rm -p ${o.port}:${o.port} ${spec.image}`,
    describe: {
      model: { name: bundle.name, version: bundle.version, uri: bundle.resolvedUri, sha256: bundle.sha256 },
      serve_command: imageCommand(files),
    },
    notes: [],
  };
}

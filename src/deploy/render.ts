import { escapeControlChars, safeJson } from '../core/control-chars.js';
import type { ModelSignature } from '../core/entities.js';
import { DEFAULT_MAX_BATCH, GPU_MAX_BATCH, SERVE_DEFAULTS, type ServeSettings } from '../serving/defaults.js';
import type { ContextOptions } from './options.js';
import { dockerQuote, fill, jsonArray, templateText, yamlString } from './templates.js';

/** What the templates need to know: the model as the image will hold it, and the checked options. */
export interface ContextSpec extends ContextOptions {
  name: string;
  version: number | null;
  /** The URI as the user gave it, and as resolved (models:/NAME/V). */
  uri: string;
  resolvedUri: string;
  sha256: string;
  description: string;
  signature: ModelSignature;
  /** Paths inside the context (and under /app in the image). */
  modelFile: string;
  labelsFile: string | null;
  preprocess: string | null;
  /** The data schema registered with the version (`mlx register --schema`), served with `--schema`. */
  schemaFile?: string | null;
  mlxVersion: string;
  tarball: string;
  /** The image reference (--tag or the default). */
  image: string;
  /** Kubernetes object name and label value (DNS-1123). */
  app: string;
}

/** A file of the build context, ready to be written. */
export interface TextFile {
  path: string;
  content: string;
}

/** The image lives in /app; the server listens on every interface inside the container. */
export const APP_DIR = '/app';

/** Kubernetes `$(VAR)` references of the ConfigMap's serving settings (the Deployment's arguments read them). */
const FROM_CONFIGMAP: Record<keyof ServeSettings, string> = {
  threads: '$(MLX_THREADS)',
  maxBatchSize: '$(MLX_MAX_BATCH_SIZE)',
  maxBatchDelayMs: '$(MLX_MAX_BATCH_DELAY_MS)',
  maxBodyMb: '$(MLX_MAX_BODY_MB)',
  maxQueue: '$(MLX_MAX_QUEUE)',
  instances: '$(MLX_INSTANCES)',
  maxImagePixels: '$(MLX_MAX_IMAGE_PIXELS)',
  maxImages: '$(MLX_MAX_IMAGES)',
  maxRows: '$(MLX_MAX_ROWS)',
};

/**
 * `mlx serve` arguments of the image (the Dockerfile's CMD): the settings given, and threads. With
 * `fromEnv`, every setting reads a Kubernetes `$(VAR)` reference to the ConfigMap instead.
 */
export function serveArgs(s: ContextSpec, opts: { fromEnv?: boolean } = {}): string[] {
  const settings: Partial<Record<keyof ServeSettings, string>> = {};
  if (opts.fromEnv) Object.assign(settings, FROM_CONFIGMAP);
  else
    for (const key of Object.keys(FROM_CONFIGMAP) as (keyof ServeSettings)[]) {
      const v = key === 'threads' ? s.threads : s[key];
      if (v !== undefined) settings[key] = String(v);
    }
  return s.serveCommand.args({
    modelFile: s.modelFile,
    host: '0.0.0.0',
    port: String(s.port),
    labelsFile: s.labelsFile,
    preprocess: s.preprocess,
    schemaFile: s.schemaFile,
    modelVersion: s.version !== null ? String(s.version) : undefined,
    // No token by default, as `mlflow models serve` and BentoML images: the container's network is the
    // boundary. MLX_SERVE_TOKEN, when set, still turns the token on (the README says how).
    allowUnauthenticated: true,
    // A GPU image serves on the GPU or not at all: started without one, it says so and stops.
    device: s.gpu ? 'cuda' : undefined,
    settings,
  });
}

/** `mlx serve`'s own default for this model: fewer images than rows per batch, more of both on a GPU. */
export function defaultBatch(s: ContextSpec): number {
  const sizes = s.gpu ? GPU_MAX_BATCH : DEFAULT_MAX_BATCH;
  return s.preprocess?.startsWith('image') ? sizes.images : sizes.rows;
}

/** The ConfigMap's serving settings: the chosen values, else `mlx serve`'s defaults. */
export function tuning(s: ContextSpec): Record<string, string> {
  return {
    threads: String(s.threads),
    max_batch_size: String(s.maxBatchSize ?? defaultBatch(s)),
    max_batch_delay_ms: String(s.maxBatchDelayMs ?? SERVE_DEFAULTS.maxBatchDelayMs),
    max_body_mb: String(s.maxBodyMb ?? SERVE_DEFAULTS.maxBodyMb),
    max_queue: String(s.maxQueue ?? SERVE_DEFAULTS.maxQueue),
    instances: String(s.instances ?? SERVE_DEFAULTS.instances),
    max_image_pixels: String(s.maxImagePixels ?? SERVE_DEFAULTS.maxImagePixels),
    max_images: String(s.maxImages ?? SERVE_DEFAULTS.maxImages),
    max_rows: String(s.maxRows ?? SERVE_DEFAULTS.maxRows),
  };
}

/** A node one-liner that exits 0 when the path (/ready of a model server) answers 200: slim images have no curl or wget. */
export function healthScript(port: number, path = '/ready'): string {
  return `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
}

/**
 * Variables shared by every template. The URIs are shown in comments and the README with their control
 * characters escaped (a folder may be named so); the name is refused earlier (checkModelName), and a
 * name that was not is stopped by the renderer rather than written.
 */
export function commonVars(s: ContextSpec): Record<string, string> {
  return {
    name: s.name,
    version_suffix: s.version !== null ? ` version ${s.version}` : '',
    uri: escapeControlChars(s.uri),
    resolved_uri: escapeControlChars(s.resolvedUri),
    sha256: s.sha256,
    image: s.image,
    image_yaml: yamlString(s.image),
    port: String(s.port),
    // MLX_PORTS range of the README's and compose file's three-replica example.
    port_scale_end: String(Math.min(65535, s.port + 2)),
    node_version: s.nodeVersion,
    mlx_version: s.mlxVersion,
    tarball: s.tarball,
    app: s.app,
  };
}

/** The image's labels: OCI annotations plus the model's name, version and sha256. */
export function imageLabels(s: ContextSpec): Record<string, string> {
  return {
    'org.opencontainers.image.title': s.name,
    ...(s.description ? { 'org.opencontainers.image.description': s.description.slice(0, 300) } : {}),
    'org.opencontainers.image.version': s.version !== null ? String(s.version) : s.sha256.slice(0, 12),
    'mlx.model.name': s.name,
    ...(s.version !== null ? { 'mlx.model.version': String(s.version) } : {}),
    'mlx.model.uri': s.resolvedUri,
    'mlx.model.sha256': s.sha256,
    'mlx.version': s.mlxVersion,
  };
}

/** One LABEL instruction with the image's labels, one per line (a block: the template's line holds only it). */
export function labelInstruction(labels: Record<string, string>): string {
  const args = Object.entries(labels)
    .map(([k, v]) => `${k}=${dockerQuote(v)}`)
    .join(' \\\n      ');
  return `LABEL ${args}`;
}

/**
 * The stages every mlx image starts with: the build stage installing mlx from its packed tarball,
 * then the runtime stage up to its copy of node_modules; runtime names what that stage adds.
 */
export function baseStages(nodeVersion: string, tarball: string, runtime: string, gpu = false): string {
  const title = `# ---- runtime stage: ${runtime} `.padEnd(89, '-');
  if (gpu) return fill('docker/base-stages-gpu.Dockerfile', { node_version: nodeVersion, tarball, runtime_title: title, cuda_image: CUDA_IMAGE }).trimEnd();
  return fill('docker/base-stages.Dockerfile', { node_version: nodeVersion, tarball, runtime_title: title }).trimEnd();
}

/**
 * The base of GPU images: NVIDIA's CUDA 12 runtime with cuDNN 9, what onnxruntime-node's CUDA 12
 * provider links against (Ubuntu 22.04: a glibc the official Node binary runs on).
 */
export const CUDA_IMAGE = 'nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04';

/** The package.json of an image: its one dependency is the packed mlx. */
export function imagePackageJson(app: string, description: string, tarball: string, gpu = false): string {
  const pkg = {
    name: `mlx-image-${app}`,
    private: true,
    description,
    dependencies: { mlx: `file:${tarball}` },
    // npm 11+ asks which install scripts may run: better-sqlite3 may compile; onnxruntime-node's CUDA download runs for GPU images only.
    allowScripts: { 'better-sqlite3': true, 'onnxruntime-node': gpu },
  };
  return `${safeJson(pkg, 2)}\n`;
}

/**
 * The multi-stage Dockerfile. Its template's first line holds no value: Docker reads the comments at the
 * top of a Dockerfile as parser directives, so a model file named `syntax=…` would pick the frontend
 * that builds the image.
 */
export function renderDockerfile(s: ContextSpec): string {
  return fill('docker/Dockerfile', {
    ...commonVars(s),
    base_stages: s.gpu
      ? baseStages(s.nodeVersion, s.tarball, 'CUDA, node, node_modules and the model, no compilers, not root', true)
      : baseStages(s.nodeVersion, s.tarball, 'node_modules and the model, no compilers, not root'),
    labels: labelInstruction(imageLabels(s)),
    healthcheck: jsonArray(['node', '-e', healthScript(s.port)]),
    serve_args: jsonArray(serveArgs(s)),
  });
}

/** docker-compose.yml: the server (with an optional GPU reservation), Prometheus and, with --grafana, Grafana. */
export function renderCompose(s: ContextSpec): string {
  const vars = commonVars(s);
  return fill('docker/docker-compose.yml', {
    ...vars,
    grafana_note: s.grafana ? ' and Grafana' : '',
    healthcheck: jsonArray(['CMD', 'node', '-e', healthScript(s.port)]),
    cpus: s.cpu.cores,
    memory: s.memory.compose,
    gpu: s.gpu ? fill('docker/compose-gpu.yml', {}).trimEnd() : '',
    grafana: s.grafana ? fill('docker/compose-grafana.yml', {}).trimEnd() : '',
    grafana_volume: s.grafana ? '  grafana-data:' : '',
  });
}

/** The Docker side of the context: Dockerfile, .dockerignore, package.json, compose, Prometheus, Grafana. */
export function renderDockerFiles(s: ContextSpec): TextFile[] {
  const vars = commonVars(s);
  const files: TextFile[] = [
    { path: 'Dockerfile', content: renderDockerfile(s) },
    { path: '.dockerignore', content: fill('docker/dockerignore', { ...vars, model_entries: '!model\n!model/**' }) },
    { path: 'package.json', content: imagePackageJson(s.app, `mlx serving ${s.resolvedUri} (generated by mlx containerize)`, s.tarball, s.gpu) },
    { path: 'docker-compose.yml', content: renderCompose(s) },
    { path: 'prometheus.yml', content: fill('docker/prometheus.yml', vars) },
  ];
  if (s.grafana)
    files.push(
      { path: 'grafana/provisioning/datasources/prometheus.yml', content: fill('docker/grafana/datasource.yml', {}) },
      { path: 'grafana/provisioning/dashboards/mlx.yml', content: fill('docker/grafana/dashboards.yml', {}) },
      // Copied as it is: Grafana's legends use {{label}} placeholders of their own.
      { path: 'grafana/dashboards/mlx-model-server.json', content: templateText('docker/grafana/dashboard.json') },
    );
  return files;
}

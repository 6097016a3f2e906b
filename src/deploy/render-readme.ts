import { escapeControlChars } from '../core/control-chars.js';
import { commonVars, CUDA_IMAGE, type ContextSpec } from './render.js';
import { fill } from './templates.js';

/** What each file of a context is for, in the README's list (files not named here are listed bare). */
export type Purposes = [RegExp, string][];

/** The files every build context has beside its Dockerfile. */
export const IMAGE_PURPOSES: Purposes = [
  [/^\.dockerignore$/, 'sends only what the Dockerfile copies to the Docker engine'],
  [/^package\.json$/, "the image's one dependency: the packed mlx below"],
  [/^mlx-.*\.tgz$/, '`npm pack` of the mlx that wrote this folder'],
  [/^\.mlx-build-context$/, 'marks the folder as written by mlx: `mlx containerize --force` replaces only such a folder'],
];

const PURPOSE: Purposes = [
  [/^Dockerfile$/, 'multi-stage build on `node:NODE-slim`: installs the packed mlx with `--omit=dev`, runs as `node`'],
  ...IMAGE_PURPOSES,
  [/^model\/.*\.onnx$/, 'the model (sha256 checked against the registry when copied)'],
  [/^model\/labels\.txt$/, 'class names, one per line, in output order'],
  [/^model\/preprocess\.txt$/, 'the preprocessing spec the server applies'],
  [/^model\/signature\.json$/, 'inputs and outputs: names, element types, shapes'],
  [/^model\/MODEL_CARD\.md$/, 'the model card'],
  [/^model\/schema\.json$/, 'the data schema registered with the version: the server refuses requests that break its error rules'],
  [/^model\/model\.json$/, 'manifest: name, version, URI, sha256, signature, labels, lineage'],
  [/^docker-compose\.yml$/, 'the server, Prometheus and (with --grafana) Grafana'],
  [/^prometheus\.yml$/, 'scrapes /metrics of every ml-api replica'],
  [/^grafana\//, 'Grafana provisioning: the Prometheus data source and the dashboard'],
  [/^k8s\//, 'Kubernetes manifests (`kubectl apply -k k8s/`)'],
];

/** The README's list of files, each with its purpose; the files of grafana/ and k8s/ as one line each. */
export function contents(paths: string[], purposes: Purposes = PURPOSE): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const purpose = purposes.find(([re]) => re.test(p))?.[1];
    const group = /^(grafana|k8s)\//.exec(p)?.[1];
    if (group) {
      if (seen.has(group)) continue;
      seen.add(group);
      lines.push(`- \`${group}/\`: ${purpose}`);
    } else lines.push(`- \`${escapeControlChars(p)}\`${purpose ? `: ${purpose}` : ''}`);
  }
  return lines.join('\n');
}

/** A request that fits the model: an image upload, a row of zeros, or a pointer to the signature. */
export function exampleRequest(s: ContextSpec): string {
  const base = `http://127.0.0.1:${s.port}`;
  if (s.preprocess?.startsWith('image:')) return `curl -s -F "file=@photo.jpg" "${base}/predict?top_k=3"`;
  const input = s.signature.inputs[0];
  const features = input?.shape.length === 2 ? input.shape[1] : -1;
  if (s.preprocess?.startsWith('tabular') && features > 0)
    return `curl -s -H 'content-type: application/json' -d '{"instances": [[${Array(features).fill(0).join(', ')}]]}' ${base}/predict`;
  return `# POST ${base}/invocations with {"inputs": …} shaped as model/signature.json says`;
}

/** The README.md of a build context: what is in it, and the build, run, test, scale and deploy commands. */
export function renderReadme(s: ContextSpec, paths: string[]): string {
  const vars = commonVars(s);
  const nsFlag = s.namespace ? ` -n ${s.namespace}` : '';
  const text = fill('docker/README.md', {
    ...vars,
    preprocess: s.preprocess ? `\`${s.preprocess}\`` : 'none',
    contents: contents(paths).replace('NODE', s.nodeVersion),
    test_request: exampleRequest(s),
    compose_title: s.grafana ? 'the server, Prometheus and Grafana' : 'the server and Prometheus',
    cpus: s.cpu.cores,
    memory: s.memory.k8s,
    grafana_section: s.grafana ? fill('docker/README-grafana.md', {}) : '',
    gpu_section: s.gpu
      ? fill('docker/README-gpu.md', { cuda_image: CUDA_IMAGE, k8s_gpu: s.k8s ? ', and the Deployment asks for `nvidia.com/gpu: 1`' : '' })
      : '',
    k8s_section: s.k8s
      ? fill('docker/README-k8s.md', {
          ...vars,
          replicas: String(s.replicas),
          max_replicas: String(s.maxReplicas),
          cpu: s.cpu.k8s,
          memory: s.memory.k8s,
          cpu_target: String(s.cpuTarget),
          image_name: s.image.replace(/:[\w][\w.-]*$/, ''),
          ns_flag: nsFlag,
        })
      : '',
  });
  return `${text.trimEnd()}\n`;
}

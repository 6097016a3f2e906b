// Every template rendered with several option sets: YAML parses, the Dockerfile lints clean under
// dockerfile-utils, the manifests carry what Kubernetes requires, and the parts agree with each other.
import { validate as lintDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { servingMetrics } from '../serving/serving-metrics.js';
import { buildProgram } from '../cli/program.js';
import { parseContainerizeFlags, type ContainerizeFlags } from '../cli/commands/containerize-flags.js';
import { K8S_FILES, renderK8sFiles } from './render-k8s.js';
import { exampleRequest, renderReadme } from './render-readme.js';
import { CUDA_IMAGE, defaultBatch, healthScript, renderDockerFiles, serveArgs, type ContextSpec } from './render.js';
import { fill, templateText } from './templates.js';
import { defaultMaxBatchSize, SERVE_DEFAULTS } from '../serving/defaults.js';
import { DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_IMAGES } from '../serving/image-limits.js';

const IMAGE_SIG = {
  inputs: [{ name: 'image', type: 'float32', shape: [-1, 3, 32, 32] }],
  outputs: [{ name: 'logits', type: 'float32', shape: [-1, 5] }],
};
const TABULAR_SIG = {
  inputs: [{ name: 'features', type: 'float32', shape: [-1, 5] }],
  outputs: [{ name: 'probabilities', type: 'float32', shape: [-1, 3] }],
};
const SHA = 'ab'.repeat(32);

function spec(flags: ContainerizeFlags, model: Partial<ContextSpec> = {}): ContextSpec {
  return {
    ...parseContainerizeFlags(flags),
    name: 'pets-classifier',
    version: 3,
    uri: 'models:/pets-classifier@champion',
    resolvedUri: 'models:/pets-classifier/3',
    sha256: SHA,
    description: 'Pets "in" $HOME\nsecond line',
    signature: IMAGE_SIG,
    modelFile: 'model/pets-classifier.onnx',
    labelsFile: 'model/labels.txt',
    preprocess: 'image:32x32,rgb,scale=1/255,layout=nchw',
    mlxVersion: '0.1.0',
    tarball: 'mlx-0.1.0.tgz',
    image: flags.tag ?? 'pets-classifier:3',
    app: 'pets-classifier',
    ...model,
  };
}

/** Option sets covering every optional section, a tabular model and a file model without labels or version. */
const CASES: [string, ContextSpec][] = [
  ['defaults, image model', spec({})],
  [
    'everything: --k8s --gpu --grafana, custom port, quantities, namespace, tuning',
    spec({
      k8s: true,
      gpu: true,
      grafana: true,
      port: '9001',
      cpu: '2500m',
      memory: '512Mi',
      replicas: '3',
      maxReplicas: '7',
      namespace: 'ml-prod',
      nodeVersion: '22',
      maxBatchSize: '64',
      maxBatchDelayMs: '0.5',
      maxBodyMb: '5',
      maxQueue: '200',
      instances: '2',
      maxImagePixels: '12000000',
      maxImages: '8',
      maxRows: '5000',
      tag: 'registry.example.com:5000/team/pets:3',
    }),
  ],
  [
    'tabular model with --k8s --grafana, decimal memory',
    spec(
      { k8s: true, grafana: true, memory: '2G', cpu: '500m' },
      {
        name: 'value',
        signature: TABULAR_SIG,
        preprocess: 'tabular',
        modelFile: 'model/value.onnx',
        app: 'value',
        image: 'value:1',
        version: 1,
      },
    ),
  ],
  [
    'a file model: no version, labels or spec',
    spec(
      { k8s: true },
      {
        name: 'Odd_Name.v2',
        version: null,
        uri: 'models/odd.onnx',
        resolvedUri: 'models/odd.onnx',
        description: '',
        labelsFile: null,
        preprocess: null,
        modelFile: 'model/Odd_Name.v2.onnx',
        app: 'odd-name-v2',
        image: `odd-name-v2:${SHA.slice(0, 12)}`,
        signature: TABULAR_SIG,
      },
    ),
  ],
];

const byPath = (files: { path: string; content: string }[]) => Object.fromEntries(files.map((f) => [f.path, f.content]));
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The instruction lines of a Dockerfile, continuations joined. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
}

describe.each(CASES)('rendering: %s', (_, s) => {
  const docker = byPath(renderDockerFiles(s));
  const k8s = byPath(renderK8sFiles(s));

  it('the Dockerfile lints clean under dockerfile-utils and is the multi-stage, non-root image the issue asks for', () => {
    const df = docker.Dockerfile;
    expect(lintDockerfile(df)).toEqual([]);
    const ins = instructions(df);
    expect(ins.filter((l) => l.startsWith('FROM node:${NODE_VERSION}-slim'))).toHaveLength(2);
    expect(ins).toContain(`ARG NODE_VERSION=${s.nodeVersion}`);
    expect(df).toMatch(/^RUN npm install --omit=dev/m);
    if (s.gpu) {
      // The GPU image: built with onnxruntime's CUDA provider (the build fails without it), run on NVIDIA's CUDA runtime.
      expect(df).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL_CUDA=v12$/m);
      expect(df).not.toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
      expect(
        ins.some((l) =>
          /^RUN npm install --omit=dev --no-audit --no-fund +&& test -f node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so$/.test(
            l,
          ),
        ),
      ).toBe(true);
      expect(ins).toContain(`ARG CUDA_IMAGE=${CUDA_IMAGE}`);
      expect(ins.filter((l) => l.startsWith('FROM '))).toEqual([
        'FROM node:${NODE_VERSION}-slim AS node',
        'FROM node:${NODE_VERSION}-slim AS build',
        'FROM ${CUDA_IMAGE}',
      ]);
      expect(ins).toContain('COPY --from=node /usr/local/bin/node /usr/local/bin/node');
      expect(JSON.parse(docker['package.json']).allowScripts['onnxruntime-node']).toBe(true);
    } else {
      expect(df).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/m);
      expect(JSON.parse(docker['package.json']).allowScripts['onnxruntime-node']).toBe(false);
    }
    expect(df).toMatch(/^COPY package\.json mlx-0\.1\.0\.tgz \.\/$/m);
    expect(df).toMatch(/^COPY --from=build \/app\/node_modules/m);
    expect(ins).toContain('USER node');
    expect(ins).toContain(`EXPOSE ${s.port}`);
    // The last stage runs as node: USER comes after every COPY and RUN of the runtime stage.
    const lastIndex = (xs: string[], re: RegExp) => xs.reduce((at, l, i) => (re.test(l) ? i : at), -1);
    const runtime = ins.slice(lastIndex(ins, /^FROM /));
    expect(runtime.findIndex((l) => l.startsWith('USER'))).toBeGreaterThan(lastIndex(runtime, /^(COPY|RUN) /));
    // Nothing runs in the runtime stage but, on the CUDA image, making the node user the node images have.
    expect(runtime.filter((l) => l.startsWith('RUN'))).toEqual(
      s.gpu ? ['RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin node'] : [],
    );
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(df)![1]);
    expect(cmd).toEqual(serveArgs(s));
    if (s.maxQueue !== undefined) expect(cmd.slice(cmd.indexOf('--max-queue'), cmd.indexOf('--max-queue') + 2)).toEqual(['--max-queue', String(s.maxQueue)]);
    if (s.maxImagePixels !== undefined)
      expect(cmd.slice(cmd.indexOf('--max-image-pixels'), cmd.indexOf('--max-image-pixels') + 2)).toEqual(['--max-image-pixels', String(s.maxImagePixels)]);
    if (s.maxImages !== undefined)
      expect(cmd.slice(cmd.indexOf('--max-images'), cmd.indexOf('--max-images') + 2)).toEqual(['--max-images', String(s.maxImages)]);
    if (s.maxRows !== undefined) expect(cmd.slice(cmd.indexOf('--max-rows'), cmd.indexOf('--max-rows') + 2)).toEqual(['--max-rows', String(s.maxRows)]);
    else expect(cmd).not.toContain('--max-rows');
    expect(cmd.slice(0, 6)).toEqual(['serve', s.modelFile, '--host', '0.0.0.0', '--port', String(s.port)]);
    // Every interface needs a token or this flag; the token, when MLX_SERVE_TOKEN is set, still wins.
    expect(cmd).toContain('--allow-unauthenticated');
    // A GPU image serves on the GPU or stops saying why; the CPU image keeps mlx serve's default.
    if (s.gpu) expect(cmd.slice(cmd.indexOf('--device'), cmd.indexOf('--device') + 2)).toEqual(['--device', 'cuda']);
    else expect(cmd).not.toContain('--device');
    expect(JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(df)![1])).toEqual(['mlx']);
    const health = JSON.parse(/^HEALTHCHECK .* CMD (\[.*\])$/m.exec(ins.join('\n'))![1]);
    expect(health).toEqual(['node', '-e', healthScript(s.port)]);
    expect(df).toContain(`mlx.model.sha256="${SHA}"`);
    expect(df).toContain(`mlx.model.name="${s.name}"`);
    if (s.version !== null) expect(df).toContain(`mlx.model.version="${s.version}"`);
    else expect(df).not.toContain('mlx.model.version');
    // Quotes and $ in a description cannot break out of the label or expand a variable.
    if (s.description) expect(df).toContain('org.opencontainers.image.description="Pets \\"in\\" \\$HOME second line"');
  });

  it('the health check is a node one-liner that asks /ready on the exposed port', () => {
    expect(() => new Function(healthScript(s.port))).not.toThrow();
    expect(healthScript(s.port)).toContain(`http://127.0.0.1:${s.port}/ready`);
  });

  it('.dockerignore sends exactly what the Dockerfile copies', () => {
    expect(docker['.dockerignore'].split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['*', '!package.json', '!mlx-0.1.0.tgz', '!model', '!model/**']);
    expect(JSON.parse(docker['package.json']).dependencies).toEqual({ mlx: 'file:mlx-0.1.0.tgz' });
  });

  it('docker-compose.yml parses, with build, ports, model volume, environment, limits, restart, healthcheck; GPU and Grafana as asked', () => {
    const c = parseYaml(docker['docker-compose.yml']);
    const api = c.services['ml-api'];
    expect(api.build).toEqual({ context: '.', args: { NODE_VERSION: s.nodeVersion } });
    expect(api.image).toBe(s.image);
    expect(api.ports).toEqual([`\${MLX_PORTS:-${s.port}}:${s.port}`]);
    expect(api.volumes).toEqual(['./model:/app/model:ro']);
    expect(api.environment).toEqual({ NODE_ENV: 'production', MLX_SERVE_TOKEN: '${MLX_SERVE_TOKEN:-}' });
    expect(api.restart).toBe('unless-stopped');
    expect(api.healthcheck.test).toEqual(['CMD', 'node', '-e', healthScript(s.port)]);
    expect(api.deploy.resources.limits).toEqual({ cpus: s.cpu.cores, memory: s.memory.compose });
    expect(api.container_name, 'a fixed container name would forbid --scale').toBeUndefined();
    if (s.gpu) expect(api.deploy.resources.reservations.devices).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    else expect(api.deploy.resources.reservations).toBeUndefined();
    expect(c.services.prometheus.volumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(Object.keys(c.services).sort()).toEqual(s.grafana ? ['grafana', 'ml-api', 'prometheus'] : ['ml-api', 'prometheus']);
    expect(Object.keys(c.volumes).sort()).toEqual(s.grafana ? ['grafana-data', 'prometheus-data'] : ['prometheus-data']);
    expect(docker['docker-compose.yml']).not.toMatch(/^\s*$\n^\s*$/m);
  });

  it('prometheus.yml scrapes /metrics of every ml-api replica on the server port', () => {
    const p = parseYaml(docker['prometheus.yml']);
    expect(p.scrape_configs[0].metrics_path).toBe('/metrics');
    expect(p.scrape_configs[0].dns_sd_configs[0]).toMatchObject({ names: ['ml-api'], type: 'A', port: s.port });
  });

  it('Grafana: provisioning parses, the dashboard is JSON and queries only metrics mlx serve exposes', () => {
    if (!s.grafana) {
      expect(Object.keys(docker).some((p) => p.startsWith('grafana/'))).toBe(false);
      return;
    }
    const ds = parseYaml(docker['grafana/provisioning/datasources/prometheus.yml']);
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const prov = parseYaml(docker['grafana/provisioning/dashboards/mlx.yml']);
    expect(prov.providers[0].options.path).toBe('/etc/grafana/dashboards');
    const dash = JSON.parse(docker['grafana/dashboards/mlx-model-server.json']);
    const titles = dash.panels.map((p: { title: string }) => p.title).join(' | ');
    for (const want of [/Request rate/, /latency.*p50.*p90.*p99/, /Batch size/]) expect(titles).toMatch(want);
    const metrics = servingMetrics();
    const known = new Set(
      Object.values(metrics).flatMap((m) =>
        'name' in m && 'type' in m ? (m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name]) : [],
      ),
    );
    for (const panel of dash.panels)
      for (const t of panel.targets) {
        expect(t.datasource.uid).toBe(ds.datasources[0].uid);
        for (const name of t.expr.match(/\bmlx_[a-z_]+/g)) expect(known, `${panel.title}: ${name}`).toContain(name);
      }
  });

  it('Kubernetes manifests parse and carry the fields Kubernetes requires', () => {
    if (!s.k8s) return;
    const docs = Object.fromEntries(K8S_FILES.map((f) => [f, parseYaml(k8s[`k8s/${f}`])]));
    for (const [file, d] of Object.entries(docs)) {
      expect(d.apiVersion, file).toMatch(/^(v1|apps\/v1|autoscaling\/v2|policy\/v1)$/);
      expect(d.kind, file).toBeTruthy();
      expect(d.metadata.name, file).toMatch(DNS1123);
      expect(d.metadata.namespace, file).toBe(s.namespace);
      for (const [k, v] of Object.entries(d.metadata.labels)) expect(v, `${file} label ${k}`).toMatch(LABEL_VALUE);
    }
    const dep = docs['deployment.yaml'];
    expect(dep.kind).toBe('Deployment');
    expect(dep.spec.replicas).toBe(s.replicas);
    const podLabels = dep.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(dep.spec.selector.matchLabels);
    const [c] = dep.spec.template.spec.containers;
    expect(c.name).toMatch(DNS1123);
    expect(c.image).toBe(s.image);
    expect(c.ports).toEqual([{ name: 'http', containerPort: s.port, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.resources.requests).toEqual({ cpu: s.cpu.k8s, memory: s.memory.k8s });
    expect(c.resources.limits).toEqual({ cpu: s.cpu.k8s, memory: s.memory.k8s, ...(s.gpu ? { 'nvidia.com/gpu': 1 } : {}) });
    expect(dep.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // The image's command line, with tuning flags from the ConfigMap: every $(VAR) is defined there.
    const cm = docs['configmap.yaml'];
    expect(c.envFrom[0].configMapRef.name).toBe(cm.metadata.name);
    expect(c.args.slice(0, 6)).toEqual(serveArgs(s).slice(0, 6));
    expect(c.args).toContain('--allow-unauthenticated');
    // The token is on once the optional Secret exists.
    expect(c.env).toEqual([{ name: 'MLX_SERVE_TOKEN', valueFrom: { secretKeyRef: { name: `${s.app}-token`, key: 'MLX_SERVE_TOKEN', optional: true } } }]);
    for (const a of c.args) for (const [, v] of a.matchAll(/\$\((\w+)\)/g)) expect(typeof cm.data[v], v).toBe('string');
    expect(cm.data).toMatchObject({
      MLX_THREADS: String(s.threads),
      MLX_MAX_BATCH_SIZE: String(s.maxBatchSize ?? defaultBatch(s)),
      MLX_MAX_QUEUE: String(s.maxQueue ?? SERVE_DEFAULTS.maxQueue),
      MLX_MAX_IMAGE_PIXELS: String(s.maxImagePixels ?? SERVE_DEFAULTS.maxImagePixels),
      MLX_MAX_IMAGES: String(s.maxImages ?? SERVE_DEFAULTS.maxImages),
      MLX_MAX_ROWS: String(s.maxRows ?? SERVE_DEFAULTS.maxRows),
    });
    expect(c.args.join(' ')).toContain('--max-image-pixels $(MLX_MAX_IMAGE_PIXELS) --max-images $(MLX_MAX_IMAGES)');

    const svc = docs['service.yaml'];
    expect(podLabels).toMatchObject(svc.spec.selector);
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
    const hpa = docs['hpa.yaml'];
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name });
    expect(hpa.spec.minReplicas).toBe(s.replicas);
    expect(hpa.spec.maxReplicas).toBe(s.maxReplicas);
    expect(hpa.spec.metrics[0].resource).toMatchObject({ name: 'cpu', target: { type: 'Utilization' } });
    expect(podLabels).toMatchObject(docs['pdb.yaml'].spec.selector.matchLabels);
    const kust = parseYaml(k8s['k8s/kustomization.yaml']);
    expect(kust.resources.sort()).toEqual([...K8S_FILES].sort());
  });

  it('the README has the build, run, scale and test commands', () => {
    const paths = [...Object.keys(docker), ...(s.k8s ? Object.keys(k8s) : []), 'README.md'];
    const readme = renderReadme(s, paths);
    expect(readme).toContain(`docker build -t ${s.image} .`);
    expect(readme).toContain(`docker run --rm -p ${s.port}:${s.port} ${s.image}`);
    expect(readme).toContain('--scale ml-api=3');
    expect(readme).toContain(exampleRequest(s));
    expect(readme.includes('kubectl apply -k k8s/')).toBe(s.k8s);
    expect(readme.includes('## GPU')).toBe(s.gpu);
    expect(readme).toContain(`docker run --rm -p ${s.port}:${s.port} -e MLX_SERVE_TOKEN ${s.image}`);
    expect(readme).toContain('MLX_SERVE_TOKEN=$(openssl rand -hex 24) docker-compose up -d');
    expect(readme.includes(`kubectl create secret generic ${s.app}-token --from-literal=MLX_SERVE_TOKEN=`)).toBe(s.k8s);
    expect(readme).not.toMatch(/\{\{/);
  });
});

describe('templates', () => {
  it('a whole-line section placeholder disappears when empty, and stays when filled', () => {
    expect(fill('docker/compose-gpu.yml', {})).toContain('driver: nvidia');
    const withGpu = renderDockerFiles(spec({ gpu: true })).find((f) => f.path === 'docker-compose.yml')!.content;
    const without = renderDockerFiles(spec({})).find((f) => f.path === 'docker-compose.yml')!.content;
    expect(withGpu.split('\n').length - without.split('\n').length).toBe(fill('docker/compose-gpu.yml', {}).trimEnd().split('\n').length);
  });

  it('a placeholder the renderer does not provide is an error, not an empty string', () => {
    expect(() => fill('docker/prometheus.yml', {})).toThrow(/\{\{port\}\}/);
  });

  it('dockerfile-utils does find problems (so its silence above means something)', () => {
    expect(lintDockerfile('FROM node:20-slim\nEXPOSE 99999999\nHEALTHCHECK --interval=x CMD true\n').length).toBeGreaterThan(0);
    expect(templateText('docker/Dockerfile')).toContain('{{serve_args}}');
  });

  it("the ConfigMap defaults are mlx serve's own", () => {
    const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
    const def = (flag: string) => Number(serve.options.find((o) => o.long === flag)!.defaultValue);
    expect(SERVE_DEFAULTS).toMatchObject({
      maxBatchDelayMs: def('--max-batch-delay-ms'),
      maxBodyMb: def('--max-body-mb'),
      maxQueue: def('--max-queue'),
      instances: def('--instances'),
      maxImagePixels: def('--max-image-pixels'),
      maxImages: def('--max-images'),
      maxRows: def('--max-rows'),
      port: def('--port'),
      watchIntervalS: def('--watch-interval'),
    });
    expect([SERVE_DEFAULTS.maxImagePixels, SERVE_DEFAULTS.maxImages]).toEqual([DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_IMAGES]);
    // The batch size has no commander default: mlx serve picks it per model (rows or images).
    expect(serve.options.find((o) => o.long === '--max-batch-size')!.defaultValue).toBeUndefined();
    const spec = (preprocess: string | null) => ({ preprocess }) as ContextSpec;
    expect(defaultBatch(spec('image:224x224,rgb'))).toBe(defaultMaxBatchSize({ spec: { kind: 'image' } }));
    expect(defaultBatch(spec('tabular'))).toBe(defaultMaxBatchSize({ spec: { kind: 'tabular' } }));
    expect(defaultBatch(spec(null))).toBe(defaultMaxBatchSize({ spec: null }));
  });
});

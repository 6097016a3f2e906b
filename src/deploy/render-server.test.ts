// The tracking server's templates rendered with several option sets: YAML parses, the Dockerfile lints
// clean, every Kubernetes object has what the issue asks for, and no secret leaks outside .env.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MlxError } from '../core/errors.js';
import { healthScript } from './render.js';
import {
  renderServerDockerFiles,
  renderServerK8sFiles,
  renderServerReadme,
  SERVER_APP,
  SERVER_K8S_FILES,
  serverArgs,
  type ServerSpec,
} from './render-server.js';
import { keptSecrets, randomSecret } from './server-context.js';
import { ARTIFACTS_DIR } from './server-options.js';
import { parseServerFlags, type ContainerizeFlags } from '../cli/commands/containerize-flags.js';

const PASSWORD = randomSecret();
const TOKEN = randomSecret();

function spec(flags: ContainerizeFlags): ServerSpec {
  return {
    ...parseServerFlags({ trackingServer: true, ...flags }),
    mlxVersion: '0.1.0',
    tarball: 'mlx-0.1.0.tgz',
    image: flags.tag ?? 'mlx-tracking-server:0.1.0',
    secrets: { postgresPassword: PASSWORD, serverToken: TOKEN },
  };
}

const CASES: [string, ServerSpec][] = [
  ['defaults (compose only)', spec({})],
  ['compose with --replicas 4, custom port and quantities', spec({ replicas: '4', port: '8080', cpu: '2', memory: '1G' })],
  ['--k8s defaults', spec({ k8s: true })],
  [
    '--k8s with everything',
    spec({
      k8s: true,
      replicas: '3',
      maxReplicas: '7',
      namespace: 'ml-platform',
      secretName: 'tracking.db-creds',
      artifactsStorage: '1Ti',
      storageClass: 'nfs-client',
      port: '9001',
      cpu: '1500m',
      memory: '768Mi',
      nodeVersion: '22',
      tag: 'registry.example.com:5000/ml/tracking:1',
    }),
  ],
];

const byPath = (files: { path: string; content: string }[]) => Object.fromEntries(files.map((f) => [f.path, f.content]));
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const instructions = (df: string) =>
  df
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
const secretFree = (text: string, file: string) => {
  expect(text, `${file} holds the database password`).not.toContain(PASSWORD);
  expect(text, `${file} holds the API token`).not.toContain(TOKEN);
};

describe.each(CASES)('tracking server rendering: %s', (_, s) => {
  const docker = byPath(renderServerDockerFiles(s));
  const k8s = s.k8s ? byPath(renderServerK8sFiles(s)) : {};

  it('the Dockerfile lints clean and builds the non-root, multi-stage mlx server image', () => {
    const df = docker.Dockerfile;
    expect(lintDockerfile(df)).toEqual([]);
    const ins = instructions(df);
    expect(ins.filter((l) => l.startsWith('FROM node:${NODE_VERSION}-slim'))).toHaveLength(2);
    expect(ins).toContain(`ARG NODE_VERSION=${s.nodeVersion}`);
    expect(df).toMatch(/^COPY package\.json mlx-0\.1\.0\.tgz \.\/$/m);
    expect(df).toMatch(/^RUN npm install --omit=dev/m);
    expect(ins).toContain(`EXPOSE ${s.port}`);
    const lastIndex = (xs: string[], re: RegExp) => xs.reduce((at, l, i) => (re.test(l) ? i : at), -1);
    const runtime = ins.slice(lastIndex(ins, /^FROM /));
    expect(runtime.filter((l) => l.startsWith('USER'))).toEqual(['USER node']);
    expect(runtime.findIndex((l) => l.startsWith('USER'))).toBeGreaterThan(lastIndex(runtime, /^(COPY|RUN) /));
    // The artifacts folder exists in the image, owned by node, so a fresh volume mounted there is writable.
    expect(runtime.filter((l) => l.startsWith('RUN ')).map((l) => l.replace(/\s+/g, ' '))).toEqual([
      `RUN mkdir -p ${ARTIFACTS_DIR} && chown node:node ${ARTIFACTS_DIR}`,
    ]);
    expect(JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(df)![1])).toEqual(['mlx']);
    expect(JSON.parse(/^CMD (\[.*\])$/m.exec(df)![1])).toEqual([
      'server',
      '--host',
      '0.0.0.0',
      '--port',
      String(s.port),
      '--artifacts-destination',
      ARTIFACTS_DIR,
    ]);
    expect(JSON.parse(/^HEALTHCHECK .* CMD (\[.*\])$/m.exec(ins.join('\n'))![1])).toEqual(['node', '-e', healthScript(s.port, '/health')]);
    expect(healthScript(s.port, '/health')).toContain(`http://127.0.0.1:${s.port}/health`);
    for (const l of ['org.opencontainers.image.title="mlx tracking server"', 'org.opencontainers.image.version="0.1.0"', 'mlx.component="tracking-server"'])
      expect(df).toContain(l);
    expect(df).not.toMatch(/^ENV .*(TOKEN|TRACKING_URI)/m);
    secretFree(df, 'Dockerfile');
  });

  it('.dockerignore lets through only package.json and the tarball: .env never reaches the engine', () => {
    expect(docker['.dockerignore'].split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['*', '!package.json', '!mlx-0.1.0.tgz']);
    expect(JSON.parse(docker['package.json'])).toMatchObject({ name: `mlx-image-${SERVER_APP}`, dependencies: { mlx: 'file:mlx-0.1.0.tgz' } });
  });

  it('docker-compose.yml: PostgreSQL with a volume and healthcheck, the migration, N replicas on one artifacts volume, nginx', () => {
    const c = parseYaml(docker['docker-compose.yml']);
    expect(Object.keys(c.services).sort()).toEqual(['db-upgrade', 'postgres', 'proxy', 'tracking-server']);
    const pg = c.services.postgres;
    expect(pg.image).toBe('postgres:16');
    expect(pg.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(pg.healthcheck.test).toEqual(['CMD', 'pg_isready', '-U', 'mlx', '-d', 'mlx']);
    expect(pg.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    const up = c.services['db-upgrade'];
    expect(up.command).toEqual(['db', 'upgrade']);
    expect(up.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    const srv = c.services['tracking-server'];
    expect(srv.image).toBe(s.image);
    expect(srv.build).toEqual({ context: '.', args: { NODE_VERSION: s.nodeVersion } });
    expect(srv.env_file).toBe('.env');
    expect(srv.volumes).toEqual([`artifacts:${ARTIFACTS_DIR}`]);
    expect(srv.deploy.replicas).toBe(s.replicas);
    expect(srv.deploy.resources.limits).toEqual({ cpus: s.cpu.cores, memory: s.memory.compose });
    expect(srv.depends_on).toEqual({ 'db-upgrade': { condition: 'service_completed_successfully' } });
    expect(srv.healthcheck.test).toEqual(['CMD', 'node', '-e', healthScript(s.port, '/health')]);
    expect(srv.ports, 'replicas cannot share a host port: the proxy publishes it').toBeUndefined();
    expect(srv.container_name).toBeUndefined();
    expect(c.services.proxy.ports).toEqual([`${s.port}:${s.port}`]);
    expect(c.services.proxy.volumes).toEqual(['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
    expect(Object.keys(c.volumes).sort()).toEqual(['artifacts', 'postgres-data']);
    secretFree(docker['docker-compose.yml'], 'docker-compose.yml');
    expect(docker['nginx.conf']).toContain(`listen ${s.port};`);
    expect(docker['nginx.conf']).toContain(`set $tracking_server http://tracking-server:${s.port};`);
  });

  it('.env holds the generated password and token, and a store URI the replicas can reach', () => {
    const env = Object.fromEntries(
      docker['.env']
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toEqual({ POSTGRES_PASSWORD: PASSWORD, MLX_TRACKING_URI: `postgresql://mlx:${PASSWORD}@postgres:5432/mlx`, MLX_SERVER_TOKEN: TOKEN });
    expect(PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    expect(keptSecretsOf(docker['.env'])).toEqual({ postgresPassword: PASSWORD, serverToken: TOKEN });
  });

  it('Kubernetes: Deployment of N replicas with the migrating initContainer, secretKeyRef env, /health and /ready probes, RWX claim', () => {
    if (!s.k8s) return expect(Object.keys(k8s)).toEqual([]);
    const docs = Object.fromEntries(Object.entries(k8s).map(([p, t]) => [p.replace('k8s/', ''), parseYaml(t)]));
    expect(Object.keys(docs).sort()).toEqual([...SERVER_K8S_FILES, 'kustomization.yaml', 'secret.example.yaml'].sort());
    for (const f of [...SERVER_K8S_FILES, 'secret.example.yaml']) {
      const d = docs[f];
      expect(d.apiVersion, f).toMatch(/^(v1|apps\/v1|autoscaling\/v2|policy\/v1)$/);
      expect(d.metadata.namespace, f).toBe(s.namespace);
      expect(d.metadata.labels['app.kubernetes.io/component'], f).toBe('tracking-server');
      secretFree(k8s[`k8s/${f}`], f);
    }
    const dep = docs['deployment.yaml'];
    expect(dep.kind).toBe('Deployment');
    expect(dep.metadata.name).toBe(SERVER_APP);
    expect(dep.spec.replicas).toBe(s.replicas);
    const pod = dep.spec.template.spec;
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    const secretRef = (c: { env: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] }) =>
      Object.fromEntries(c.env.map((e) => [e.name, e.valueFrom.secretKeyRef]));
    const [init] = pod.initContainers;
    expect(init.image).toBe(s.image);
    expect(['mlx', ...init.args]).toEqual(['mlx', 'db', 'upgrade']);
    expect(secretRef(init)).toEqual({ MLX_TRACKING_URI: { name: s.secretName, key: 'MLX_TRACKING_URI' } });
    const [c] = pod.containers;
    expect(c.name).toMatch(DNS1123);
    expect(c.args).toEqual(serverArgs(s));
    expect(secretRef(c)).toEqual({
      MLX_TRACKING_URI: { name: s.secretName, key: 'MLX_TRACKING_URI' },
      MLX_SERVER_TOKEN: { name: s.secretName, key: 'MLX_SERVER_TOKEN' },
    });
    expect(c.ports).toEqual([{ name: 'http', containerPort: s.port, protocol: 'TCP' }]);
    // Liveness and start-up on /health (the process); readiness on /ready (the database answers too).
    for (const probe of ['startupProbe', 'livenessProbe']) expect(c[probe].httpGet, probe).toEqual({ path: '/health', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    for (const x of [c, init]) {
      expect(x.resources.requests).toEqual({ cpu: s.cpu.k8s, memory: s.memory.k8s });
      expect(x.resources.limits).toEqual({ cpu: s.cpu.k8s, memory: s.memory.k8s });
      expect(x.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
    expect(c.volumeMounts).toEqual([
      { name: 'artifacts', mountPath: ARTIFACTS_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    const pvc = docs['pvc.yaml'];
    expect(pod.volumes).toEqual([
      { name: 'artifacts', persistentVolumeClaim: { claimName: pvc.metadata.name } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ]);
    expect(pvc.kind).toBe('PersistentVolumeClaim');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(pvc.spec.resources.requests.storage).toBe(s.artifactsStorage.k8s);
    expect(pvc.spec.storageClassName).toBe(s.storageClass);
    expect(pod.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(dep.spec.selector.matchLabels);

    expect(docs['service.yaml']).toMatchObject({
      kind: 'Service',
      spec: { selector: dep.spec.selector.matchLabels, ports: [{ port: 80, targetPort: 'http' }] },
    });
    expect(docs['hpa.yaml']).toMatchObject({
      kind: 'HorizontalPodAutoscaler',
      spec: { scaleTargetRef: { kind: 'Deployment', name: SERVER_APP }, minReplicas: s.replicas, maxReplicas: s.maxReplicas },
    });
    expect(docs['pdb.yaml']).toMatchObject({
      kind: 'PodDisruptionBudget',
      spec: { maxUnavailable: 1, selector: { matchLabels: dep.spec.selector.matchLabels } },
    });
    // The example Secret has the keys the pods read, with placeholders, and is never applied.
    const secret = docs['secret.example.yaml'];
    expect(secret).toMatchObject({ kind: 'Secret', type: 'Opaque', metadata: { name: s.secretName } });
    expect(Object.keys(secret.stringData).sort()).toEqual(['MLX_SERVER_TOKEN', 'MLX_TRACKING_URI']);
    expect(k8s['k8s/secret.example.yaml']).toContain(`kubectl create secret generic ${s.secretName}${s.namespace ? ` -n ${s.namespace}` : ''}`);
    expect(docs['kustomization.yaml'].resources).toEqual([...SERVER_K8S_FILES]);
  });

  it('the README: build, compose, client settings, the artifacts layout, migration, and the Kubernetes steps with --k8s', () => {
    const paths = [...Object.keys(docker), ...Object.keys(k8s), 'README.md'];
    const readme = renderServerReadme(s, paths);
    expect(readme).not.toMatch(/\{\{/);
    for (const want of [
      `docker build -t ${s.image} .`,
      'docker-compose up -d --build',
      `export MLX_TRACKING_URI=http://127.0.0.1:${s.port}`,
      'MLX_TRACKING_TOKEN',
      `${ARTIFACTS_DIR}/`,
      '<experiment_id>/<run_id>/artifacts/<path>',
      'mlflow-artifacts:/_mlx-registry/<name>/<version>/model.onnx',
      'mlx db migrate --from .mlx --to',
      `- \`.env\`: `,
    ])
      expect(readme).toContain(want);
    expect(readme.includes('kubectl apply -k k8s/')).toBe(s.k8s);
    if (s.k8s) expect(readme).toContain(`kubectl create secret generic ${s.secretName}`);
    secretFree(readme, 'README.md');
  });
});

function keptSecretsOf(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-env-'));
  try {
    fs.writeFileSync(path.join(dir, '.env'), text);
    return keptSecrets(path.join(dir, '.env'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('keptSecrets', () => {
  it('keeps URL-safe values only, and only both together', () => {
    expect(keptSecretsOf('POSTGRES_PASSWORD=abcdefgh12\nMLX_SERVER_TOKEN=tok-en.1234\n')).toEqual({
      postgresPassword: 'abcdefgh12',
      serverToken: 'tok-en.1234',
    });
    expect(keptSecretsOf('POSTGRES_PASSWORD=abcdefgh12\n')).toBeNull();
    expect(keptSecretsOf('POSTGRES_PASSWORD=p@ss word!\nMLX_SERVER_TOKEN=tok-en.1234\n')).toBeNull();
    expect(keptSecretsOf('POSTGRES_PASSWORD=short\nMLX_SERVER_TOKEN=tok-en.1234\n')).toBeNull();
    expect(keptSecrets('/nonexistent/.env')).toBeNull();
  });
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return `${(err as MlxError).code}: ${(err as Error).message}`;
  }
  return 'none';
};

describe('parseServerFlags', () => {
  it('defaults: port 5000, 500m CPU, 512Mi, 2 replicas, Secret mlx-tracking-server, 20Gi of artifacts', () => {
    const o = parseServerFlags({});
    expect(o).toMatchObject({ port: 5000, replicas: 2, maxReplicas: 10, k8s: false, secretName: 'mlx-tracking-server', storageClass: undefined });
    expect([o.cpu.k8s, o.memory.k8s, o.artifactsStorage.k8s]).toEqual(['500m', '512Mi', '20Gi']);
    expect(parseServerFlags({ replicas: '3' }).replicas).toBe(3);
  });

  it('refuses model flags, Kubernetes-only flags without --k8s, and bad values, naming flag and value', () => {
    expect(code(() => parseServerFlags({ gpu: true }))).toBe("USAGE: --gpu applies to a model's image, not to --tracking-server");
    expect(code(() => parseServerFlags({ labels: 'l.txt' }))).toMatch(/^USAGE: --labels/);
    expect(code(() => parseServerFlags({ secretName: 'x' }))).toBe('USAGE: --secret-name applies to the Kubernetes manifests: add --k8s');
    expect(code(() => parseServerFlags({ storageClass: 'nfs' }))).toMatch(/^USAGE: --storage-class/);
    expect(code(() => parseServerFlags({ maxReplicas: '4' }))).toMatch(/^USAGE: --max-replicas/);
    expect(code(() => parseServerFlags({ k8s: true, secretName: 'Bad_Name' }))).toMatch(
      /^USAGE: --secret-name "Bad_Name" is not a valid Kubernetes Secret name/,
    );
    expect(code(() => parseServerFlags({ k8s: true, storageClass: '-nfs' }))).toMatch(/--storage-class "-nfs"/);
    expect(code(() => parseServerFlags({ k8s: true, artifactsStorage: '20g' }))).toMatch(/--artifacts-storage "20g" must be a storage quantity .*\(20Gi\)/);
    expect(code(() => parseServerFlags({ replicas: '0' }))).toBe('USAGE: --replicas "0" must be an integer from 1 to 1000');
    expect(code(() => parseServerFlags({ k8s: true, replicas: '5', maxReplicas: '2' }))).toMatch(/--max-replicas 2 is below --replicas 5/);
    expect(code(() => parseServerFlags({ build: true, dryRun: true }))).toMatch(/^USAGE: --build and --dry-run/);
  });
});

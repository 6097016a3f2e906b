// `mlx containerize --tracking-server` as users run it (issue 10): the build context of the tracking
// server for replicas over PostgreSQL, its compose file validated by docker-compose, the .env secrets
// (0600, never printed), --k8s, --dry-run, --json, --force keeping the secrets, and bad input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { T, ok, writeFile } from './helpers/models.js';

let dir: string;
beforeAll(() => {
  dir = tempProject('mlx-containerize-server-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function tree(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).map((p) => (fs.statSync(path.join(root, p)).isDirectory() ? `${p}/` : p)).sort();
}

function refused(args: string[], code: number, ...mentions: (string | RegExp)[]): string {
  const before = tree(dir);
  const line = expectError(mlx(dir, ['containerize', ...args]), code, ...mentions);
  expect(tree(dir), `mlx containerize ${args.join(' ')} wrote something`).toEqual(before);
  return line;
}

/** KEY=VALUE lines of a .env file. */
function readEnv(file: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

const FILES = ['.dockerignore', '.env', '.mlx-build-context', 'Dockerfile', 'README.md', 'docker-compose.yml', 'mlx-0.1.0.tgz', 'nginx.conf', 'package.json'];
const K8S = [
  'k8s/',
  'k8s/deployment.yaml',
  'k8s/hpa.yaml',
  'k8s/kustomization.yaml',
  'k8s/pdb.yaml',
  'k8s/pvc.yaml',
  'k8s/secret.example.yaml',
  'k8s/service.yaml',
];

describe('mlx containerize --tracking-server', () => {
  it(
    'writes the image context, compose try-out and .env: secrets generated, mode 0600, never on stdout or stderr',
    () => {
      const r = ok(dir, ['containerize', '--tracking-server', '--out', 'srv']);
      expect(r.stdout).toMatch(/^Wrote the tracking server's build context to .*srv \(9 files/);
      expect(r.stdout).toContain('docker build -t mlx-tracking-server:0.1.0 srv');
      expect(r.stdout).toContain('docker-compose -f srv/docker-compose.yml up -d --build');
      const ctx = path.join(dir, 'srv');
      expect(tree(ctx)).toEqual(FILES);
      const env = readEnv(path.join(ctx, '.env'));
      expect(env.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
      expect(env.MLX_SERVER_TOKEN).toMatch(/^[0-9a-f]{48}$/);
      expect(env.MLX_SERVER_TOKEN).not.toBe(env.POSTGRES_PASSWORD);
      expect(env.MLX_TRACKING_URI).toBe(`postgresql://mlx:${env.POSTGRES_PASSWORD}@postgres:5432/mlx`);
      for (const secret of [env.POSTGRES_PASSWORD, env.MLX_SERVER_TOKEN]) {
        expect(r.stdout + r.stderr).not.toContain(secret);
        for (const f of FILES.filter((f) => f !== '.env' && !f.endsWith('.tgz'))) expect(fs.readFileSync(path.join(ctx, f), 'utf8'), f).not.toContain(secret);
      }
      for (const f of tree(ctx)) expect(fs.statSync(path.join(ctx, f)).mode & 0o777, f).toBe(f === '.env' ? 0o600 : 0o644);
      // A second context gets secrets of its own.
      ok(dir, ['containerize', '--tracking-server', '--out', 'srv2']);
      expect(readEnv(path.join(dir, 'srv2/.env')).MLX_SERVER_TOKEN).not.toBe(env.MLX_SERVER_TOKEN);
    },
    T,
  );

  it(
    'the compose file passes docker-compose config with its .env, for several option sets',
    () => {
      const sets = [[], ['--replicas', '3', '--port', '8080', '--cpu', '1', '--memory', '1Gi'], ['--k8s', '--node-version', '22']];
      sets.forEach((flags, i) => {
        ok(dir, ['containerize', '--tracking-server', '--out', `compose-${i}`, ...flags]);
        const file = path.join(dir, `compose-${i}`, 'docker-compose.yml');
        const r = spawnSync('docker-compose', ['-f', file, 'config'], { encoding: 'utf8', timeout: 60_000 });
        if (r.error) throw new Error(`docker-compose is needed to validate compose files: ${r.error.message}`);
        expect(r.status, r.stderr).toBe(0);
        const c = parseYaml(r.stdout);
        const replicas = flags.includes('--replicas') ? 3 : 2;
        expect(c.services['tracking-server'].deploy.replicas).toBe(replicas);
        // The password reached PostgreSQL from .env; the replicas read the URI and token from it.
        expect(c.services.postgres.environment.POSTGRES_PASSWORD).toBe(readEnv(path.join(dir, `compose-${i}`, '.env')).POSTGRES_PASSWORD);
        expect(c.services['tracking-server'].environment).toMatchObject({
          MLX_TRACKING_URI: expect.stringMatching(/^postgresql:\/\/mlx:/),
          MLX_SERVER_TOKEN: expect.any(String),
        });
        expect(c.services['tracking-server'].volumes).toEqual(['artifacts:/var/lib/mlx/artifacts:rw']);
      });
      // Without its .env the file refuses to start rather than run PostgreSQL with no password.
      fs.rmSync(path.join(dir, 'compose-0/.env'));
      const r = spawnSync('docker-compose', ['-f', path.join(dir, 'compose-0/docker-compose.yml'), 'config'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('POSTGRES_PASSWORD');
    },
    T,
  );

  it(
    '--k8s adds the manifests; --json names every file, the server command and the secret, and prints no secret',
    () => {
      const doc = mlxJson(dir, [
        'containerize',
        '--tracking-server',
        '--k8s',
        '--out',
        'k8s-srv',
        '--replicas',
        '3',
        '--max-replicas',
        '6',
        '--namespace',
        'ml',
        '--secret-name',
        'tracking-db',
        '--artifacts-storage',
        '50Gi',
        '--storage-class',
        'nfs-client',
        '--tag',
        'reg.example.com/mlx/tracking:1',
      ]);
      expect(doc).toMatchObject({
        dry_run: false,
        built: false,
        image: 'reg.example.com/mlx/tracking:1',
        tracking_server: {
          port: 5000,
          replicas: 3,
          max_replicas: 6,
          secret_name: 'tracking-db',
          artifacts_storage: '50Gi',
          namespace: 'ml',
          artifacts_destination: '/var/lib/mlx/artifacts',
        },
        server_command: ['mlx', 'server', '--host', '0.0.0.0', '--port', '5000', '--artifacts-destination', '/var/lib/mlx/artifacts'],
        commands: { kubernetes: 'kubectl apply -k k8s-srv/k8s' },
      });
      expect(doc.files.map((f: { path: string }) => f.path).sort()).toEqual([...FILES, ...K8S.filter((p) => !p.endsWith('/'))].sort());
      const ctx = path.join(dir, 'k8s-srv');
      const env = readEnv(path.join(ctx, '.env'));
      expect(JSON.stringify(doc)).not.toContain(env.MLX_SERVER_TOKEN);
      const dep = parseYaml(fs.readFileSync(path.join(ctx, 'k8s/deployment.yaml'), 'utf8'));
      expect(dep).toMatchObject({ kind: 'Deployment', metadata: { name: 'mlx-tracking-server', namespace: 'ml' }, spec: { replicas: 3 } });
      expect(dep.spec.template.spec.initContainers[0].args).toEqual(['db', 'upgrade']);
      expect(dep.spec.template.spec.containers[0].env.map((e: any) => e.valueFrom.secretKeyRef.name)).toEqual(['tracking-db', 'tracking-db']);
      const pvc = parseYaml(fs.readFileSync(path.join(ctx, 'k8s/pvc.yaml'), 'utf8'));
      expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client', resources: { requests: { storage: '50Gi' } } });
      expect(parseYaml(fs.readFileSync(path.join(ctx, 'k8s/kustomization.yaml'), 'utf8')).resources).not.toContain('secret.example.yaml');
    },
    T,
  );

  it(
    "--dry-run prints every file but .env's values, and writes nothing; its JSON marks .env secret without content",
    () => {
      const before = tree(dir);
      const r = ok(dir, ['containerize', '--tracking-server', '--k8s', '--out', 'dry', '--dry-run']);
      expect(r.stdout).toMatch(/^Dry run: the tracking server's build context would be written to .*dry \(image mlx-tracking-server:0\.1\.0\):/);
      for (const f of ['Dockerfile', 'docker-compose.yml', 'nginx.conf', 'k8s/deployment.yaml', 'k8s/secret.example.yaml', 'README.md'])
        expect(r.stdout).toContain(`===== ${f} =====`);
      expect(r.stdout).toMatch(/^ {2}\.env {2}\d+ bytes \(secrets, written with mode 0600; not shown\)$/m);
      expect(r.stdout).not.toContain('===== .env =====');
      expect(r.stdout).not.toMatch(/[0-9a-f]{48}/);
      const doc = mlxJson(dir, ['containerize', '--tracking-server', '--out', 'dry', '--dry-run']);
      expect(doc.dry_run).toBe(true);
      const env = doc.files.find((f: { path: string }) => f.path === '.env');
      expect(env).toEqual({ path: '.env', size: expect.any(Number), secret: true });
      expect(JSON.stringify(doc)).not.toMatch(/[0-9a-f]{48}/);
      expect(tree(dir)).toEqual(before);
    },
    T,
  );

  it(
    '--force replaces the folder but keeps the secrets of its .env (the database volume holds that password)',
    () => {
      ok(dir, ['containerize', '--tracking-server', '--out', 'again']);
      const first = fs.readFileSync(path.join(dir, 'again/.env'), 'utf8');
      writeFile(dir, 'again/stale.txt', 'old');
      refused(['--tracking-server', '--out', 'again'], 1, '--out "again" is not empty', '--force');
      const r = ok(dir, ['containerize', '--tracking-server', '--out', 'again', '--force', '--k8s']);
      expect(r.stderr).toContain('mlx: warning: kept the database password and API token of again/.env');
      expect(fs.readFileSync(path.join(dir, 'again/.env'), 'utf8')).toBe(first);
      expect(fs.existsSync(path.join(dir, 'again/stale.txt'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'again/k8s/deployment.yaml'))).toBe(true);
    },
    T,
  );
});

describe('mlx containerize --tracking-server: bad input is one line, an exit code, and nothing written', () => {
  it(
    'a MODEL_URI with --tracking-server, or neither, is a usage error',
    () => {
      refused(['models:/pets/1', '--tracking-server', '--out', 'x'], 2, '--tracking-server', '"models:/pets/1"');
      refused(['--out', 'x'], 2, 'model-uri', '--tracking-server');
    },
    T,
  );

  it(
    'flags of the other mode, and Kubernetes-only flags without --k8s, are usage errors',
    () => {
      refused(['--tracking-server', '--out', 'x', '--gpu'], 2, "--gpu applies to a model's image, not to --tracking-server");
      refused(['--tracking-server', '--out', 'x', '--max-batch-size', '8'], 2, '--max-batch-size');
      refused(['--tracking-server', '--out', 'x', '--secret-name', 'db'], 2, '--secret-name applies to the Kubernetes manifests: add --k8s');
      refused(['--tracking-server', '--out', 'x', '--namespace', 'ml'], 2, '--namespace', 'add --k8s');
      refused(['models:/pets/1', '--out', 'x', '--storage-class', 'nfs'], 2, '--storage-class', 'add --tracking-server');
      refused(['--tracking-server', '--out', 'x', '--build', '--dry-run'], 2, '--build and --dry-run');
    },
    T,
  );

  it(
    'bad replicas, quantities, names, ports and tags name the flag and the value: usage errors, exit 2',
    () => {
      refused(['--tracking-server', '--out', 'x', '--replicas', '0'], 2, '--replicas "0" must be an integer from 1 to 1000');
      refused(['--tracking-server', '--out', 'x', '--replicas', 'two'], 2, '--replicas "two"');
      refused(['--tracking-server', '--k8s', '--out', 'x', '--replicas', '4', '--max-replicas', '2'], 2, '--max-replicas 2 is below --replicas 4');
      refused(['--tracking-server', '--out', 'x', '--memory', '512m'], 2, '--memory "512m"', '512Mi');
      refused(['--tracking-server', '--k8s', '--out', 'x', '--artifacts-storage', 'lots'], 2, '--artifacts-storage "lots" must be a storage quantity');
      refused(['--tracking-server', '--k8s', '--out', 'x', '--cpu', '5m'], 2, '--cpu "5m"');
      refused(['--tracking-server', '--k8s', '--out', 'x', '--secret-name', 'DB_Creds'], 2, '--secret-name "DB_Creds" is not a valid Kubernetes Secret name');
      refused(['--tracking-server', '--k8s', '--out', 'x', '--namespace', 'ML'], 2, '--namespace "ML"');
      refused(['--tracking-server', '--out', 'x', '--port', '70000'], 2, '--port "70000"');
      refused(['--tracking-server', '--out', 'x', '--tag', 'Tracking:1'], 2, 'image tag "Tracking:1"');
    },
    T,
  );

  it(
    'a non-empty output folder without --force; --force never replaces the current folder',
    () => {
      writeFile(dir, 'taken/notes.txt', 'mine');
      refused(['--tracking-server', '--out', 'taken'], 1, '--out "taken" is not empty', '--force');
      refused(['--tracking-server', '--out', '.', '--force'], 1, 'holds the current folder');
      expect(fs.readFileSync(path.join(dir, 'taken/notes.txt'), 'utf8')).toBe('mine');
    },
    T,
  );
});

// `mlx containerize` as users run it (issue 6): the build context it writes from a registered model,
// --dry-run, --force, --json, docker-compose validation, --build with and without an engine, bad input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SEED_LABELS } from '../src/models/onnx/sample-models.js';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { T, ok, register, sampleModels, sha256, writeFile } from './helpers/models.js';

const IMAGE_SPEC = 'image:32x32,rgb,scale=1/255,layout=nchw';
let dir: string;
let version: any;
const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

beforeAll(() => {
  dir = tempProject('mlx-containerize-');
  temps.push(dir);
  const m = sampleModels();
  writeFile(dir, 'image.onnx', m.image);
  writeFile(dir, 'tabular.onnx', m.tabular);
  writeFile(dir, 'labels.txt', `${SEED_LABELS.join('\n')}\n`);
  version = register(dir, [
    'image.onnx',
    '--name',
    'pets-classifier',
    '--labels',
    'labels.txt',
    '--preprocess',
    IMAGE_SPEC,
    '--alias',
    'champion',
    '--description',
    'Pet photos',
  ]);
  register(dir, ['tabular.onnx', '--name', 'value']);
}, T);

/** Every path under root, folders marked with a trailing slash. */
function tree(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).map((p) => (fs.statSync(path.join(root, p)).isDirectory() ? `${p}/` : p)).sort();
}

/** The project folder apart from its store: what a refused command must leave untouched. */
const outside = () => tree(dir).filter((p) => !p.startsWith('.mlx'));

function refused(args: string[], code: number, ...mentions: (string | RegExp)[]): string {
  const before = outside();
  const line = expectError(mlx(dir, ['containerize', ...args]), code, ...mentions);
  expect(outside(), `mlx containerize ${args.join(' ')} wrote something`).toEqual(before);
  return line;
}

function composeConfig(file: string): { code: number; out: string } {
  const r = spawnSync('docker-compose', ['-f', file, 'config'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`docker-compose is needed to validate compose files (apt-get install docker-compose): ${r.error.message}`);
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('mlx containerize MODEL_URI --out DIR', () => {
  it(
    "writes a complete build context: Dockerfile, compose, Prometheus, the model version's files and mlx packed",
    () => {
      const r = ok(dir, ['containerize', 'models:/pets-classifier@champion', '--out', 'ctx']);
      expect(r.stdout).toMatch(/^Wrote the build context for models:\/pets-classifier\/1 to .*ctx \(14 files/);
      expect(r.stdout).toContain('docker build -t pets-classifier:1 ctx');
      const ctx = path.join(dir, 'ctx');
      expect(tree(ctx)).toEqual(
        [
          '.dockerignore',
          '.mlx-build-context',
          'Dockerfile',
          'README.md',
          'docker-compose.yml',
          'mlx-0.1.0.tgz',
          'model/',
          'model/MODEL_CARD.md',
          'model/labels.txt',
          'model/model.json',
          'model/pets-classifier.onnx',
          'model/preprocess.txt',
          'model/signature.json',
          'package.json',
          'prometheus.yml',
        ].sort(),
      );
      // The model bytes are the registered ones; labels, spec, signature and card come from the registry.
      expect(sha256(fs.readFileSync(path.join(ctx, 'model/pets-classifier.onnx')))).toBe(version.sha256);
      expect(fs.readFileSync(path.join(ctx, 'model/labels.txt'), 'utf8')).toBe(`${SEED_LABELS.join('\n')}\n`);
      expect(fs.readFileSync(path.join(ctx, 'model/preprocess.txt'), 'utf8')).toBe(`${IMAGE_SPEC}\n`);
      expect(JSON.parse(fs.readFileSync(path.join(ctx, 'model/signature.json'), 'utf8'))).toEqual(version.signature);
      expect(fs.readFileSync(path.join(ctx, 'model/MODEL_CARD.md'), 'utf8')).toContain('pets-classifier');
      expect(JSON.parse(fs.readFileSync(path.join(ctx, 'model/model.json'), 'utf8'))).toMatchObject({
        name: 'pets-classifier',
        version: 1,
        uri: 'models:/pets-classifier/1',
        sha256: version.sha256,
        labels: [...SEED_LABELS],
        preprocess: IMAGE_SPEC,
        aliases: ['champion'],
        description: 'Pet photos',
      });
      // The image's labels name the model, its version and its hash.
      const df = fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8');
      for (const l of ['mlx.model.name="pets-classifier"', 'mlx.model.version="1"', `mlx.model.sha256="${version.sha256}"`]) expect(df).toContain(l);
      // The tarball is mlx as npm packs it: the compiled CLI and the templates, nothing else of the repo.
      const tar = spawnSync('tar', ['tzf', path.join(ctx, 'mlx-0.1.0.tgz')], { encoding: 'utf8' });
      expect(tar.status).toBe(0);
      const packed = tar.stdout.split('\n');
      for (const f of ['package/package.json', 'package/bin/mlx.js', 'package/dist/cli/main.js', 'package/templates/docker/Dockerfile'])
        expect(packed).toContain(f);
      expect(packed.some((f) => /^package\/(src|test|node_modules)\//.test(f))).toBe(false);
      // Readable by the image's non-root user whatever the umask; no temporary folder left beside it.
      for (const f of tree(ctx)) expect(fs.statSync(path.join(ctx, f)).mode & 0o777, f).toBe(f.endsWith('/') ? 0o755 : 0o644);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.mlx-'))).toEqual([]);
    },
    T,
  );

  it(
    'the compose file passes docker-compose config, for several option sets',
    () => {
      const sets = [[], ['--gpu', '--grafana'], ['--k8s', '--port', '9000', '--cpu', '500m', '--memory', '512Mi', '--grafana']];
      sets.forEach((flags, i) => {
        ok(dir, ['containerize', 'models:/pets-classifier/1', '--out', `compose-${i}`, ...flags]);
        const file = path.join(dir, `compose-${i}`, 'docker-compose.yml');
        const r = composeConfig(file);
        expect(r.code, r.out).toBe(0);
        const resolved = parseYaml(r.out);
        expect(resolved.services['ml-api'].healthcheck.test[0]).toBe('CMD');
        expect(Object.keys(resolved.services).includes('grafana')).toBe(flags.includes('--grafana'));
        expect(!!resolved.services['ml-api'].deploy.resources.reservations).toBe(flags.includes('--gpu'));
      });
      // docker-compose itself refuses a broken file, so its approval above means something.
      writeFile(dir, 'broken/docker-compose.yml', 'services:\n  ml-api:\n    ports: 8000\n    restart: sometimes\n');
      expect(composeConfig(path.join(dir, 'broken/docker-compose.yml')).code).not.toBe(0);
    },
    T,
  );

  it(
    '--k8s adds the manifests; --json prints one document naming every file',
    () => {
      const doc = mlxJson(dir, ['containerize', 'models:/value/1', '--out', 'k8s-ctx', '--k8s', '--replicas', '3', '--namespace', 'ml']);
      expect(doc).toMatchObject({ dry_run: false, image: 'value:1', model: { name: 'value', version: 1, uri: 'models:/value/1' } });
      expect(doc.out).toBe(path.join(fs.realpathSync(dir), 'k8s-ctx'));
      expect(doc.serve_command.slice(0, 8)).toEqual(['mlx', 'serve', 'model/value.onnx', '--host', '0.0.0.0', '--port', '8000', '--preprocess']);
      const paths = doc.files.map((f: { path: string }) => f.path);
      for (const f of [
        'k8s/deployment.yaml',
        'k8s/service.yaml',
        'k8s/hpa.yaml',
        'k8s/configmap.yaml',
        'k8s/pdb.yaml',
        'k8s/kustomization.yaml',
        'mlx-0.1.0.tgz',
      ])
        expect(paths).toContain(f);
      for (const f of doc.files) expect(fs.statSync(path.join(doc.out, f.path)).size).toBe(f.size);
      const deployment = parseYaml(fs.readFileSync(path.join(doc.out, 'k8s/deployment.yaml'), 'utf8'));
      expect(deployment).toMatchObject({ kind: 'Deployment', metadata: { name: 'value', namespace: 'ml' }, spec: { replicas: 3 } });
      expect(doc.commands.kubernetes).toBe('kubectl apply -k k8s-ctx/k8s');
    },
    T,
  );

  it(
    'a file model: named by its file, tagged by its hash, written to build/NAME by default',
    () => {
      const r = ok(dir, ['containerize', 'tabular.onnx']);
      const hash = sha256(sampleModels().tabular);
      expect(r.stdout).toContain(`docker build -t tabular:${hash.slice(0, 12)} build/tabular`);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'build/tabular/model/model.json'), 'utf8'));
      expect(manifest).toMatchObject({ name: 'tabular', version: null, sha256: hash, preprocess: 'tabular' });
      expect(fs.existsSync(path.join(dir, 'build/tabular/model/MODEL_CARD.md'))).toBe(false);
    },
    T,
  );
});

describe('--dry-run and --force', () => {
  it(
    '--dry-run lists and prints every file and writes nothing',
    () => {
      const before = outside();
      const r = ok(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'dry', '--dry-run', '--k8s']);
      expect(r.stdout).toMatch(/^Dry run: the build context for models:\/pets-classifier\/1 would be written to .*dry/);
      for (const f of ['Dockerfile', 'docker-compose.yml', 'k8s/deployment.yaml', 'model/labels.txt']) expect(r.stdout).toContain(`===== ${f} =====`);
      expect(r.stdout).toMatch(/mlx-0\.1\.0\.tgz {2}\(npm pack of mlx at /);
      expect(r.stdout).toMatch(/===== model\/pets-classifier\.onnx =====\n\(binary, \d+ bytes, sha256 [0-9a-f]{64}\)/);
      expect(r.stdout).toContain('CMD ["serve", "model/pets-classifier.onnx", "--host", "0.0.0.0", "--port", "8000"');
      expect(outside()).toEqual(before);
      const doc = mlxJson(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'dry', '--dry-run']);
      expect(doc.dry_run).toBe(true);
      expect(doc.files.find((f: { path: string }) => f.path === 'Dockerfile').content).toMatch(/^# An image serving one model .*\n# pets-classifier version 1/);
      expect(outside()).toEqual(before);
    },
    T,
  );

  it(
    'a non-empty folder is refused without --force; with it, a folder mlx wrote is replaced whole',
    () => {
      ok(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'taken']);
      writeFile(dir, 'taken/stale.txt', 'old');
      refused(['models:/pets-classifier/1', '--out', 'taken'], 1, '--out "taken" is not empty', '--force');
      expect(fs.readFileSync(path.join(dir, 'taken/stale.txt'), 'utf8')).toBe('old');
      ok(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'taken', '--force']);
      expect(fs.existsSync(path.join(dir, 'taken/stale.txt'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'taken/Dockerfile'))).toBe(true);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.mlx-'))).toEqual([]);
      // An empty folder needs no --force.
      fs.mkdirSync(path.join(dir, 'empty'));
      ok(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'empty']);
      expect(fs.existsSync(path.join(dir, 'empty/Dockerfile'))).toBe(true);
    },
    T,
  );

  it(
    '--force never replaces the current folder or a git checkout (test/security/containerize-force.test.ts has the rest)',
    () => {
      refused(['models:/pets-classifier/1', '--out', '.', '--force'], 1, 'holds the current folder');
      writeFile(dir, 'repo/.git/HEAD', 'ref: refs/heads/main\n');
      refused(['models:/pets-classifier/1', '--out', 'repo', '--force'], 1, '"repo"', 'git checkout');
    },
    T,
  );
});

describe('bad input: one line, the right exit code, nothing written', () => {
  it(
    'an unknown model URI',
    () => {
      refused(['models:/nope/1', '--out', 'x'], 1, 'Registered Model with name=nope not found');
      refused(['models:/pets-classifier/9', '--out', 'x'], 1, '9');
      refused(['missing.onnx', '--out', 'x'], 1, 'missing.onnx', 'does not exist');
      refused(['s3://bucket/model.onnx', '--out', 'x'], 1, 'unknown scheme');
    },
    T,
  );

  it(
    'an out-of-range port, an invalid image tag, bad quantities and versions: usage errors (exit 2); a spec that does not fit the model: exit 1',
    () => {
      refused(['models:/pets-classifier/1', '--out', 'x', '--port', '70000'], 2, '--port "70000" must be an integer from 1 to 65535');
      refused(['models:/pets-classifier/1', '--out', 'x', '--port', '0'], 2, '--port "0"');
      refused(['models:/pets-classifier/1', '--out', 'x', '--tag', 'Pets:latest'], 2, 'image tag "Pets:latest" is not a valid Docker image reference');
      refused(['models:/pets-classifier/1', '--out', 'x', '--tag', 'pets:bad tag'], 2, 'image tag "pets:bad tag"');
      refused(['models:/pets-classifier/1', '--out', 'x', '--memory', '512m'], 2, '--memory "512m"', '512Mi');
      refused(['models:/pets-classifier/1', '--out', 'x', '--cpu', 'lots'], 2, '--cpu "lots"');
      refused(['models:/pets-classifier/1', '--out', 'x', '--node-version', '18'], 2, '--node-version "18"');
      refused(['models:/pets-classifier/1', '--out', 'x', '--preprocess', 'tabular'], 1, 'does not fit input');
    },
    T,
  );

  it(
    'usage errors exit 2: flags that need --k8s, --build with --dry-run, unknown flags, no model',
    () => {
      refused(['models:/pets-classifier/1', '--out', 'x', '--replicas', '3'], 2, '--replicas', 'add --k8s');
      refused(['models:/pets-classifier/1', '--out', 'x', '--build', '--dry-run'], 2, '--build and --dry-run');
      refused(['models:/pets-classifier/1', '--out', 'x', '--helm'], 2, '--helm');
      refused([], 2, 'model-uri');
    },
    T,
  );
});

describe('--build', () => {
  /** A folder holding a fake `docker` script, to put first on PATH. */
  function fakeDocker(script: string): string {
    const bin = tempProject('mlx-fake-docker-');
    temps.push(bin);
    fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return bin;
  }
  const withPath = (bin: string) => ({ PATH: `${bin}:${process.env.PATH}` });

  it(
    'with no engine answering: a clear one-line error saying how to build by hand, and nothing written',
    () => {
      const bin = fakeDocker('echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1');
      const before = outside();
      expectError(
        mlx(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'built', '--build'], { env: withPath(bin) }),
        1,
        '--build needs a Docker engine and none answers (docker info: Cannot connect to the Docker daemon',
        'nothing was written',
        'docker build -t pets-classifier:1 built',
      );
      expect(outside()).toEqual(before);
    },
    T,
  );

  it(
    'with no docker command at all',
    () => {
      expectError(
        mlx(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'built', '--build', '--tag', 'reg.example.com/pets:1'], {
          env: { PATH: '/nonexistent' },
        }),
        1,
        'the docker command is not installed',
        'docker build -t reg.example.com/pets:1 built',
      );
      expect(fs.existsSync(path.join(dir, 'built'))).toBe(false);
    },
    T,
  );

  it(
    'with an engine: writes the context, then runs docker build -t TAG DIR with the progress on stderr',
    () => {
      const logDir = tempProject('mlx-docker-log-');
      temps.push(logDir);
      const log = path.join(logDir, 'calls');
      const bin = fakeDocker(`if [ "$1" = info ]; then echo 27.5.1; exit 0; fi\necho "$@" >> ${log}\nls "$4" >> ${log}\necho "Successfully tagged $3"`);
      const r = mlx(dir, ['containerize', 'models:/pets-classifier/1', '--out', 'built', '--build', '--tag', 'pets:ci'], { env: withPath(bin) });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Built image pets:ci');
      expect(r.stderr).toContain('Successfully tagged pets:ci');
      const calls = fs.readFileSync(log, 'utf8').split('\n');
      expect(calls[0]).toBe(`build -t pets:ci ${path.join(fs.realpathSync(dir), 'built')}`);
      expect(calls).toContain('Dockerfile');
      expect(calls).toContain('mlx-0.1.0.tgz');
    },
    T,
  );
});

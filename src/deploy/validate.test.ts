import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { parseContainerizeFlags } from '../cli/commands/containerize-flags.js';
import { intFlag } from '../cli/flags.js';
import { parseCpu, parseMemory, slug, validateImageTag, validateNamespace, validateNodeVersion } from './validate.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as MlxError).code;
  }
  return 'none';
};

describe('image references (Docker reference grammar)', () => {
  const good = [
    'pets',
    'pets:3',
    'pets-classifier:v1.2.3',
    'team/pets_classifier:latest',
    'a__b',
    'a-b--c',
    'a.b',
    'localhost:5000/pets:3',
    'registry.example.com/team/sub/pets:2024-01-01',
    'Registry.Example.com/pets',
    '[::1]:5000/pets:1',
    'docker.io/library/node:20-slim',
    `p:${'t'.repeat(128)}`,
  ];
  const bad = [
    '',
    'Pets:3',
    'pets:',
    ':3',
    'pets:-x',
    'pets:.x',
    '-pets',
    'pets-',
    'pets..x',
    'a___b',
    'pets:3:4',
    'team//pets',
    'pets@sha256:abc',
    'pets 3',
    'pets/',
    `p:${'t'.repeat(129)}`,
    `${'a'.repeat(256)}`,
  ];
  for (const t of good) it(`accepts ${JSON.stringify(t.length > 40 ? `${t.slice(0, 20)}…` : t)}`, () => expect(() => validateImageTag(t)).not.toThrow());
  for (const t of bad)
    it(`refuses ${JSON.stringify(t.length > 40 ? `${t.slice(0, 20)}…` : t)}`, () => {
      expect(() => validateImageTag(t)).toThrow(/is not a valid Docker image reference/);
      expect(code(() => validateImageTag(t))).toBe('INVALID_PARAMETER_VALUE');
    });
});

describe('quantities', () => {
  it('CPU: Kubernetes forms in, Kubernetes and Compose forms out', () => {
    expect(parseCpu('500m')).toEqual({ k8s: '500m', cores: '0.5', millis: 500 });
    expect(parseCpu('2')).toEqual({ k8s: '2', cores: '2', millis: 2000 });
    expect(parseCpu('1.5')).toEqual({ k8s: '1500m', cores: '1.5', millis: 1500 });
    expect(parseCpu('2000m').k8s).toBe('2');
    for (const bad of ['', '0', '5m', 'one', '-1', '1.5 cores', '2000000'])
      expect(() => parseCpu(bad)).toThrow(`${JSON.stringify(bad)} must be a CPU quantity from 10m to 1024`);
  });

  it('memory: binary and decimal units; Docker-style "512m" is refused with the Kubernetes spelling', () => {
    expect(parseMemory('512Mi')).toEqual({ k8s: '512Mi', compose: '512M', bytes: 512 * 2 ** 20 });
    expect(parseMemory('2Gi').compose).toBe('2048M');
    expect(parseMemory('1G')).toEqual({ k8s: '1G', compose: '1000000000b', bytes: 1e9 });
    expect(() => parseMemory('512m')).toThrow(/Kubernetes units are Mi and Gi \(512Mi\)/);
    expect(() => parseMemory('1g')).toThrow(/\(1Gi\)/);
    for (const bad of ['', '10Mi', '1Xi', 'lots', '-1Gi'])
      expect(() => parseMemory(bad)).toThrow(`${JSON.stringify(bad)} must be a memory quantity of at least 64Mi`);
  });

  it('ports and other integers name the flag and the value (a usage error: exit 2)', () => {
    expect(intFlag('--port', '8080', { min: 1, max: 65535 })).toBe(8080);
    for (const bad of ['0', '65536', '-1', '80.5', 'http', '']) {
      expect(() => intFlag('--port', bad, { min: 1, max: 65535 })).toThrow(`--port ${JSON.stringify(bad)} must be an integer from 1 to 65535`);
      expect(code(() => intFlag('--port', bad, { min: 1, max: 65535 }))).toBe('USAGE');
    }
  });
});

describe('names', () => {
  it('slug makes DNS-1123 labels and Docker repository names', () => {
    expect(slug('Pets_Classifier.v2')).toBe('pets-classifier-v2');
    expect(slug('__x__')).toBe('x');
    expect(slug('a'.repeat(80))).toHaveLength(63);
    expect(slug(`${'a'.repeat(62)}-b`)).toBe('a'.repeat(62));
    expect(slug('...')).toBe('model');
  });

  it('namespaces and node versions', () => {
    expect(() => validateNamespace('ml-prod')).not.toThrow();
    for (const bad of ['ML', 'ml_prod', '-ml', 'a'.repeat(64)])
      expect(() => validateNamespace(bad)).toThrow(`${JSON.stringify(bad)} is not a valid Kubernetes namespace`);
    for (const ok of ['20', '22', '22.11.0']) expect(() => validateNodeVersion(ok)).not.toThrow();
    expect(() => validateNodeVersion('18')).toThrow(/older than mlx supports/);
    expect(() => validateNodeVersion('lts')).toThrow(/Node.js version/);
  });
});

describe('parseContainerizeFlags', () => {
  it('applies the defaults: port 8000, node 20, 1 CPU, 1Gi, 2 to 10 replicas, threads from the CPU budget', () => {
    const o = parseContainerizeFlags({});
    expect(o).toMatchObject({ port: 8000, nodeVersion: '20', replicas: 2, maxReplicas: 10, threads: 1, gpu: false, k8s: false });
    expect(o.cpu.k8s).toBe('1');
    expect(o.memory.k8s).toBe('1Gi');
    expect(parseContainerizeFlags({ cpu: '2500m' }).threads).toBe(3);
    expect(parseContainerizeFlags({ cpu: '2500m', threads: '8' }).threads).toBe(8);
    expect(parseContainerizeFlags({ k8s: true, replicas: '12' }).maxReplicas).toBe(12);
  });

  it('refuses contradictions (Kubernetes-only flags without --k8s, --build with --dry-run) and bad values: usage errors', () => {
    expect(code(() => parseContainerizeFlags({ replicas: '3' }))).toBe('USAGE');
    expect(code(() => parseContainerizeFlags({ namespace: 'ml' }))).toBe('USAGE');
    expect(code(() => parseContainerizeFlags({ build: true, dryRun: true }))).toBe('USAGE');
    expect(code(() => parseContainerizeFlags({ k8s: true, replicas: '5', maxReplicas: '3' }))).toBe('USAGE');
    expect(code(() => parseContainerizeFlags({ maxBatchSize: '0' }))).toBe('USAGE');
    expect(code(() => parseContainerizeFlags({ maxBatchDelayMs: 'soon' }))).toBe('USAGE');
    expect(code(() => parseContainerizeFlags({ maxQueue: '-1' }))).toBe('USAGE');
    expect(parseContainerizeFlags({ maxQueue: '0' }).maxQueue).toBe(0);
    for (const bad of ['0', '-1', 'many', '1.5', '100000001'])
      expect(
        code(() => parseContainerizeFlags({ maxRows: bad })),
        bad,
      ).toBe('USAGE');
    expect(parseContainerizeFlags({ maxRows: '5000' }).maxRows).toBe(5000);
    expect(parseContainerizeFlags({}).maxRows).toBeUndefined();
    expect(code(() => parseContainerizeFlags({ instances: '0' }))).toBe('USAGE');
    for (const v of ['0', 'lots', '2000000000']) expect(code(() => parseContainerizeFlags({ maxImagePixels: v }))).toBe('USAGE');
    for (const v of ['0', '65537']) expect(code(() => parseContainerizeFlags({ maxImages: v }))).toBe('USAGE');
    expect(parseContainerizeFlags({ maxImagePixels: '12000000', maxImages: '8' })).toMatchObject({ maxImagePixels: 12_000_000, maxImages: 8 });
    // The CPU budget is shared out: 3 CPUs over 2 instances is 2 threads each (rounded up).
    expect(parseContainerizeFlags({ cpu: '3', instances: '2' }).threads).toBe(2);
    expect(parseContainerizeFlags({ cpu: '3' }).threads).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { fakeModel, Gate, type FakeModel } from '../../test/helpers/rollout.js';
import type { ModelSignature, ModelVersion } from '../core/entities.js';
import { ModelWatcher, signatureDiff, watchTargets, type SwapResult, type WatchTarget } from './model-watcher.js';
import { Predictor } from './predictor.js';
import { rolloutPlans as planVariants } from '../cli/rollout-flags.js';
import { Variant, VariantSet } from './variant-set.js';

const SIG3 = fakeModel({ width: 3 }).signature;
const SIG4 = fakeModel({ width: 4 }).signature;

/** A registry whose alias can be moved, versions whose loading can fail or be held, and everything the watcher did. */
function world(opts: { registrySignatures?: boolean; intervalMs?: number } = {}) {
  const versions = new Map<number, { sig: ModelSignature; fail?: boolean; gate?: Gate }>([[1, { sig: SIG3 }]]);
  let alias = 1;
  let resolveError: string | null = null;
  const variant = new Variant({ name: 'clf@champion', uri: 'models:/clf@champion', role: 'primary', weight: 100, share: 1 });
  variant.predictor = new Predictor(fakeModel({ version: 1 }), { maxBatchSize: 1, maxDelayMs: 0 });
  const loaded: FakeModel[] = [];
  const lines: string[] = [];
  const counts: SwapResult[] = [];
  const [target] = watchTargets([variant]);
  const watcher = new ModelWatcher(
    [target],
    {
      resolve: async () => {
        if (resolveError) throw new Error(resolveError);
        const v = versions.get(alias)!;
        const signature = opts.registrySignatures === false ? { inputs: [], outputs: [] } : v.sig;
        return { name: 'clf', version: alias, sha256: `sha${alias}`, signature } as unknown as ModelVersion;
      },
      load: async (_t: WatchTarget, v: ModelVersion) => {
        const spec = versions.get(v.version)!;
        await spec.gate?.pass();
        if (spec.fail) throw new Error(`cannot read version ${v.version}\nsecond line`);
        const m = fakeModel({ version: v.version, width: spec.sig.inputs[0].shape[1] });
        loaded.push(m);
        return m;
      },
      install: (v, m) => void v.swap(new Predictor(m, { maxBatchSize: 1, maxDelayMs: 0 })),
      log: (line) => lines.push(line),
      count: (_v, result) => counts.push(result),
    },
    opts.intervalMs ?? 0,
  );
  return {
    variant,
    watcher,
    loaded,
    lines,
    counts,
    versions,
    move: (v: number) => (alias = v),
    failResolve: (why: string | null) => (resolveError = why),
    version: () => variant.predictor!.model.version,
  };
}

describe('ModelWatcher', () => {
  it('watches alias and latest URIs only', () => {
    const set = new VariantSet(planVariants('models:/clf@champion', { canary: ['models:/clf/2=5', 'models:/clf/latest=5'], shadow: ['x.onnx'] }));
    expect(watchTargets(set.all).map((t) => [t.variant.name, t.model, t.alias])).toEqual([
      ['clf@champion', 'clf', 'champion'],
      ['clf/latest', 'clf', null],
    ]);
  });

  it('an alias moved to a version with the same signature: loaded beside the old one, swapped in, the old one released once idle', async () => {
    const w = world();
    const old = w.variant.predictor!;
    old.acquire(); // a request still in flight on version 1
    w.versions.set(2, { sig: SIG3 });
    w.move(2);
    await w.watcher.check();
    expect(w.version()).toBe(2);
    expect(w.counts).toEqual(['done']);
    expect(w.lines).toEqual([
      expect.stringMatching(/^clf@champion: models:\/clf@champion moved to version 2: swapped version 1 for version 2 \(loaded in [\d.]+ s\)$/),
    ]);
    expect((old.model as FakeModel).released, 'the in-flight request still holds version 1').toBe(false);
    old.release();
    await new Promise((r) => setImmediate(r));
    expect((old.model as FakeModel).released).toBe(true);
    // Nothing moved: nothing happens.
    await w.watcher.check();
    expect(w.counts).toEqual(['done']);
  });

  it('a different signature (from the registry record) is refused before loading; logged and counted once, retried when forced', async () => {
    const w = world();
    w.versions.set(3, { sig: SIG4 });
    w.move(3);
    await w.watcher.check();
    await w.watcher.check();
    expect(w.version()).toBe(1);
    expect(w.loaded).toHaveLength(0);
    expect(w.counts).toEqual(['refused']);
    expect(w.lines).toHaveLength(1);
    expect(w.lines[0]).toMatch(
      /^clf@champion: models:\/clf@champion moved to version 3: swap refused, its inputs differ: x float32 \[-1, 3\] now, x float32 \[-1, 4\] there; version 1 keeps serving$/,
    );
    await w.watcher.check(true);
    expect(w.counts).toEqual(['refused', 'refused']);
  });

  it('without a registry signature, the loaded model is checked: refused and released', async () => {
    const w = world({ registrySignatures: false });
    w.versions.set(3, { sig: SIG4 });
    w.move(3);
    await w.watcher.check();
    expect(w.version()).toBe(1);
    expect(w.counts).toEqual(['refused']);
    expect(w.loaded).toHaveLength(1);
    expect(w.loaded[0].released).toBe(true);
  });

  it('a version that fails to load: failed, one line, the old one keeps serving; not retried until the alias moves again', async () => {
    const w = world();
    w.versions.set(4, { sig: SIG3, fail: true });
    w.versions.set(5, { sig: SIG3 });
    w.move(4);
    await w.watcher.check();
    await w.watcher.check();
    expect(w.counts).toEqual(['failed']);
    expect(w.lines).toEqual([
      'clf@champion: models:/clf@champion moved to version 4: swap failed, cannot load it: cannot read version 4; version 1 keeps serving',
    ]);
    expect(w.version()).toBe(1);
    w.move(5);
    await w.watcher.check();
    expect(w.version()).toBe(5);
    expect(w.counts).toEqual(['failed', 'done']);
  });

  it('an alias that cannot be resolved is logged once per reason; the old version keeps serving', async () => {
    const w = world();
    w.failResolve('registered model "clf" has no alias "champion"');
    await w.watcher.check();
    await w.watcher.check();
    expect(w.lines).toEqual(['clf@champion: cannot re-resolve models:/clf@champion: registered model "clf" has no alias "champion"; version 1 keeps serving']);
    expect(w.counts).toEqual([]);
    w.failResolve(null);
    await w.watcher.check();
    expect(w.version()).toBe(1);
  });

  it('checks do not overlap: a check asked for during one runs right after it, loading each version once', async () => {
    const w = world();
    const gate = new Gate();
    gate.close();
    w.versions.set(2, { sig: SIG3, gate });
    w.move(2);
    const first = w.watcher.check();
    const second = w.watcher.check();
    await new Promise((r) => setImmediate(r));
    gate.open();
    await Promise.all([first, second]);
    expect(w.loaded).toHaveLength(1);
    expect(w.counts).toEqual(['done']);
  });

  it('stop() during a load: the loaded model is released, not installed', async () => {
    const w = world();
    const gate = new Gate();
    gate.close();
    w.versions.set(2, { sig: SIG3, gate });
    w.move(2);
    const check = w.watcher.check();
    await new Promise((r) => setImmediate(r));
    const stopped = w.watcher.stop();
    gate.open();
    await Promise.all([check, stopped]);
    expect(w.version()).toBe(1);
    expect(w.loaded[0].released).toBe(true);
  });

  it('the interval re-checks on its own', async () => {
    const w = world({ intervalMs: 10 });
    w.versions.set(2, { sig: SIG3 });
    w.watcher.start();
    w.move(2);
    for (let i = 0; i < 500 && w.version() !== 2; i++) await new Promise((r) => setTimeout(r, 10));
    await w.watcher.stop();
    expect(w.version()).toBe(2);
  });

  it('signatureDiff names what differs; input order does not matter', () => {
    expect(signatureDiff(SIG3, SIG3)).toBeNull();
    const two = (a: string, b: string): ModelSignature => ({
      inputs: [
        { name: a, type: 'float32', shape: [-1, 2] },
        { name: b, type: 'int64', shape: [-1] },
      ],
      outputs: [{ name: 'y', type: 'float32', shape: [-1, 1] }],
    });
    expect(signatureDiff(two('a', 'b'), { ...two('a', 'b'), inputs: [...two('a', 'b').inputs].reverse() })).toBeNull();
    expect(signatureDiff(two('a', 'b'), two('a', 'c'))).toMatch(/^its inputs differ/);
    expect(signatureDiff(SIG3, { ...SIG3, outputs: [{ name: 'y', type: 'float64', shape: [-1, 1] }] })).toMatch(
      /its outputs differ: y float32 \[-1, 1\] now, y float64 \[-1, 1\] there/,
    );
  });
});

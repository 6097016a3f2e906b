import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamicBatcher, type BatcherOptions } from './batcher.js';
import type { Tensor } from './model-runtime.js';

type Feeds = Record<string, Tensor>;

/** A [rows, width] float32 input whose row r holds base + r*width + c. */
function rows(n: number, width = 2, base = 0, name = 'x'): Feeds {
  const data = Float32Array.from({ length: n * width }, (_, i) => base + i);
  return { [name]: { type: 'float32', data, dims: [n, width] } };
}

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

/**
 * A fake model that records every run. Outputs: y = 2x (same shape) and s = the row sums [rows].
 * A run whose input holds NaN fails, like onnxruntime refusing bad data; `hold` keeps runs pending until released.
 */
function fakeRunner(opts: { hold?: boolean } = {}) {
  const calls: { dims: number[][]; data: number[][] }[] = [];
  const pending: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const runner = async (feeds: Feeds): Promise<Feeds> => {
    calls.push({ dims: Object.values(feeds).map((t) => [...t.dims]), data: Object.values(feeds).map(values) });
    active++;
    maxActive = Math.max(maxActive, active);
    try {
      if (opts.hold) await new Promise<void>((resolve) => pending.push(resolve));
      const x = Object.values(feeds)[0];
      const xs = values(x);
      if (xs.some(Number.isNaN)) throw new Error('bad input: NaN');
      const n = x.dims[0];
      const w = xs.length / n;
      const y = Float32Array.from(xs, (v) => 2 * v);
      const s = Float32Array.from({ length: n }, (_, r) => xs.slice(r * w, (r + 1) * w).reduce((a, b) => a + b, 0));
      return { y: { type: 'float32', data: y, dims: [...x.dims] }, s: { type: 'float32', data: s, dims: [n] } };
    } finally {
      active--;
    }
  };
  return {
    runner,
    calls,
    get maxActive() {
      return maxActive;
    },
    /** Lets the oldest held run finish. */
    release() {
      pending.shift()?.();
    },
    get held() {
      return pending.length;
    },
  };
}

function batcher(fake: ReturnType<typeof fakeRunner>, opts: Partial<BatcherOptions> = {}) {
  const batches: number[] = [];
  const b = new DynamicBatcher(fake.runner, { maxBatchSize: 8, maxDelayMs: 5, dynamic: true, onBatch: (n) => batches.push(n), ...opts });
  return { b, batches };
}

/** Lets every queued promise callback run (fake timers do not advance). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('DynamicBatcher', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('waits maxDelayMs when idle, then runs what arrived in one run', async () => {
    const fake = fakeRunner();
    const { b, batches } = batcher(fake, { maxDelayMs: 5 });
    const p1 = b.submit(rows(1, 2, 0));
    await settle();
    expect(fake.calls).toHaveLength(0);
    vi.advanceTimersByTime(3);
    const p2 = b.submit(rows(2, 2, 10));
    await settle();
    expect(fake.calls, 'nothing runs before the delay is over').toHaveLength(0);
    expect(b.pending).toBe(2);
    vi.advanceTimersByTime(2);
    const [o1, o2] = await Promise.all([p1, p2]);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].dims).toEqual([[3, 2]]);
    expect(batches).toEqual([3]);
    expect(values(o1.y)).toEqual([0, 2]);
    expect(o1.y.dims).toEqual([1, 2]);
    expect(values(o2.y)).toEqual([20, 22, 24, 26]);
    expect(o2.y.dims).toEqual([2, 2]);
    expect(values(o2.s)).toEqual([21, 25]);
    expect(o2.s.dims).toEqual([2]);
  });

  it('runs at once, without waiting for the delay, as soon as maxBatchSize rows are queued', async () => {
    const fake = fakeRunner();
    const { b, batches } = batcher(fake, { maxBatchSize: 4, maxDelayMs: 1000 });
    const ps = [0, 1, 2, 3, 4, 5].map((i) => b.submit(rows(1, 2, 10 * i)));
    await settle();
    expect(fake.calls.length, 'no timer fired: the batch was full').toBeGreaterThanOrEqual(1);
    expect(fake.calls[0].dims).toEqual([[4, 2]]);
    const outs = await Promise.all(ps);
    // The two left over ran next, also without waiting.
    expect(batches).toEqual([4, 2]);
    outs.forEach((o, i) => expect(values(o.y)).toEqual([20 * i, 20 * i + 2]));
  });

  it('coalesces queued requests up to maxBatchSize rows, skipping ones that do not fit', async () => {
    const fake = fakeRunner({ hold: true });
    const { b, batches } = batcher(fake, { maxBatchSize: 4, maxDelayMs: 1000 });
    const blocker = b.submit(rows(4, 2, 0));
    await settle();
    expect(fake.calls).toHaveLength(1);
    const sizes = [3, 2, 1, 2];
    const ps = sizes.map((n, i) => b.submit(rows(n, 2, 100 * (i + 1))));
    for (let i = 0; i < 3; i++) {
      fake.release();
      await settle();
    }
    await blocker;
    const outs = await Promise.all(ps);
    // 3 + 2 > 4, so the 1-row request joins the 3-row one; the two 2-row requests make the next run.
    expect(batches).toEqual([4, 4, 4]);
    expect(fake.calls.map((c) => c.dims[0][0])).toEqual([4, 4, 4]);
    expect(fake.calls[1].data[0].slice(0, 6)).toEqual(values(rows(3, 2, 100).x));
    expect(fake.calls[1].data[0].slice(6)).toEqual(values(rows(1, 2, 300).x));
    outs.forEach((o, i) => {
      expect(o.y.dims).toEqual([sizes[i], 2]);
      expect(values(o.y)).toEqual(values(rows(sizes[i], 2, 100 * (i + 1)).x).map((v) => 2 * v));
    });
  });

  it('requests queued during a run go next together, without waiting for the delay', async () => {
    const fake = fakeRunner({ hold: true });
    const { b, batches } = batcher(fake, { maxBatchSize: 32, maxDelayMs: 50 });
    const first = b.submit(rows(1, 2, 0));
    vi.advanceTimersByTime(50);
    await settle();
    expect(fake.calls).toHaveLength(1);
    const later = [1, 2, 3].map((n, i) => b.submit(rows(n, 2, 10 * (i + 1))));
    await settle();
    expect(fake.calls, 'one run at a time').toHaveLength(1);
    fake.release();
    await first;
    await settle();
    expect(fake.calls, 'the queued requests ran without the timer').toHaveLength(2);
    expect(fake.calls[1].dims).toEqual([[6, 2]]);
    fake.release();
    const outs = await Promise.all(later);
    expect(outs.map((o) => o.y.dims[0])).toEqual([1, 2, 3]);
    expect(values(outs[2].y)).toEqual(values(rows(3, 2, 30).x).map((v) => 2 * v));
    expect(batches).toEqual([1, 6]);
    expect(fake.maxActive).toBe(1);
  });

  it('with maxRuns 2 (two instances), a second batch starts while the first runs; never a third', async () => {
    const fake = fakeRunner({ hold: true });
    const { b, batches } = batcher(fake, { maxBatchSize: 2, maxDelayMs: 5, maxRuns: 2 });
    const outs = [1, 1, 1, 1, 1, 1].map((n, i) => b.submit(rows(n, 2, 10 * i)));
    await settle();
    expect(fake.calls, 'two full batches in flight at once').toHaveLength(2);
    expect(fake.maxActive).toBe(2);
    fake.release();
    await settle();
    expect(fake.calls, 'the freed instance takes the next batch').toHaveLength(3);
    fake.release();
    fake.release();
    const answers = await Promise.all(outs);
    answers.forEach((o, i) => expect(values(o.y)).toEqual(values(rows(1, 2, 10 * i).x).map((v) => 2 * v)));
    expect(batches).toEqual([2, 2, 2]);
    expect(fake.maxActive).toBe(2);
  });

  it('never puts requests with different shapes past the batch dimension (or types) in one run', async () => {
    const fake = fakeRunner();
    const { b } = batcher(fake, { maxDelayMs: 1 });
    const i64: Feeds = { x: { type: 'int64', data: BigInt64Array.from([1n, 2n]), dims: [1, 2] } };
    const ps = [b.submit(rows(1, 2, 0)), b.submit(rows(2, 3, 100)), b.submit(rows(1, 2, 200)), b.submit(rows(1, 3, 300))];
    const typed = b.submit(i64).catch((e: Error) => e);
    vi.advanceTimersByTime(1);
    const outs = await Promise.all(ps);
    await typed;
    const shapes = fake.calls.map((c) => c.dims[0]);
    expect(shapes).toHaveLength(3);
    expect(shapes).toContainEqual([2, 2]);
    expect(shapes).toContainEqual([3, 3]);
    expect(shapes).toContainEqual([1, 2]);
    expect(fake.calls.find((c) => c.dims[0][0] === 1)!.data[0]).toEqual([1, 2]);
    expect(values(outs[1].y)).toEqual(values(rows(2, 3, 100).x).map((v) => 2 * v));
    expect(values(outs[3].s)).toEqual([300 + 301 + 302]);
  });

  it('a failing request in a batch fails alone: its neighbours get their answers', async () => {
    const fake = fakeRunner();
    const { b } = batcher(fake, { maxDelayMs: 1 });
    const bad = rows(1, 2, 0);
    (bad.x.data as Float32Array)[1] = NaN;
    const good1 = b.submit(rows(2, 2, 10));
    const poisoned = b.submit(bad);
    const good2 = b.submit(rows(1, 2, 20));
    vi.advanceTimersByTime(1);
    await expect(poisoned).rejects.toThrow('bad input: NaN');
    expect(values((await good1).y)).toEqual([20, 22, 24, 26]);
    expect(values((await good2).y)).toEqual([40, 42]);
    expect(fake.calls[0].dims).toEqual([[4, 2]]);
  });

  it('a model with a fixed batch size runs requests one at a time, in order', async () => {
    const fake = fakeRunner({ hold: true });
    const { b, batches } = batcher(fake, { dynamic: false, maxBatchSize: 32, maxDelayMs: 50 });
    const ps = [0, 1, 2, 3].map((i) => b.submit(rows(1, 2, 10 * i)));
    await settle();
    expect(fake.calls, 'no waiting for a batch that cannot form').toHaveLength(1);
    for (let i = 0; i < 4; i++) {
      expect(fake.held).toBe(1);
      fake.release();
      await ps[i];
      await settle();
    }
    expect(fake.calls.map((c) => c.data[0])).toEqual([
      [0, 1],
      [10, 11],
      [20, 21],
      [30, 31],
    ]);
    expect(batches).toEqual([1, 1, 1, 1]);
    expect(fake.maxActive).toBe(1);
    expect(values((await ps[3]).y)).toEqual([60, 62]);
  });

  it('maxBatchSize 1 turns batching off; maxDelayMs 0 runs without a timer', async () => {
    const fake = fakeRunner();
    const off = batcher(fake, { maxBatchSize: 1, maxDelayMs: 50 });
    await Promise.all([off.b.submit(rows(1)), off.b.submit(rows(1, 2, 5)), off.b.submit(rows(1, 2, 9))]);
    expect(off.batches).toEqual([1, 1, 1]);
    const fake2 = fakeRunner();
    const eager = batcher(fake2, { maxDelayMs: 0 });
    const out = await eager.b.submit(rows(2, 2, 1));
    expect(values(out.y)).toEqual([2, 4, 6, 8]);
  });

  it('splits every output back by rows, and falls back to one run each when an output has no batch dimension', async () => {
    const sizes = [1, 3, 2];
    const fake = fakeRunner();
    const { b } = batcher(fake, { maxDelayMs: 1 });
    const ps = sizes.map((n, i) => b.submit(rows(n, 3, 1000 * i)));
    vi.advanceTimersByTime(1);
    const outs = await Promise.all(ps);
    expect(fake.calls).toHaveLength(1);
    outs.forEach((o, i) => {
      const x = values(rows(sizes[i], 3, 1000 * i).x);
      expect(o.y.dims).toEqual([sizes[i], 3]);
      expect(values(o.y)).toEqual(x.map((v) => 2 * v));
      expect(values(o.s)).toEqual(Array.from({ length: sizes[i] }, (_, r) => x[3 * r] + x[3 * r + 1] + x[3 * r + 2]));
    });

    // An output that sums over the batch cannot be split: every request then runs alone.
    const calls: number[] = [];
    const total = new DynamicBatcher(
      async (feeds) => {
        const x = feeds.x;
        calls.push(x.dims[0]);
        return { total: { type: 'float32', data: Float32Array.of(values(x).reduce((a, v) => a + v, 0)), dims: [1] } };
      },
      { maxBatchSize: 16, maxDelayMs: 1, dynamic: true },
    );
    const tp = [total.submit(rows(2, 2, 0)), total.submit(rows(3, 2, 0))];
    vi.advanceTimersByTime(1);
    const [t1, t2] = await Promise.all(tp);
    expect(calls).toEqual([5, 2, 3]);
    expect(values(t1.total)).toEqual([0 + 1 + 2 + 3]);
    expect(values(t2.total)).toEqual([15]);
  });

  it('concatenates int64 (BigInt64Array) inputs and several inputs per request', async () => {
    const seen: Feeds[] = [];
    const b = new DynamicBatcher(
      async (feeds) => {
        seen.push(feeds);
        const a = feeds.a.data as BigInt64Array;
        const c = feeds.c.data as Float32Array;
        return { out: { type: 'float32', data: Float32Array.from(c, (v, i) => v + Number(a[i])), dims: [...feeds.c.dims] } };
      },
      { maxBatchSize: 16, maxDelayMs: 1, dynamic: true },
    );
    const req = (k: bigint, n: number): Feeds => ({
      a: { type: 'int64', data: BigInt64Array.from({ length: n }, (_, i) => k * 10n + BigInt(i)), dims: [n, 1] },
      c: { type: 'float32', data: Float32Array.from({ length: n }, () => 0.5), dims: [n, 1] },
    });
    const ps = [b.submit(req(1n, 2)), b.submit(req(2n, 1))];
    vi.advanceTimersByTime(1);
    const [o1, o2] = await Promise.all(ps);
    expect(seen).toHaveLength(1);
    expect(seen[0].a.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(seen[0].a.data as BigInt64Array)).toEqual([10n, 11n, 20n]);
    expect(seen[0].c.dims).toEqual([3, 1]);
    expect(values(o1.out)).toEqual([10.5, 11.5]);
    expect(values(o2.out)).toEqual([20.5]);
  });
});

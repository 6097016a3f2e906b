import { describe, expect, it } from 'vitest';
import type { BatchEntry, Run } from '../../core/entities.js';
import { MlxError } from '../../core/errors.js';
import { BATCH_LIMITS, batchRequests, collectBatch } from './batch.js';

const run = (params: Record<string, string> = {}, stage: 'active' | 'deleted' = 'active'): Run =>
  ({ info: { run_id: 'r', lifecycle_stage: stage }, params, metrics: {}, tags: {}, inputs: [] }) as unknown as Run;

const metric = (i: number): BatchEntry => ({ type: 'metric', key: `m${i % 3}`, value: i, step: i, timestamp: 1 });

describe('log-batch requests within MLflow limits', () => {
  it('splits params first, then tags, then metrics, each request within every limit, nothing lost', async () => {
    const entries: BatchEntry[] = [
      ...Array.from({ length: 2500 }, (_, i) => metric(i)),
      ...Array.from({ length: 150 }, (_, i) => ({ type: 'tag' as const, key: `t${i}`, value: 'v' })),
      ...Array.from({ length: 230 }, (_, i) => ({ type: 'param' as const, key: `p${i}`, value: 'v' })),
    ];
    const batch = await collectBatch('r', entries, async () => run());
    const bodies = batchRequests(batch);
    for (const b of bodies) {
      expect(b.metrics.length).toBeLessThanOrEqual(BATCH_LIMITS.metrics);
      expect(b.params.length).toBeLessThanOrEqual(BATCH_LIMITS.params);
      expect(b.tags.length).toBeLessThanOrEqual(BATCH_LIMITS.tags);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(BATCH_LIMITS.total);
    }
    const kinds = bodies.flatMap((b) => [...b.params.map(() => 'p'), ...b.tags.map(() => 't'), ...b.metrics.map(() => 'm')]).join('');
    expect(kinds).toMatch(/^p{230}t{150}m{2500}$/);
    expect(bodies.flatMap((b) => b.metrics.map((m) => m.value))).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(bodies).toHaveLength(6);
  });

  it('sends a batch that fits one request as one request (atomic on the server), and an empty one as one empty request', async () => {
    const small = await collectBatch('r', [metric(1), { type: 'param', key: 'a', value: '1' }, { type: 'tag', key: 't', value: 'x' }], async () => run());
    expect(batchRequests(small)).toEqual([
      { params: [{ key: 'a', value: '1' }], tags: [{ key: 't', value: 'x' }], metrics: [{ key: 'm1', value: 1, step: 1, timestamp: 1 }] },
    ]);
    expect(batchRequests(await collectBatch('r', [], async () => run()))).toEqual([{ params: [], tags: [], metrics: [] }]);
  });

  it('counts every entry, keeps the last value of a repeated tag, sends NaN and Infinity as MLflow strings', async () => {
    const b = await collectBatch(
      'r',
      [
        { type: 'tag', key: 't', value: '1' },
        { type: 'tag', key: 't', value: '2' },
        { type: 'param', key: 'p', value: 'same' },
        { type: 'param', key: 'p', value: 'same' },
        { type: 'metric', key: 'x', value: NaN, step: 0, timestamp: 1 },
        { type: 'metric', key: 'x', value: -Infinity, step: 1, timestamp: 1 },
      ],
      async () => run(),
    );
    expect(b.counts).toEqual({ metrics: 2, params: 2, tags: 2 });
    expect(batchRequests(b)[0]).toEqual({
      params: [{ key: 'p', value: 'same' }],
      tags: [{ key: 't', value: '2' }],
      metrics: [
        { key: 'x', value: 'NaN', step: 0, timestamp: 1 },
        { key: 'x', value: '-Infinity', step: 1, timestamp: 1 },
      ],
    });
  });

  it('checks everything before sending: bad keys, conflicting params (in the batch or on the run), a deleted run', async () => {
    const refused = async (entries: BatchEntry[], re: RegExp, r = run()) => {
      const err = await collectBatch('r', entries, async () => r).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlxError);
      expect((err as MlxError).message).toMatch(re);
    };
    await refused([metric(1), { type: 'metric', key: 'bad*key', value: 1, step: 0, timestamp: 1 }], /bad\*key/);
    await refused(
      [
        { type: 'param', key: 'p', value: '1' },
        { type: 'param', key: 'p', value: '2' },
      ],
      /"p" is given twice/,
    );
    await refused([{ type: 'param', key: 'lr', value: '0.2' }], /"lr" of run r is already "0\.1"/, run({ lr: '0.1' }));
    await refused([{ type: 'param', key: 'lr', value: '0.2' }], /deleted/, run({}, 'deleted'));
  });

  it('fetches the run only when the batch holds a param', async () => {
    let loads = 0;
    const load = async () => (loads++, run());
    await collectBatch('r', [metric(1), { type: 'tag', key: 't', value: 'v' }], load);
    expect(loads).toBe(0);
    await collectBatch(
      'r',
      [
        { type: 'param', key: 'a', value: '1' },
        { type: 'param', key: 'b', value: '1' },
      ],
      load,
    );
    expect(loads).toBe(1);
  });
});

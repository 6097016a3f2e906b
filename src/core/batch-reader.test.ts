import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BatchEntry } from './entities.js';
import { readBatchLines } from './batch-reader.js';

async function readAll(text: string): Promise<BatchEntry[]> {
  const out: BatchEntry[] = [];
  for await (const e of readBatchLines(Readable.from([text]), 'f.jsonl').entries) out.push(e);
  return out;
}

describe('readBatchLines', () => {
  it('reads metrics, params and tags, skipping blank lines', async () => {
    const entries = await readAll(
      '{"type":"metric","key":"loss","value":0.3,"step":1,"timestamp":5}\n\n{"type":"param","key":"lr","value":0.1}\r\n{"type":"tag","key":"t","value":true}\n{"type":"metric","key":"x","value":"NaN"}',
    );
    expect(entries[0]).toEqual({ type: 'metric', key: 'loss', value: 0.3, step: 1, timestamp: 5 });
    expect(entries[1]).toEqual({ type: 'param', key: 'lr', value: '0.1' });
    expect(entries[2]).toEqual({ type: 'tag', key: 't', value: 'true' });
    expect(entries[3]).toMatchObject({ type: 'metric', key: 'x', step: 0 });
    expect(Number.isNaN((entries[3] as { value: number }).value)).toBe(true);
  });

  it('names the line of a malformed entry', async () => {
    await expect(readAll('{"type":"param","key":"a","value":"1"}\n{not json}\n')).rejects.toThrow(/^f\.jsonl line 2: not valid JSON/);
    await expect(readAll('\n\n{"type":"metric","key":"a","value":"x"}')).rejects.toThrow(/^f\.jsonl line 3: metric "value" must be a number/);
    await expect(readAll('{"type":"metric","key":"a","value":1,"step":0.5}')).rejects.toThrow(/line 1: "step" must be an integer/);
    await expect(readAll('{"type":"artifact","key":"a","value":1}')).rejects.toThrow(/line 1: "type" must be/);
    await expect(readAll('[1,2]')).rejects.toThrow(/line 1: expected a JSON object/);
  });
});

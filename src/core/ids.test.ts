import { describe, expect, it } from 'vitest';
import { newRequestId, requestIdTime } from './ids.js';

describe('request ids (UUID version 7)', () => {
  it('are RFC 9562 version-7 UUIDs carrying their time, unique, and sorting by time', () => {
    const now = Date.UTC(2026, 10, 26, 9, 45, 1, 234);
    const ids = Array.from({ length: 2000 }, (_, i) => newRequestId(now + i));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids.map((id) => requestIdTime(id))).toEqual(ids.map((_, i) => now + i));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(requestIdTime(newRequestId())).toBeCloseTo(Date.now(), -3);
  });

  it('gives no time for other ids', () => {
    for (const id of ['00000000-0000-4000-8000-000000000001', 'abc', 'client-42', '0193f3c4-5a6b-7c8d-cf01-23456789abcd']) expect(requestIdTime(id)).toBeNull();
  });
});

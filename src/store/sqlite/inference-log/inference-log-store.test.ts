import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { InferenceRecord } from '../../../inference-log/record.js';
import { openDatabase } from '../database.js';
import { decodeLogRows, InferenceLogStore, LogRowEncoder, requestKey, toLogRows, UNKNOWN_FEEDBACK_KEEP } from './inference-log-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../migrations.js';
import { newRequestId } from '../../../core/ids.js';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-ilog-')), 'mlx.db');

/** A one-row record of model clf; fields as given. */
function rec(over: Partial<InferenceRecord> = {}): InferenceRecord {
  return {
    requestId: 'r1',
    timestamp: 1000,
    route: '/invocations',
    model: 'clf',
    version: 1,
    variant: 'primary',
    shadow: false,
    latencyMs: 1.5,
    columns: ['a', 'b'],
    rows: [[1, 2]],
    predictions: ['yes'],
    ...over,
  };
}

function fresh(): InferenceLogStore {
  return new InferenceLogStore(openDatabase(':memory:', { create: true }));
}

describe('migration 3 (inference log)', () => {
  it('upgrades a registry store (schema 2) in place, keeping its runs and models, and the log works', () => {
    const file = tmpFile();
    const v2 = openDatabase(file, { create: true, migrations: MIGRATIONS.slice(0, 2) });
    expect(v2.pragma('user_version', { simple: true })).toBe(2);
    v2.prepare(
      "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, artifact_uri) VALUES ('r', 'n', 0, 'u', 'FINISHED', 1, 'a')",
    ).run();
    v2.prepare("INSERT INTO registered_models (name, creation_time, last_updated_time) VALUES ('clf', 1, 1)").run();
    v2.close();
    const db = openDatabase(file, { create: false });
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT name FROM runs').pluck().all()).toEqual(['n']);
    expect(db.prepare('SELECT name FROM registered_models').pluck().all()).toEqual(['clf']);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inference_log'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(['inference_log_by_model_time', 'inference_log_by_request']));
    const log = new InferenceLogStore(db);
    expect(log.write([rec()], null)).toEqual({ rows: 1, deleted: 0 });
    expect(log.count('clf')).toBe(1);
    db.close();
  });
});

describe('write', () => {
  it('stores one row per prediction with its input, columns (interned), variant and version', () => {
    const log = fresh();
    log.write(
      [
        rec({
          rows: [
            [1, 2],
            [3, 4],
          ],
          predictions: ['yes', 'no'],
        }),
        rec({ requestId: 'r2', columns: null, rows: null, predictions: [[0.1, 0.9]] }),
      ],
      null,
    );
    const rows = log.db.prepare('SELECT request_key, request_id, row_index, columns_id, input, prediction FROM inference_log ORDER BY id').all();
    expect(rows).toEqual([
      { request_key: requestKey('r1'), request_id: 'r1', row_index: 0, columns_id: 1, input: '[1,2]', prediction: '"yes"' },
      { request_key: requestKey('r1'), request_id: 'r1', row_index: 1, columns_id: 1, input: '[3,4]', prediction: '"no"' },
      { request_key: requestKey('r2'), request_id: 'r2', row_index: 0, columns_id: null, input: null, prediction: '[0.1,0.9]' },
    ]);
    expect(Number.isSafeInteger(requestKey('r1')) && requestKey('r1') !== requestKey('r2')).toBe(true);
    expect(log.db.prepare('SELECT names FROM inference_columns').pluck().all()).toEqual(['["a","b"]']);
    expect([...log.rows({ model: 'clf', since: 0, until: 2000 })].map((r) => r.columns)).toEqual([['a', 'b'], ['a', 'b'], null]);
  });

  it('keeps at most maxRows per model, deleting the oldest (by time) with their feedback; other models untouched', () => {
    const log = fresh();
    log.write([rec({ model: 'other', requestId: 'o1' })], 2);
    for (let i = 0; i < 5; i++) log.write([rec({ requestId: `r${i}`, timestamp: 1000 + i })], 3);
    expect(
      log.feedback([
        { request_id: 'r2', label: 'yes' },
        { request_id: 'r3', label: 'no' },
      ]),
    ).toEqual({ matched: 2, unknown: [] });
    // Two rows at once, older than nothing: r2 (and its feedback) and r3 go.
    expect(log.write([rec({ requestId: 'r5', timestamp: 2000 }), rec({ requestId: 'r6', timestamp: 2001 })], 3)).toEqual({ rows: 2, deleted: 2 });
    expect(log.db.prepare("SELECT request_id FROM inference_log WHERE model = 'clf' ORDER BY timestamp").pluck().all()).toEqual(['r4', 'r5', 'r6']);
    expect(log.db.prepare('SELECT request_id FROM inference_feedback').pluck().all()).toEqual([]);
    expect(log.count('other')).toBe(1);
  });

  it('past maxRows it deletes down to maxRows less a tenth, in one go, so deletions are rare', () => {
    const log = fresh();
    const deleted: number[] = [];
    for (let i = 0; i < 250; i++) deleted.push(log.write([rec({ requestId: `d${i}`, timestamp: i })], 100)!.deleted);
    // Each time the 101st row arrives, 11 go: 14 deletions in 250 writes, not 150.
    expect(deleted.filter((n) => n > 0)).toEqual(Array(14).fill(11));
    expect(log.count('clf')).toBe(250 - 154);
    expect(log.db.prepare('SELECT min(timestamp) FROM inference_log').pluck().get()).toBe(154);
  });

  it('retention recounts from the table, so rows another process wrote count too', () => {
    const log = fresh();
    const other = new InferenceLogStore(log.db);
    log.write([rec({ requestId: 'a' })], 100);
    for (let i = 0; i < 60; i++) other.write([rec({ requestId: `b${i}`, timestamp: 2000 + i })], null);
    for (let i = 0; i < 60; i++) log.write([rec({ requestId: `c${i}`, timestamp: 3000 + i })], 100);
    expect(log.count('clf')).toBeLessThanOrEqual(100);
    expect(log.count('clf')).toBeGreaterThanOrEqual(90);
  });

  it('with wait false, a store another connection holds returns null at once and writes nothing', () => {
    const file = tmpFile();
    const db = openDatabase(file, { create: true });
    const log = new InferenceLogStore(db);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    expect(log.write([rec()], null, { wait: false })).toBeNull();
    expect(log.feedback([{ request_id: 'r1', label: 'x' }], { wait: false })).toBeNull();
    expect(db.pragma('busy_timeout', { simple: true })).toBe(15000);
    holder.exec('ROLLBACK');
    expect(log.write([rec()], null, { wait: false })).toEqual({ rows: 1, deleted: 0 });
    holder.close();
    db.close();
  });
});

describe('feedback', () => {
  it('matches by request id (shadow and primary answers alike), reports unknown ids, the last label wins', () => {
    const log = fresh();
    log.write([rec({ requestId: 'q' }), rec({ requestId: 'q', variant: 'cand', shadow: true, predictions: ['no'] })], null);
    expect(
      log.feedback(
        [
          { request_id: 'q', label: 'no' },
          { request_id: 'zz', label: 'no' },
        ],
        { now: 5000 },
      ),
    ).toEqual({ matched: 1, unknown: ['zz'] });
    expect(log.feedback([{ request_id: 'q', label: 'yes' }], { now: 6000 })).toEqual({ matched: 1, unknown: [] });
    const labeled = log.labeled({ model: 'clf', since: 6000, until: 7000 });
    expect(labeled.map((l) => [l.variant, l.shadow, l.prediction, l.label]).sort()).toEqual([
      ['cand', true, 'no', 'yes'],
      ['primary', false, 'yes', 'yes'],
    ]);
    expect(log.labeled({ model: 'clf', since: 0, until: 6000 })).toEqual([]);
    expect(log.unknownFeedback(5000, 5001)).toBe(1);
  });

  it('keeps numbers as numbers and class names as text', () => {
    const log = fresh();
    log.write([rec({ requestId: 'n', predictions: [2.5] }), rec({ requestId: 's' })], null);
    log.feedback(
      [
        { request_id: 'n', label: 3 },
        { request_id: 's', label: '3' },
      ],
      { now: 1 },
    );
    expect(
      log
        .labeled({ model: 'clf', since: 0, until: 2 })
        .map((l) => l.label)
        .sort(),
    ).toEqual([3, '3']);
  });

  it(`keeps the newest ${UNKNOWN_FEEDBACK_KEEP} unknown ids only`, () => {
    const log = fresh();
    const items = Array.from({ length: UNKNOWN_FEEDBACK_KEEP + 5 }, (_, i) => ({ request_id: `u${i}`, label: 'x' }));
    expect(log.feedback(items, { now: 10 })!.unknown).toHaveLength(UNKNOWN_FEEDBACK_KEEP + 5);
    log.feedback([{ request_id: 'last', label: 'x' }], { now: 11 });
    expect(log.unknownFeedback(0, 100)).toBe(UNKNOWN_FEEDBACK_KEEP);
    expect(log.unknownFeedback(11, 12)).toBe(1);
  });
});

describe('windows', () => {
  it('a window is [since, until), without shadows unless a variant is named; by version; variants listed', () => {
    const log = fresh();
    log.write(
      [
        rec({ requestId: 'a', timestamp: 100 }),
        rec({ requestId: 'a', timestamp: 100, variant: 'cand', shadow: true }),
        rec({ requestId: 'b', timestamp: 200, version: 2, variant: 'canary' }),
        rec({ requestId: 'c', timestamp: 300 }),
      ],
      null,
    );
    const count = (w: object) => log.countWindow({ model: 'clf', since: 100, until: 300, ...w });
    expect(count({})).toBe(2);
    expect(count({ variant: 'cand' })).toBe(1);
    expect(count({ version: 2 })).toBe(1);
    expect(count({ since: 101 })).toBe(1);
    expect(log.variants('clf', 0, 1000)).toEqual([
      { variant: 'canary', shadow: false, rows: 1 },
      { variant: 'cand', shadow: true, rows: 1 },
      { variant: 'primary', shadow: false, rows: 2 },
    ]);
  });
});

describe('LogRowEncoder (rows as bytes, from the serving thread to the writer)', () => {
  it('decodes to exactly the rows toLogRows makes, through growth, odd text and several takes', () => {
    const enc = new LogRowEncoder(64);
    const records = Array.from({ length: 300 }, (_, i) =>
      rec({
        requestId: `r${i}`,
        columns: ['ä "quoted"', 'b,\n'],
        rows: [
          [i, -0.5],
          [1e-300, 2],
        ],
        predictions: [`λ${i}`, [0.25, 0.75]],
        version: i % 2 ? null : i,
      }),
    );
    for (const r of records.slice(0, 200)) enc.append(r);
    const taken = enc.take()!;
    expect(taken.rows).toBe(400);
    // A view of the encoder's buffer: valid until the next append.
    const first = { bytes: Uint8Array.from(taken.bytes) };
    records.push(
      rec({
        requestId: 'odd',
        rows: [
          [NaN, Infinity],
          [-0, 1e21],
        ],
        predictions: [NaN, 2.5],
        shadow: true,
      }),
      rec({ requestId: 'mixed', rows: [[1, 2]], predictions: [[1, true, 'x'] as unknown as number[]], columns: null }),
      rec({ requestId: 'image', rows: null, columns: null, predictions: ['cat'] }),
    );
    for (const r of records.slice(200)) enc.append(r);
    const second = enc.take()!;
    expect(enc.take()).toBeNull();
    expect([...decodeLogRows(first.bytes), ...decodeLogRows(second.bytes)]).toEqual(toLogRows(records));
  });

  it('encodes at most `limit` rows of a record, and lets go of a grown buffer once its rows are taken', () => {
    const enc = new LogRowEncoder(64 * 1024, 1024 * 1024);
    const n = 50_000;
    const big = rec({ requestId: 'big', rows: Array.from({ length: n }, (_, i) => [i, -i]), predictions: Array.from({ length: n }, (_, i) => `p${i}`) });
    expect(enc.append(big, 20_000)).toBe(20_000);
    expect(enc.rows).toBe(20_000);
    expect(enc.capacity).toBeGreaterThan(64 * 1024);
    const taken = decodeLogRows(enc.take()!.bytes);
    expect(taken.map((r) => r[1])).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(taken[19_999]).toEqual(toLogRows([big])[19_999]);
    // The buffer grown past 1 MB went with the rows taken: the encoder holds its first 64 KB again.
    expect(enc.capacity).toBe(64 * 1024);
    // One that stayed under keepBytes is kept, for the next batch.
    enc.append(big, 1000);
    const kept = enc.capacity;
    expect(kept).toBeGreaterThan(64 * 1024);
    enc.take();
    expect(enc.capacity).toBe(kept);
    expect(enc.append(rec({ requestId: 'small' }))).toBe(1);
    expect(decodeLogRows(enc.take()!.bytes).map((r) => r[0])).toEqual(['small']);
  });

  it('a record that fails halfway leaves nothing of itself behind', () => {
    const enc = new LogRowEncoder(64);
    enc.append(rec({ requestId: 'before' }));
    const bad = rec({ requestId: 'bad', rows: [[1], [2], [3]], predictions: ['a', 'b', 10n as unknown as number] });
    expect(() => enc.append(bad)).toThrow();
    expect(enc.rows).toBe(1);
    expect(decodeLogRows(enc.take()!.bytes).map((r) => r[0])).toEqual(['before']);
  });

  it('writes a latency that is not a number as 0 (the column is NOT NULL)', () => {
    const enc = new LogRowEncoder();
    enc.append(rec({ latencyMs: NaN }));
    expect(decodeLogRows(enc.take()!.bytes)[0][8]).toBe(0);
  });

  it('drops the oldest rows it holds, keeping the rest whole', () => {
    const enc = new LogRowEncoder(64);
    for (let i = 0; i < 10; i++) enc.append(rec({ requestId: `r${i}` }));
    expect(enc.dropOldest(7)).toBe(7);
    enc.append(rec({ requestId: 'r10' }));
    expect(enc.dropOldest(0)).toBe(0);
    expect(decodeLogRows(enc.take()!.bytes).map((r) => r[0])).toEqual(['r7', 'r8', 'r9', 'r10']);
    enc.append(rec());
    expect(enc.dropOldest(5)).toBe(1);
    expect(enc.take()).toBeNull();
  });
});

describe('requestKey', () => {
  it('orders the ids serving makes by time (the index grows at its end) and stays a safe integer', () => {
    const t = Date.UTC(2030, 0, 1);
    const keys = Array.from({ length: 100 }, (_, i) => requestKey(newRequestId(t + i * 7)));
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
    expect(keys.every((k) => Number.isSafeInteger(k) && k >= 0)).toBe(true);
    expect(requestKey(newRequestId(2 ** 48 - 1))).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });

  it('hashes other ids, the same way every time', () => {
    expect(requestKey('client-7')).toBe(requestKey('client-7'));
    expect(requestKey('client-7')).not.toBe(requestKey('client-8'));
    expect(Number.isSafeInteger(requestKey('x'.repeat(128)))).toBe(true);
  });
});

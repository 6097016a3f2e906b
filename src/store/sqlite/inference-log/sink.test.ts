import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceLogSink } from '../../../inference-log/inference-log.js';
import type { InferenceRecord } from '../../../inference-log/record.js';
import { isSampled } from '../../../inference-log/sampling.js';
import { SqliteStore } from '../sqlite-store.js';
import type { BufferedSinkOptions } from './sink.js';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

function store(): SqliteStore {
  const s = new SqliteStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-sink-')));
  open.push(s);
  return s;
}

const readers = new Map<SqliteStore, Database.Database>();

/** A connection of the test's own to the store's database: it reads what the sink committed (WAL). */
function db(s: SqliteStore): Database.Database {
  let reader = readers.get(s);
  if (!reader) {
    readers.set(s, (reader = new Database(path.join(s.uri, 'mlx.db'))));
    open.push({
      close: () => {
        readers.delete(s);
        reader!.close();
      },
    });
  }
  return reader;
}

const rec = (id: string, over: Partial<InferenceRecord> = {}): InferenceRecord => ({
  requestId: id,
  timestamp: Date.now(),
  route: '/invocations',
  model: 'clf',
  version: 1,
  variant: 'primary',
  shadow: false,
  latencyMs: 2,
  columns: ['a'],
  rows: [[1]],
  predictions: ['yes'],
  ...over,
});

/** A sink whose timer never fires during a test: writes happen on flush(), close() or a full batch. */
async function sink(s: SqliteStore, o: Partial<BufferedSinkOptions> = {}): Promise<InferenceLogSink> {
  const log = await (await s.inferenceLog()).openSink({ sampleRate: 1, maxRows: 1000, flushMs: 3_600_000, flushRows: 1_000_000, writerModules: null, ...o });
  open.push(log);
  return log;
}

const rows = (s: SqliteStore) => db(s).prepare('SELECT count(*) FROM inference_log').pluck().get() as number;

describe('sampling', () => {
  it('the sink keeps or drops both answers of a request together', async () => {
    const s = store();
    const log = await sink(s, { sampleRate: 0.5 });
    const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
    for (const id of ids) {
      log.record(rec(id));
      log.record(rec(id, { variant: 'cand', shadow: true }));
    }
    await log.flush();
    const per = db(s).prepare('SELECT request_id, count(*) AS n FROM inference_log GROUP BY request_id').all() as { n: number }[];
    expect(per.every((r) => r.n === 2)).toBe(true);
    expect(per.length).toBe(ids.filter((id) => isSampled(id, 0.5)).length);
    expect(log.stats()).toMatchObject({ recorded: per.length * 2, sampledOut: (200 - per.length) * 2 });
  });
});

describe('buffering', () => {
  it('record() only buffers; flush() writes; a full batch goes to the writer at once', async () => {
    const s = store();
    const log = await sink(s, { flushRows: 10 });
    for (let i = 0; i < 9; i++) log.record(rec(`a${i}`));
    await new Promise((r) => setImmediate(r));
    expect(rows(s)).toBe(0);
    expect(log.stats()).toMatchObject({ recorded: 9, bufferedRows: 9 });
    log.record(rec('a9'));
    await new Promise((r) => setImmediate(r));
    expect(rows(s)).toBe(10);
    expect(log.stats()).toMatchObject({ writtenRows: 10, bufferedRows: 0 });
  });

  it('close() writes what is left; records after close are ignored', async () => {
    const s = store();
    const log = await sink(s);
    log.record(rec('x', { rows: [[1], [2], [3]], predictions: ['a', 'b', 'c'] }));
    await log.close();
    expect(rows(s)).toBe(3);
    log.record(rec('y'));
    expect(log.stats().bufferedRows).toBe(0);
  });

  it('when another process holds the store, writes wait (not the thread); past the cap the oldest rows are dropped and counted', async () => {
    const s = store();
    const lines: string[] = [];
    const log = await sink(s, { maxBufferedRows: 5, log: (l) => lines.push(l) });
    const holder = new Database(path.join(s.uri, 'mlx.db'));
    holder.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 8; i++) log.record(rec(`b${i}`));
    await new Promise((r) => setImmediate(r));
    expect(log.stats()).toMatchObject({ dropped: 3, bufferedRows: 5 });
    // One warning, not one per record: it is rate-limited.
    expect(lines).toEqual([expect.stringMatching(/^inference log: the store is not keeping up; dropped \d+ rows so far/)]);
    const flushing = log.flush();
    await new Promise((r) => setTimeout(r, 30));
    expect(log.stats().busy).toBeGreaterThan(0);
    holder.exec('ROLLBACK');
    holder.close();
    await flushing;
    expect(db(s).prepare('SELECT request_id FROM inference_log ORDER BY id').pluck().all()).toEqual(['b3', 'b4', 'b5', 'b6', 'b7']);
  });

  it('a record with more rows than the buffer holds: the rows past the bound are dropped unencoded, and the memory goes once they are written', async () => {
    const s = store();
    const log = await sink(s, { maxBufferedRows: 1000 });
    const n = 50_000;
    log.record(rec('big', { rows: Array.from({ length: n }, (_, i) => [i]), predictions: Array.from({ length: n }, () => 'yes') }));
    expect(log.stats()).toMatchObject({ recorded: 1, dropped: n - 1000, bufferedRows: 1000 });
    // About 150 bytes a row: the 1,000 kept, not the 50,000 offered.
    expect(log.stats().bufferedBytes).toBeLessThan(1000 * 400);
    await log.flush();
    expect(db(s).prepare('SELECT min(row_index), max(row_index), count(*) FROM inference_log').raw().get()).toEqual([0, 999, 1000]);
    expect(log.stats().bufferedBytes).toBeLessThan(1024 * 1024);
  });

  it('a big record is encoded a slice per turn of the event loop, not all at once in record()', async () => {
    const s = store();
    const log = await sink(s, { flushRows: 1000, maxRows: 1_000_000 });
    const n = 50_000;
    log.record(rec('big', { rows: Array.from({ length: n }, (_, i) => [i]), predictions: Array.from({ length: n }, () => 'yes') }));
    // Nothing encoded nor written yet: record() returned at once.
    expect(rows(s)).toBe(0);
    expect(log.stats()).toMatchObject({ bufferedRows: n, dropped: 0 });
    let turns = 0;
    while (rows(s) < n && turns < 1000) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    expect(rows(s)).toBe(n);
    // 2,000 rows a turn: other callbacks ran in between.
    expect(turns).toBeGreaterThanOrEqual(n / 2000);
    // Small records recorded meanwhile are still encoded at once.
    log.record(rec('small'));
    expect(log.stats().bufferedRows).toBe(1);
  });

  it('a record that cannot be read is dropped alone (counted, said once); serving goes on', async () => {
    const s = store();
    const lines: string[] = [];
    const log = await sink(s, { log: (l) => lines.push(l) });
    const broken = rec('bad');
    Object.defineProperty(broken, 'predictions', {
      get: () => {
        throw new Error('no output');
      },
    });
    log.record(rec('ok1'));
    log.record(broken);
    log.record(rec('ok2'));
    await log.flush();
    expect(db(s).prepare('SELECT request_id FROM inference_log ORDER BY id').pluck().all()).toEqual(['ok1', 'ok2']);
    expect(log.stats().dropped).toBe(1);
    expect(lines).toEqual(['inference log: could not log request bad: no output']);
  });

  it('retention: the table keeps at most --log-max-rows rows of the model, the newest', async () => {
    const s = store();
    const log = await sink(s, { maxRows: 25, flushRows: 10 });
    for (let i = 0; i < 100; i++) log.record(rec(`c${i}`, { timestamp: 1000 + i }));
    await log.flush();
    // Past 25 rows, the oldest go down to 25 less a tenth (23).
    expect(rows(s)).toBe(23);
    expect(db(s).prepare('SELECT min(timestamp) FROM inference_log').pluck().get()).toBe(1077);
    expect(log.stats().deletedRows).toBe(77);
  });
});

describe('feedback', () => {
  it('joins labels to predictions still in the buffer; unknown and unsampled ids are reported apart', async () => {
    const s = store();
    const log = await sink(s, { sampleRate: 0.5 });
    const ids = Array.from({ length: 40 }, (_, i) => `f${i}`);
    for (const id of ids) log.record(rec(id));
    const result = await log.feedback([...ids.map((id) => ({ request_id: id, label: 'yes' })), { request_id: 'ghost', label: 'no' }]);
    const logged = ids.filter((id) => isSampled(id, 0.5)).length;
    expect(result.matched).toBe(logged);
    expect(result.unknown).toEqual(isSampled('ghost', 0.5) ? ['ghost'] : []);
    expect(result.unsampled).toBe(40 - logged + (isSampled('ghost', 0.5) ? 0 : 1));
  });

  it('refuses a malformed item before writing any', async () => {
    const s = store();
    const log = await sink(s);
    log.record(rec('g'));
    await expect(
      log.feedback([
        { request_id: 'g', label: 'yes' },
        { request_id: '', label: 'x' },
      ]),
    ).rejects.toThrow(/feedback item 1 has no request_id/);
    await expect(log.feedback([])).rejects.toThrow(/no feedback items/);
    expect(db(s).prepare('SELECT count(*) FROM inference_feedback').pluck().get()).toBe(0);
  });
});

describe('openSink', () => {
  it('creates the store when serving from a folder that has none yet', async () => {
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-sink-')), '.mlx');
    const ghost = new SqliteStore(root, { create: false, inMemory: true });
    open.push(ghost);
    const log = await sink(ghost);
    log.record(rec('h'));
    await log.close();
    const created = new Database(path.join(root, 'mlx.db'), { readonly: true });
    expect(created.prepare('SELECT count(*) FROM inference_log').pluck().get()).toBe(1);
    created.close();
  });

  it('refuses bad options', async () => {
    const log = await store().inferenceLog();
    await expect(log.openSink({ sampleRate: 1.5, maxRows: 10 })).rejects.toThrow(/the sample rate 1.5 must be/);
    await expect(log.openSink({ sampleRate: 1, maxRows: 0 })).rejects.toThrow(/the most rows kept, 0, must be/);
  });
});

// The writer thread loads the compiled store modules: tested against dist/ (npm test builds it first).
const DIST = new URL('../../../../dist/store/sqlite/inference-log/', import.meta.url);
const built = fs.existsSync(new URL('inference-log-store.js', DIST));

describe.skipIf(!built)('the writer thread', () => {
  it('writes, joins feedback and keeps retention off the serving thread, which keeps running while the store is locked', async () => {
    const s = store();
    const log = await sink(s, { writerModules: DIST, maxRows: 100 });
    for (let i = 0; i < 300; i++) log.record(rec(`t${i}`, { timestamp: 1000 + i }));
    await log.flush();
    expect(rows(s)).toBeLessThanOrEqual(100);
    expect(log.stats()).toMatchObject({ recorded: 300, writtenRows: 300, bufferedRows: 0 });
    expect(
      await log.feedback([
        { request_id: 't299', label: 'yes' },
        { request_id: 't0', label: 'yes' },
      ]),
    ).toEqual({ matched: 1, unknown: ['t0'] });

    const holder = new Database(path.join(s.uri, 'mlx.db'));
    holder.exec('BEGIN IMMEDIATE');
    log.record(rec('late', { timestamp: 5000 }));
    const flushing = log.flush();
    // The thread waits on the lock; this one does not.
    const ticks = await new Promise<number>((resolve) => {
      let n = 0;
      const t = setInterval(() => ++n === 5 && (clearInterval(t), resolve(n)), 5);
    });
    expect(ticks).toBe(5);
    expect(db(s).prepare("SELECT count(*) FROM inference_log WHERE request_id = 'late'").pluck().get()).toBe(0);
    holder.exec('ROLLBACK');
    holder.close();
    await flushing;
    expect(db(s).prepare("SELECT count(*) FROM inference_log WHERE request_id = 'late'").pluck().get()).toBe(1);
  });
});

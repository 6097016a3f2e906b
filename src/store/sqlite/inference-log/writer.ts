import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MlxError } from '../../../core/errors.js';
import type { FeedbackItem, FeedbackResult } from '../../../inference-log/record.js';
import type { Db } from '../database.js';
import type { InferenceLogStore } from './inference-log-store.js';
import { decodeLogRows, type EncodedRows } from './log-rows.js';

export type WriteResult = { rows: number; deleted: number };

/** Where the inference log's rows and feedback are written: a thread of its own, or (without the compiled modules) this one. */
export interface LogWriter {
  readonly threaded: boolean;
  /**
   * Writes rows in one transaction. Null: the store was busy and wait was false (nothing written;
   * try again with the same rows). A thread writer copies the bytes before it returns.
   */
  write(rows: EncodedRows, maxRows: number, wait: boolean): Promise<WriteResult | null>;
  feedback(items: FeedbackItem[], wait: boolean): Promise<FeedbackResult | null>;
  /** Resolves once every row written before it is committed. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** On the serving thread, never waiting for a store another process has locked (the caller retries). */
class LocalWriter implements LogWriter {
  readonly threaded = false;
  constructor(
    private readonly table: InferenceLogStore,
    /** A connection the writer opened itself, closed with it. */
    private readonly own: Db | null,
  ) {}

  async write(rows: EncodedRows, maxRows: number, wait: boolean): Promise<WriteResult | null> {
    return this.table.writeRows(decodeLogRows(rows.bytes), maxRows, { wait });
  }

  async feedback(items: FeedbackItem[], wait: boolean): Promise<FeedbackResult | null> {
    return this.table.feedback(items, { wait });
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.own?.close();
  }
}

// A small CommonJS script evaluated in place, as the inference worker is; it loads the compiled
// store modules by URL, so the SQL lives in one place (inference-log-store.ts). Rows arrive as
// encoded bytes in small, frequent messages (so the serving thread holds them only briefly) and
// are committed together, every COMMIT_MS or COMMIT_ROWS rows, or at once before feedback, a flush
// or close.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const COMMIT_MS = 250, COMMIT_ROWS = 5000;
let db, log, decode, timer = null;
let pending = [];
const ready = (async () => {
  const { openDatabase } = await import(workerData.databaseUrl);
  const { InferenceLogStore, decodeLogRows } = await import(workerData.storeUrl);
  decode = decodeLogRows;
  db = openDatabase(workerData.file, { create: true });
  log = new InferenceLogStore(db);
})();
ready.then(() => parentPort.postMessage({ type: 'ready' }), (err) => parentPort.postMessage({ type: 'failed', id: -1, message: String((err && err.message) || err) }));
const message = (err) => String((err && err.message) || err);
function commit() {
  if (timer) clearTimeout(timer);
  timer = null;
  const batch = pending;
  pending = [];
  if (!batch.length) return;
  try {
    const rows = batch.length === 1 ? decode(batch[0].bytes) : [].concat(...batch.map((m) => decode(m.bytes)));
    const result = log.writeRows(rows, batch[batch.length - 1].maxRows);
    batch.forEach((m, i) => parentPort.postMessage({ type: 'done', id: m.id, result: { rows: m.rows, deleted: i === batch.length - 1 ? result.deleted : 0 } }));
  } catch (err) {
    for (const m of batch) parentPort.postMessage({ type: 'failed', id: m.id, message: message(err) });
  }
}
parentPort.on('message', async (msg) => {
  await ready.catch(() => undefined);
  if (!log) return parentPort.postMessage({ type: 'failed', id: msg.id, message: 'the inference log could not be opened' });
  if (msg.type === 'write') {
    pending.push(msg);
    if (pending.reduce((n, m) => n + m.rows, 0) >= COMMIT_ROWS) commit();
    else if (!timer) timer = setTimeout(commit, COMMIT_MS);
    return;
  }
  commit();
  if (msg.type === 'close') {
    if (db.open) db.close();
    parentPort.postMessage({ type: 'done', id: msg.id, result: null });
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ type: 'done', id: msg.id, result: msg.type === 'feedback' ? log.feedback(msg.items) : null });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', id: msg.id, message: message(err) });
  }
});
`;

/** A writer thread with its own connection: SQLite's work, and any wait on a busy store, stay off the serving thread. */
class ThreadWriter implements LogWriter {
  readonly threaded = true;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { type: string; id: number; result?: unknown; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'done') p.resolve(m.result);
      else p.reject(new MlxError('INTERNAL_ERROR', m.message ?? 'the inference log writer failed'));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => this.failAll(new Error('the inference log writer stopped')));
  }

  static start(file: string, modules: URL): Promise<ThreadWriter> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, storeUrl: new URL('inference-log-store.js', modules).href, databaseUrl: new URL('../database.js', modules).href },
    });
    return new Promise((resolve, reject) => {
      worker.once('message', (m: { type: string; message?: string }) => {
        if (m.type === 'ready') {
          worker.unref();
          resolve(new ThreadWriter(worker));
        } else {
          void worker.terminate();
          reject(new MlxError('INTERNAL_ERROR', `cannot open the inference log: ${m.message}`));
        }
      });
      worker.once('error', reject);
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<T>(msg: object, transfer?: ArrayBuffer[]): Promise<T> {
    const id = this.nextId++;
    // Referenced while a call is pending, so the process stays up for the answer (and not otherwise).
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  write(rows: EncodedRows, maxRows: number): Promise<WriteResult | null> {
    // Copied, not transferred: the serving thread keeps reusing its one buffer.
    return this.call<WriteResult>({ type: 'write', bytes: rows.bytes, rows: rows.rows, maxRows });
  }

  feedback(items: FeedbackItem[]): Promise<FeedbackResult | null> {
    return this.call<FeedbackResult>({ type: 'feedback', items });
  }

  sync(): Promise<void> {
    return this.call<void>({ type: 'sync' });
  }

  async close(): Promise<void> {
    await this.call({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

/** The folder of the compiled inference log modules (this one's, in dist/), or null when running from the TypeScript sources. */
function compiledModules(): URL | null {
  const dir = new URL('./', import.meta.url);
  return fs.existsSync(fileURLToPath(new URL('inference-log-store.js', dir))) ? dir : null;
}

/**
 * The inference log a sink writes to: the store's database file, and the connection to write
 * through on this thread (null: a stand-in for a store not created yet, whose file the writer
 * creates; logging is what creates the store).
 */
export interface WriteTarget {
  file: string;
  db: Db | null;
}

/**
 * The writer of a store's inference log: a thread when the compiled modules are there (always,
 * for the installed CLI), else the serving thread. `modules` points at another compiled copy.
 */
export async function openWriter(target: WriteTarget, modules: URL | null = compiledModules()): Promise<LogWriter> {
  if (modules) return ThreadWriter.start(target.file, modules);
  const { InferenceLogStore } = await import('./inference-log-store.js');
  const { openDatabase } = await import('../database.js');
  const own = target.db ? null : openDatabase(target.file, { create: true });
  return new LocalWriter(new InferenceLogStore(target.db ?? own!), own);
}

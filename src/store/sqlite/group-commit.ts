import type { Transaction } from 'better-sqlite3';
import type { Db } from './database.js';

/**
 * Group commit: single writes that arrive in the same turn of the event loop (a tracking
 * server's concurrent requests) share one IMMEDIATE transaction, each in its own savepoint, so
 * one failing write fails alone. Each promise settles after the commit. A lone write (the CLI)
 * is one transaction, as before; a server's commits per second stop capping its writes.
 */
export class GroupCommit {
  private pending: { work: () => void; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private savepoint?: Transaction<(work: () => void) => void>;

  constructor(private readonly db: Db) {}

  run(work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ work, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.commit());
    });
  }

  private commit(): void {
    // A streamed log-batch holds a transaction open across awaits: wait for it to end.
    if (this.db.inTransaction) {
      setImmediate(() => this.commit());
      return;
    }
    const items = this.pending.splice(0);
    const failed = new Map<number, unknown>();
    // A transaction function called inside another runs as a savepoint (better-sqlite3).
    const one = (this.savepoint ??= this.db.transaction((work: () => void) => work()));
    try {
      this.db
        .transaction(() => {
          items.forEach((it, i) => {
            try {
              one(it.work);
            } catch (err) {
              failed.set(i, err);
            }
          });
        })
        .immediate();
    } catch (err) {
      for (const it of items) it.reject(err);
      return;
    }
    items.forEach((it, i) => (failed.has(i) ? it.reject(failed.get(i)) : it.resolve()));
  }
}

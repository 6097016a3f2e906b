import type { InferenceLog, InferenceLogSink } from '../../../inference-log/inference-log.js';
import type { Db } from '../database.js';
import { InferenceLogStore } from './inference-log-store.js';
import type { BufferedSinkOptions } from './sink.js';

/** The inference log of a local store (Store.inferenceLog): its tables, and the sink `mlx serve --log-inputs` reports to. */
export class SqliteInferenceLog extends InferenceLogStore implements InferenceLog {
  /**
   * file: the database file a sink writes to; it differs from db's for the empty stand-in (in
   * memory) of a store not created yet, whose sink creates the store.
   */
  constructor(
    db: Db,
    private readonly file: string = db.name,
  ) {
    super(db);
  }

  /** The sink (sink.ts); the buffering, and the writer thread, load only now. */
  async openSink(opts: BufferedSinkOptions): Promise<InferenceLogSink> {
    const { openSink } = await import('./sink.js');
    return openSink({ file: this.file, db: this.db.memory ? null : this.db }, opts);
  }
}

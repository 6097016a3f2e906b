import type { Pool, PoolClient, QueryConfig } from 'pg';
import { MlxError } from '../../core/errors.js';
import { redactUri } from '../../core/uri.js';
import { translatingErrors } from '../error-translation.js';

/** What queries run on: the pool (one statement each) or a client inside a transaction. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

const INT8 = 20;

/** A one-line reason for a connection or server error, without the password. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused; is PostgreSQL running?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found; check the host name';
    case 'ETIMEDOUT':
      return 'connection timed out; check the host, port and firewall';
    case '28P01':
    case '28000':
      return `${e.message ?? 'authentication failed'}; check the user and password (PGPASSWORD or the URI)`;
    case '3D000':
      return `${e.message}; create it first (createdb, or CREATE DATABASE)`;
  }
  return (e.message ?? String(err)).replace(/\s*\n\s*/g, ' ');
}

/** SQLSTATEs of a session the server ended (57P0x) or a connection that failed (class 08), and Node's socket errors. */
const CONNECTION_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/i;

/**
 * A PostgreSQL connection lost in the middle of a command (the server restarted or went away, an
 * administrator ended the session, the network dropped) as a one-line error that says so and what
 * to do, with the status of a server that is briefly unavailable (503); null for any other error.
 * Without it the driver's own text reached users as an "internal error" to report. Only for errors
 * from this store's own queries: a Node socket code alone does not say which connection failed.
 */
export function connectionLost(err: unknown): MlxError | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object' || err instanceof MlxError) return null;
  const lost = (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) || (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message));
  if (!lost) return null;
  const why = String(e.message ?? e.code).replace(/\s*\n\s*/g, ' ');
  return new MlxError('TEMPORARILY_UNAVAILABLE', `lost the connection to PostgreSQL: ${why}; check that the database is up, then retry`, { cause: err });
}

/**
 * A write refused because the database only reads (SQLSTATE 25006: a hot standby, or
 * default_transaction_read_only on) as the store's one-line refusal; null for any other error.
 */
export function readOnlyDatabase(err: unknown, uri: string): MlxError | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object' || err instanceof MlxError || e.code !== '25006') return null;
  return new MlxError(
    'PERMISSION_DENIED',
    `the PostgreSQL database ${redactUri(uri)} is read-only (${String(e.message)}): it is a standby, or has default_transaction_read_only on; reading works, but to write use the primary, or use a store you can write (--tracking-uri, MLX_TRACKING_URI, mlx server --backend-store-uri)`,
    { cause: err },
  );
}

/** The store with every method's failures passed through connectionLost (and readOnlyDatabase). */
export function reportingLostConnections<T extends object>(store: T): T {
  const uri = String((store as { uri?: unknown }).uri ?? 'postgresql://');
  const rethrow = (err: unknown): never => {
    throw connectionLost(err) ?? readOnlyDatabase(err, uri) ?? err;
  };
  return translatingErrors(store, rethrow);
}

/** The error for a server that cannot be reached or refuses us. */
export function connectError(uri: string, err: unknown): MlxError {
  return new MlxError('INTERNAL_ERROR', `cannot connect to ${redactUri(uri)}: ${describe(err)}`, { cause: err });
}

/** Opens a pool (pg is loaded here, on first use of a PostgreSQL store) and checks that the server answers. */
export async function openPool(uri: string, opts: { max?: number; options?: string; keepIdle?: boolean } = {}): Promise<Pool> {
  const pg = (await import('pg')).default;
  let url: URL;
  try {
    url = new URL(uri);
  } catch (err) {
    throw new MlxError('INVALID_PARAMETER_VALUE', `${redactUri(uri)} is not a valid PostgreSQL URI; use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, {
      cause: err,
    });
  }
  if (url.pathname.length <= 1)
    throw new MlxError('INVALID_PARAMETER_VALUE', `${redactUri(uri)} names no database; use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`);
  const pool = new pg.Pool({
    connectionString: uri,
    max: opts.max ?? 10,
    options: opts.options,
    connectionTimeoutMillis: 15_000,
    idleTimeoutMillis: opts.keepIdle ? 0 : 30_000,
    // BIGINT columns hold epoch milliseconds and counts, all safe integers: numbers, not strings.
    types: { getTypeParser: (oid: number, format?: string) => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')) } as never,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw connectError(uri, err);
  }
  return pool;
}

/** Runs fn in one transaction on one client: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** The rows of a query; config may name a prepared statement. */
export async function rows<T>(db: Queryable, text: string | QueryConfig, values?: unknown[]): Promise<T[]> {
  const res = typeof text === 'string' ? await db.query(text, values) : await db.query(text);
  return res.rows as T[];
}

/** The first row of a query, or undefined. */
export async function row<T>(db: Queryable, text: string | QueryConfig, values?: unknown[]): Promise<T | undefined> {
  return (await rows<T>(db, text, values))[0];
}

/** `?` placeholders → `$1, $2…`: the shared SQL is written with `?` and holds no literal question marks. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** True for PostgreSQL's unique_violation: a concurrent writer took the name or key first. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

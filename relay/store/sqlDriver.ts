/**
 * One SQL connection as the relay store uses it: PostgreSQL dialect, `$1…` placeholders, the same queries on
 * embedded PGlite (default; a data folder or memory) and on PostgreSQL (`DATABASE_URL`, through `pg`).
 * Timestamps are stored as `double precision` milliseconds so both drivers return plain numbers.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The few operations the store needs from a database. */
export interface SqlDriver {
  /** Runs one statement with parameters; resolves with its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK when it throws). */
  transaction<T>(fn: (tx: Pick<SqlDriver, 'query'>) => Promise<T>): Promise<T>;
  /** Which engine this is, for logs and the `/healthz` answer. */
  readonly kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/**
 * Shared buffers of the embedded database: 16 MB instead of PostgreSQL's default 128 MB. PGlite's WebAssembly
 * memory only grows, so the default made a relay hold ~470 MiB from start-up on (~300 MiB reopening a data
 * folder). The relay's tables are small and its per-request token lookups are answered from memory on PGlite
 * (liveTokenCache.ts); a relay that outgrows this runs on PostgreSQL (`DATABASE_URL`).
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

/** PostgreSQL start parameters of the embedded database: PGlite's own plus {@link PGLITE_SHARED_BUFFERS}. */
const PGLITE_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`];

/**
 * Opens embedded PGlite with {@link PGLITE_START_PARAMS}; a new data folder is created apart
 * ({@link createDataDirApart}).
 * @param dataDir folder holding the database (created if missing), or undefined for an in-memory database.
 */
export async function openPglite(dataDir?: string): Promise<SqlDriver> {
  if (dataDir !== undefined && !existsSync(join(dataDir, 'PG_VERSION'))) await createDataDirApart(dataDir);
  const db = await PGlite.create(dataDir ?? 'memory://', { startParams: [...PGLITE_START_PARAMS] });
  // PGlite serves one statement at a time; a queue keeps a transaction's statements together.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const query = async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> =>
    (await db.query<R>(sql, [...params])).rows;
  return {
    kind: 'pglite',
    query: (sql, params) => serial(() => query(sql, params)),
    transaction: (fn) => serial(() => db.transaction((tx) => fn({ query: async (sql, params = []) => (await tx.query(sql, [...params])).rows as never }))),
    close: () => serial(() => db.close()),
  };
}

/**
 * Creates a new PGlite data folder (initdb) in a short-lived child process. initdb grows PGlite's WebAssembly
 * memory to ~750 MiB and a process never gets that back (not even from a worker thread: its allocator keeps
 * ~170 MiB), so a relay that created its folder itself held ~350 MiB until restarted; opening the finished folder
 * needs ~200 MiB. The child uses {@link PGLITE_START_PARAMS}, as the relay does when it opens the folder.
 * @returns true when the child created the folder; false when it could not (the caller's own `PGlite.create`
 *   then creates it as before, and reports any real problem: a folder it may not write, a full disk).
 */
export async function createDataDirApart(dataDir: string): Promise<boolean> {
  const script =
    'const [module, dir, params] = JSON.parse(process.argv[1]);' +
    'const { PGlite } = await import(module);' +
    'await (await PGlite.create(dir, { startParams: params })).close();';
  const args = JSON.stringify([import.meta.resolve('@electric-sql/pglite'), dataDir, PGLITE_START_PARAMS]);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, args], { stdio: 'ignore' });
    child.once('error', () => resolve(null));
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  return code === 0 && existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Connects to PostgreSQL.
 * @param connectionString a `postgres://` URL (`DATABASE_URL`); the password in it is never logged.
 */
export async function openPostgres(connectionString: string): Promise<SqlDriver> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // Fail now with a clear message rather than at the first request.
  const client = await pool.connect();
  client.release();
  return {
    kind: 'postgres',
    query: async (sql, params = []) => (await pool.query(sql, [...params])).rows as never,
    async transaction(fn) {
      const tx = await pool.connect();
      try {
        await tx.query('BEGIN');
        const result = await fn({ query: async (sql, params = []) => (await tx.query(sql, [...params])).rows as never });
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        tx.release();
      }
    },
    close: () => pool.end(),
  };
}

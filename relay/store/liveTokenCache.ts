/**
 * Live token lookups kept in memory, for the embedded database only (issue 12: the relay's share of a call).
 *
 * Every `/mcp` request and every device upgrade looks its bearer token up by digest. On PGlite each lookup runs
 * the query through a WebAssembly PostgreSQL, about 0.7 ms of the relay's CPU; an `/mcp` call made with a
 * personal access token needs two (access, then personal). Yet tokens change only when the relay itself writes.
 *
 * Why this is exact, not a time-limited guess: a PGlite data folder is owned by one relay process (README: "with
 * the embedded database, run `tg-relay user …` while the relay is stopped"), so every change to it goes through
 * that process's store. {@link watchWrites} sees every statement that is not a plain `SELECT` (and every
 * transaction) and empties the cache when the statement is issued and again when it settles, so a lookup that
 * raced a revocation can never put a stale record back ({@link LiveTokenCache.generation}). Expiry is checked
 * against the caller's `now` on every hit. PostgreSQL (`DATABASE_URL`) may be shared by several relays, whose
 * writes this process never sees: there the store does not cache at all.
 *
 * What is cached: live records only (a miss is never remembered, so a flood of wrong tokens cannot push good
 * ones out), at most {@link MAX_CACHED_TOKENS}, oldest first out. A digest is the table's primary key, so a record
 * cached under one kind also answers "none" for every other kind without asking the database.
 */
import type { SqlDriver } from './sqlDriver.js';
import type { TokenKind, TokenRecord } from './relayStore.js';

/** Most live token records kept; past it the oldest is dropped (the next lookup of it asks the database). */
export const MAX_CACHED_TOKENS = 10_000;

/** A plain read: the only statements that leave the cache as it is. */
const PLAIN_SELECT = /^\s*SELECT\b/i;

/** Live token records by digest, valid until the next write to the database. */
export class LiveTokenCache {
  private readonly records = new Map<string, TokenRecord>();
  private writes = 0;

  /** Changes whenever the cache is emptied; a lookup may fill only when it is unchanged since the lookup began. */
  get generation(): number {
    return this.writes;
  }

  /** Empties the cache: something in the database may have changed. */
  invalidate(): void {
    this.writes += 1;
    this.records.clear();
  }

  /**
   * What the cache knows of the live token with this digest and kind at `now` (ms since the epoch): the record,
   * `null` when a live token with this digest has another kind (so none of this kind exists), or `undefined`
   * when it does not know (ask the database).
   */
  lookup(tokenHash: string, kind: TokenKind, now: number): TokenRecord | null | undefined {
    const record = this.records.get(tokenHash);
    if (record === undefined) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= now) {
      this.records.delete(tokenHash);
      return undefined;
    }
    return record.kind === kind ? copyOf(record) : null;
  }

  /** Keeps a live record the database returned for a lookup begun at `generation` (ignored if a write came since). */
  remember(record: TokenRecord, generation: number): void {
    if (generation !== this.writes || record.revokedAt !== null) return;
    this.records.delete(record.tokenHash);
    this.records.set(record.tokenHash, copyOf(record));
    if (this.records.size > MAX_CACHED_TOKENS) this.records.delete(this.records.keys().next().value!);
  }
}

function copyOf(record: TokenRecord): TokenRecord {
  return { ...record, scopes: [...record.scopes] };
}

/**
 * The same driver, calling `onWrite` when any statement other than a plain `SELECT`, or any transaction, is
 * issued and again when it settles (whether it succeeded or not).
 */
export function watchWrites(db: SqlDriver, onWrite: () => void): SqlDriver {
  const around = async <T>(work: () => Promise<T>): Promise<T> => {
    onWrite();
    try {
      return await work();
    } finally {
      onWrite();
    }
  };
  return {
    kind: db.kind,
    query: (sql, params) => (PLAIN_SELECT.test(sql) ? db.query(sql, params) : around(() => db.query(sql, params))),
    transaction: (fn) => around(() => db.transaction(fn)),
    close: () => db.close(),
  };
}

/**
 * The relay's schema, as numbered migrations applied in order and recorded in `relay_migrations`. A
 * migration never changes once released: a schema change is a new entry at the end. Secrets appear only as
 * SHA-256 digests (`*_hash` columns) or argon2id hashes (passwords); the TOTP seed is the one secret kept,
 * because checking a code needs it.
 */
import type { SqlDriver } from './sqlDriver.js';

/** One schema step: its number and its statements. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, tokens, oauth clients, codes, devices, pairing, sign-in sessions',
    sql: `
      CREATE TABLE relay_users (
        id text PRIMARY KEY,
        password_hash text,
        totp_secret text,
        created_at double precision NOT NULL
      );
      CREATE TABLE relay_oauth_clients (
        client_id text PRIMARY KEY,
        user_id text REFERENCES relay_users(id) ON DELETE CASCADE,
        client_name text,
        metadata text NOT NULL,
        created_at double precision NOT NULL,
        deleted_at double precision
      );
      CREATE TABLE relay_devices (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES relay_users(id) ON DELETE CASCADE,
        name text NOT NULL,
        public_key text,
        created_at double precision NOT NULL,
        last_seen_at double precision,
        revoked_at double precision
      );
      CREATE INDEX relay_devices_user ON relay_devices(user_id);
      CREATE TABLE relay_tokens (
        token_hash text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('access', 'refresh', 'personal', 'bridge')),
        user_id text NOT NULL REFERENCES relay_users(id) ON DELETE CASCADE,
        client_id text REFERENCES relay_oauth_clients(client_id) ON DELETE CASCADE,
        device_id text REFERENCES relay_devices(id) ON DELETE CASCADE,
        family text,
        label text,
        resource text,
        scopes text NOT NULL DEFAULT '',
        source text NOT NULL DEFAULT 'issued',
        created_at double precision NOT NULL,
        expires_at double precision,
        revoked_at double precision
      );
      CREATE INDEX relay_tokens_user ON relay_tokens(user_id);
      CREATE INDEX relay_tokens_client ON relay_tokens(client_id);
      CREATE INDEX relay_tokens_family ON relay_tokens(family);
      CREATE TABLE relay_oauth_codes (
        code_hash text PRIMARY KEY,
        client_id text NOT NULL REFERENCES relay_oauth_clients(client_id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES relay_users(id) ON DELETE CASCADE,
        redirect_uri text NOT NULL,
        code_challenge text NOT NULL,
        resource text,
        scopes text NOT NULL DEFAULT '',
        expires_at double precision NOT NULL,
        used_at double precision
      );
      CREATE TABLE relay_grants (
        user_id text NOT NULL REFERENCES relay_users(id) ON DELETE CASCADE,
        client_id text NOT NULL REFERENCES relay_oauth_clients(client_id) ON DELETE CASCADE,
        device_scope text,
        created_at double precision NOT NULL,
        PRIMARY KEY (user_id, client_id)
      );
      CREATE TABLE relay_pairings (
        device_code_hash text PRIMARY KEY,
        user_code text NOT NULL UNIQUE,
        public_key text NOT NULL,
        device_name text NOT NULL,
        user_id text REFERENCES relay_users(id) ON DELETE CASCADE,
        device_id text,
        created_at double precision NOT NULL,
        expires_at double precision NOT NULL,
        approved_at double precision,
        consumed_at double precision
      );
      CREATE TABLE relay_web_sessions (
        session_hash text PRIMARY KEY,
        user_id text NOT NULL REFERENCES relay_users(id) ON DELETE CASCADE,
        csrf_hash text NOT NULL,
        created_at double precision NOT NULL,
        expires_at double precision NOT NULL
      );
    `,
  },
];

/** Advisory lock key held while migrating: relay replicas starting at once migrate one after the other. */
const MIGRATION_LOCK = 7_215_000;

/**
 * Brings the database up to the newest migration, all pending ones in one transaction that first takes an
 * advisory lock, so that relay replicas starting together against one PostgreSQL never run the same
 * migration twice (a second replica waits, then finds the schema current).
 * @returns the versions applied now (empty when the schema was current).
 * @throws Error when the database holds a newer schema than this relay knows (a downgrade).
 */
export async function migrate(db: SqlDriver): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS relay_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at double precision NOT NULL)',
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM relay_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const newest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    const unknown = [...done].filter((v) => v > newest);
    if (unknown.length > 0) {
      throw new Error(
        `the database has schema version ${Math.max(...unknown)}, newer than this relay knows (${newest}); ` +
          'run the newer relay or restore a backup',
      );
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const statement of m.sql.split(';').map((s) => s.trim()).filter(Boolean)) await tx.query(statement);
      await tx.query('INSERT INTO relay_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

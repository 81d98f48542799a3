/**
 * The relay store: every piece of relay state (accounts, devices, token digests, OAuth clients, grants,
 * authorization codes, pairing codes, sign-in sessions) behind one interface, in SQL (see migrations.ts).
 * The same queries run on PGlite and PostgreSQL. Every lookup by a secret goes through its SHA-256 digest,
 * the table's primary key: an indexed lookup, never a scan, and the secret itself is never stored.
 * Times are ms since the epoch.
 */
import { LiveTokenCache, watchWrites } from './liveTokenCache.js';
import { migrate } from './migrations.js';
import { openPglite, openPostgres, type SqlDriver } from './sqlDriver.js';

/** An account. `passwordHash` is an argon2id PHC string; `totpSecret` a base32 seed, when TOTP is on. */
export interface UserRecord {
  id: string;
  passwordHash: string | null;
  totpSecret: string | null;
  createdAt: number;
}

/** What a token opens: OAuth access / refresh, a personal access token (MCP), a device's bridge token. */
export type TokenKind = 'access' | 'refresh' | 'personal' | 'bridge';

/** A token as stored: its digest and what it grants. */
export interface TokenRecord {
  tokenHash: string;
  kind: TokenKind;
  userId: string;
  clientId: string | null;
  deviceId: string | null;
  /** Refresh-token family: every token minted from one authorization shares it (rotation, reuse detection). */
  family: string | null;
  label: string | null;
  /** RFC 8707 resource the token is bound to. */
  resource: string | null;
  scopes: string[];
  /** `config` for tokens imported from `tg-relay serve --config` (replaced on each start), else `issued`. */
  source: 'config' | 'issued';
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** A registered OAuth client (RFC 7591 metadata as JSON). */
export interface ClientRecord {
  clientId: string;
  clientName: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  deletedAt: number | null;
}

/** A single-use authorization code, by digest. */
export interface CodeRecord {
  codeHash: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string | null;
  scopes: string[];
  expiresAt: number;
  usedAt: number | null;
}

/** A person's approval of an OAuth client; `deviceScope` is what their device reported (display only). */
export interface GrantRecord {
  userId: string;
  clientId: string;
  clientName: string | null;
  deviceScope: string | null;
  createdAt: number;
}

/** A device of a user; `publicKey` is its Ed25519 key (SPKI DER, base64url) once paired. */
export interface DeviceRecord {
  id: string;
  userId: string;
  name: string;
  publicKey: string | null;
  createdAt: number;
  lastSeenAt: number | null;
  revokedAt: number | null;
}

/** A pairing in progress (RFC 8628): the device polls by device-code digest; the person enters the user code. */
export interface PairingRecord {
  deviceCodeHash: string;
  userCode: string;
  publicKey: string;
  deviceName: string;
  userId: string | null;
  deviceId: string | null;
  createdAt: number;
  expiresAt: number;
  approvedAt: number | null;
  consumedAt: number | null;
}

/** A signed-in browser on the relay's pages; the cookie value and the CSRF token are stored as digests. */
export interface WebSessionRecord {
  sessionHash: string;
  userId: string;
  csrfHash: string;
  createdAt: number;
  expiresAt: number;
}

/** The relay store port. Every method may reject with the database's error. */
export interface RelayStore {
  readonly kind: 'pglite' | 'postgres';
  /** One trivial query, for health checks. @throws the database's error. */
  ping(): Promise<void>;
  /** Creates an account. @throws Error when the id is taken. */
  addUser(user: UserRecord): Promise<void>;
  /** Creates the account when missing (used for config users); keeps an existing password. */
  ensureUser(id: string, now: number): Promise<void>;
  getUser(id: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** Deletes an account and everything it owns. @returns false when there was none. */
  removeUser(id: string): Promise<boolean>;

  insertToken(token: TokenRecord): Promise<void>;
  /** The live token with this digest and kind: not revoked, not expired at `now`. */
  findToken(tokenHash: string, kind: TokenKind, now: number): Promise<TokenRecord | undefined>;
  /** Any token with this digest, live or not (refresh reuse detection). */
  findAnyToken(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Revokes one token. @returns whether a live token was revoked. */
  revokeToken(tokenHash: string, now: number): Promise<boolean>;
  /** Revokes every token of a refresh family. */
  revokeFamily(family: string, now: number): Promise<void>;
  /** Revokes every token a user holds for a client. */
  revokeClientTokens(userId: string, clientId: string, now: number): Promise<void>;
  /** Live tokens of a user, of the given kinds. */
  listTokens(userId: string, kinds: readonly TokenKind[], now: number): Promise<TokenRecord[]>;
  /** Drops every `config` token and inserts these instead (one transaction). */
  replaceConfigTokens(tokens: readonly TokenRecord[]): Promise<void>;

  insertClient(client: ClientRecord): Promise<void>;
  /** A client that has not been deleted. */
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  /** Marks a client deleted and revokes all its tokens and grants. */
  deleteClient(clientId: string, now: number): Promise<boolean>;

  insertCode(code: CodeRecord): Promise<void>;
  /** Client and PKCE challenge of an unused, unexpired code. */
  peekCode(codeHash: string, now: number): Promise<{ clientId: string; codeChallenge: string } | undefined>;
  /** Marks a code used and returns it; undefined when unknown, used or expired (single use, atomically). */
  takeCode(codeHash: string, now: number): Promise<CodeRecord | undefined>;

  upsertGrant(userId: string, clientId: string, deviceScope: string | null, now: number): Promise<void>;
  listGrants(userId: string): Promise<GrantRecord[]>;
  /** Removes a grant and revokes the client's tokens for that user. */
  removeGrant(userId: string, clientId: string, now: number): Promise<boolean>;

  insertDevice(device: DeviceRecord): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | undefined>;
  listDevices(userId: string): Promise<DeviceRecord[]>;
  /** Revokes a device and its bridge tokens. @returns false when unknown or already revoked. */
  revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean>;
  touchDevice(id: string, now: number): Promise<void>;

  insertPairing(pairing: PairingRecord): Promise<void>;
  /** A pending pairing by the code the person typed (case-insensitive), not expired at `now`. */
  findPairingByUserCode(userCode: string, now: number): Promise<PairingRecord | undefined>;
  findPairing(deviceCodeHash: string): Promise<PairingRecord | undefined>;
  approvePairing(deviceCodeHash: string, userId: string, deviceId: string, now: number): Promise<boolean>;
  /** Marks an approved pairing consumed (the device got its credential); single use. */
  consumePairing(deviceCodeHash: string, now: number): Promise<PairingRecord | undefined>;

  insertWebSession(session: WebSessionRecord): Promise<void>;
  findWebSession(sessionHash: string, now: number): Promise<WebSessionRecord | undefined>;
  deleteWebSession(sessionHash: string): Promise<void>;

  close(): Promise<void>;
}

/** Where the store lives: a PGlite data folder, memory (undefined), or a PostgreSQL URL. */
export interface StoreLocation {
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * Opens the store and brings its schema up to date: PostgreSQL when `databaseUrl` is set, else PGlite in
 * `dataDir` (created if missing), else PGlite in memory.
 * @throws Error when the database cannot be reached or holds a newer schema.
 */
export async function openRelayStore(location: StoreLocation = {}): Promise<RelayStore> {
  const db = location.databaseUrl ? await openPostgres(location.databaseUrl) : await openPglite(location.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return new SqlRelayStore(db);
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const scopesOf = (v: unknown): string[] => String(v ?? '').split(' ').filter(Boolean);

function toToken(r: Row): TokenRecord {
  return {
    tokenHash: String(r.token_hash),
    kind: r.kind as TokenKind,
    userId: String(r.user_id),
    clientId: strOrNull(r.client_id),
    deviceId: strOrNull(r.device_id),
    family: strOrNull(r.family),
    label: strOrNull(r.label),
    resource: strOrNull(r.resource),
    scopes: scopesOf(r.scopes),
    source: r.source === 'config' ? 'config' : 'issued',
    createdAt: num(r.created_at),
    expiresAt: numOrNull(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

function toUser(r: Row): UserRecord {
  return {
    id: String(r.id),
    passwordHash: strOrNull(r.password_hash),
    totpSecret: strOrNull(r.totp_secret),
    createdAt: num(r.created_at),
  };
}

function toDevice(r: Row): DeviceRecord {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    name: String(r.name),
    publicKey: strOrNull(r.public_key),
    createdAt: num(r.created_at),
    lastSeenAt: numOrNull(r.last_seen_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

function toPairing(r: Row): PairingRecord {
  return {
    deviceCodeHash: String(r.device_code_hash),
    userCode: String(r.user_code),
    publicKey: String(r.public_key),
    deviceName: String(r.device_name),
    userId: strOrNull(r.user_id),
    deviceId: strOrNull(r.device_id),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    approvedAt: numOrNull(r.approved_at),
    consumedAt: numOrNull(r.consumed_at),
  };
}

const TOKEN_COLUMNS =
  'token_hash, kind, user_id, client_id, device_id, family, label, resource, scopes, source, created_at, expires_at, revoked_at';

function tokenParams(t: TokenRecord): unknown[] {
  return [
    t.tokenHash,
    t.kind,
    t.userId,
    t.clientId,
    t.deviceId,
    t.family,
    t.label,
    t.resource,
    t.scopes.join(' '),
    t.source,
    t.createdAt,
    t.expiresAt,
    t.revokedAt,
  ];
}

/** Advisory lock key serializing {@link RelayStore.replaceConfigTokens} across relay processes. */
const CONFIG_TOKENS_LOCK = 7_215_001;

const INSERT_TOKEN = `INSERT INTO relay_tokens (${TOKEN_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`;

/**
 * {@link RelayStore} on a {@link SqlDriver}. On PGlite, live token lookups are answered from memory until the
 * next write ({@link LiveTokenCache}: exact, since one process owns an embedded database); on PostgreSQL every
 * lookup asks the database, which other relays may change.
 */
export class SqlRelayStore implements RelayStore {
  private readonly db: SqlDriver;
  private readonly liveTokens: LiveTokenCache | undefined;

  constructor(db: SqlDriver) {
    const cache = db.kind === 'pglite' ? new LiveTokenCache() : undefined;
    this.liveTokens = cache;
    this.db = cache ? watchWrites(db, () => cache.invalidate()) : db;
  }

  get kind(): 'pglite' | 'postgres' {
    return this.db.kind;
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async addUser(user: UserRecord): Promise<void> {
    const rows = await this.db.query(
      'INSERT INTO relay_users (id, password_hash, totp_secret, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (id) DO NOTHING RETURNING id',
      [user.id, user.passwordHash, user.totpSecret, user.createdAt],
    );
    if (rows.length === 0) throw new Error(`a user named "${user.id}" already exists`);
  }

  async ensureUser(id: string, now: number): Promise<void> {
    await this.db.query(
      'INSERT INTO relay_users (id, created_at) VALUES ($1,$2) ON CONFLICT (id) DO NOTHING',
      [id, now],
    );
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM relay_users WHERE id = $1', [id]);
    return row ? toUser(row) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.db.query('SELECT * FROM relay_users ORDER BY id')).map(toUser);
  }

  async removeUser(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM relay_users WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await this.db.query(INSERT_TOKEN, tokenParams(token));
  }

  async findToken(tokenHash: string, kind: TokenKind, now: number): Promise<TokenRecord | undefined> {
    const cache = this.liveTokens;
    const known = cache?.lookup(tokenHash, kind, now);
    if (known !== undefined) return known ?? undefined;
    const generation = cache?.generation ?? 0;
    const [row] = await this.db.query(
      `SELECT t.* FROM relay_tokens t
         LEFT JOIN relay_oauth_clients c ON c.client_id = t.client_id
         LEFT JOIN relay_devices d ON d.id = t.device_id
        WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > $3)
          AND (t.client_id IS NULL OR c.deleted_at IS NULL)
          AND (t.device_id IS NULL OR d.revoked_at IS NULL)`,
      [tokenHash, kind, now],
    );
    if (!row) return undefined;
    const record = toToken(row);
    cache?.remember(record, generation);
    return record;
  }

  async findAnyToken(tokenHash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM relay_tokens WHERE token_hash = $1', [tokenHash]);
    return row ? toToken(row) : undefined;
  }

  async revokeToken(tokenHash: string, now: number): Promise<boolean> {
    const rows = await this.db.query(
      'UPDATE relay_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING token_hash',
      [tokenHash, now],
    );
    return rows.length > 0;
  }

  async revokeFamily(family: string, now: number): Promise<void> {
    await this.db.query('UPDATE relay_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL', [
      family,
      now,
    ]);
  }

  async revokeClientTokens(userId: string, clientId: string, now: number): Promise<void> {
    await this.db.query(
      'UPDATE relay_tokens SET revoked_at = $3 WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL',
      [userId, clientId, now],
    );
  }

  async listTokens(userId: string, kinds: readonly TokenKind[], now: number): Promise<TokenRecord[]> {
    const rows = await this.db.query(
      `SELECT * FROM relay_tokens WHERE user_id = $1 AND kind = ANY($2::text[]) AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at`,
      [userId, [...kinds], now],
    );
    return rows.map(toToken);
  }

  async replaceConfigTokens(tokens: readonly TokenRecord[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Relay replicas starting at once each replace the config tokens: one after the other, or the second
      // one's inserts collide with the first one's rows.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [CONFIG_TOKENS_LOCK]);
      await tx.query("DELETE FROM relay_tokens WHERE source = 'config'");
      for (const t of tokens) await tx.query(INSERT_TOKEN, tokenParams({ ...t, source: 'config' }));
    });
  }

  async insertClient(client: ClientRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO relay_oauth_clients (client_id, client_name, metadata, created_at) VALUES ($1,$2,$3,$4)',
      [client.clientId, client.clientName, JSON.stringify(client.metadata), client.createdAt],
    );
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const [row] = await this.db.query(
      'SELECT * FROM relay_oauth_clients WHERE client_id = $1 AND deleted_at IS NULL',
      [clientId],
    );
    if (!row) return undefined;
    return {
      clientId: String(row.client_id),
      clientName: strOrNull(row.client_name),
      metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
      createdAt: num(row.created_at),
      deletedAt: numOrNull(row.deleted_at),
    };
  }

  async deleteClient(clientId: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        'UPDATE relay_oauth_clients SET deleted_at = $2 WHERE client_id = $1 AND deleted_at IS NULL RETURNING client_id',
        [clientId, now],
      );
      await tx.query('UPDATE relay_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL', [
        clientId,
        now,
      ]);
      await tx.query('DELETE FROM relay_grants WHERE client_id = $1', [clientId]);
      return rows.length > 0;
    });
  }

  async insertCode(code: CodeRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO relay_oauth_codes (code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scopes, expires_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [
        code.codeHash,
        code.clientId,
        code.userId,
        code.redirectUri,
        code.codeChallenge,
        code.resource,
        code.scopes.join(' '),
        code.expiresAt,
      ],
    );
  }

  async takeCode(codeHash: string, now: number): Promise<CodeRecord | undefined> {
    const [row] = await this.db.query(
      `UPDATE relay_oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
       RETURNING *`,
      [codeHash, now],
    );
    if (!row) return undefined;
    return {
      codeHash: String(row.code_hash),
      clientId: String(row.client_id),
      userId: String(row.user_id),
      redirectUri: String(row.redirect_uri),
      codeChallenge: String(row.code_challenge),
      resource: strOrNull(row.resource),
      scopes: scopesOf(row.scopes),
      expiresAt: num(row.expires_at),
      usedAt: numOrNull(row.used_at),
    };
  }

  async peekCode(codeHash: string, now: number): Promise<{ clientId: string; codeChallenge: string } | undefined> {
    const [row] = await this.db.query(
      'SELECT client_id, code_challenge FROM relay_oauth_codes WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2',
      [codeHash, now],
    );
    return row ? { clientId: String(row.client_id), codeChallenge: String(row.code_challenge) } : undefined;
  }

  async upsertGrant(userId: string, clientId: string, deviceScope: string | null, now: number): Promise<void> {
    await this.db.query(
      `INSERT INTO relay_grants (user_id, client_id, device_scope, created_at) VALUES ($1,$2,$3,$4)
       ON CONFLICT (user_id, client_id) DO UPDATE SET device_scope = EXCLUDED.device_scope`,
      [userId, clientId, deviceScope, now],
    );
  }

  async listGrants(userId: string): Promise<GrantRecord[]> {
    const rows = await this.db.query(
      `SELECT g.*, c.client_name FROM relay_grants g JOIN relay_oauth_clients c ON c.client_id = g.client_id
        WHERE g.user_id = $1 AND c.deleted_at IS NULL ORDER BY g.created_at`,
      [userId],
    );
    return rows.map((r) => ({
      userId: String(r.user_id),
      clientId: String(r.client_id),
      clientName: strOrNull(r.client_name),
      deviceScope: strOrNull(r.device_scope),
      createdAt: num(r.created_at),
    }));
  }

  async removeGrant(userId: string, clientId: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        'DELETE FROM relay_grants WHERE user_id = $1 AND client_id = $2 RETURNING client_id',
        [userId, clientId],
      );
      await tx.query(
        'UPDATE relay_tokens SET revoked_at = $3 WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL',
        [userId, clientId, now],
      );
      return rows.length > 0;
    });
  }

  async insertDevice(device: DeviceRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO relay_devices (id, user_id, name, public_key, created_at) VALUES ($1,$2,$3,$4,$5)',
      [device.id, device.userId, device.name, device.publicKey, device.createdAt],
    );
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM relay_devices WHERE id = $1', [id]);
    return row ? toDevice(row) : undefined;
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    const rows = await this.db.query(
      'SELECT * FROM relay_devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
      [userId],
    );
    return rows.map(toDevice);
  }

  async revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        'UPDATE relay_devices SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
        [deviceId, userId, now],
      );
      await tx.query('UPDATE relay_tokens SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL', [
        deviceId,
        now,
      ]);
      return rows.length > 0;
    });
  }

  async touchDevice(id: string, now: number): Promise<void> {
    await this.db.query('UPDATE relay_devices SET last_seen_at = $2 WHERE id = $1', [id, now]);
  }

  async insertPairing(p: PairingRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO relay_pairings (device_code_hash, user_code, public_key, device_name, created_at, expires_at)
       VALUES ($1,$2,$3,$4,$5,$6)`,
      [p.deviceCodeHash, p.userCode, p.publicKey, p.deviceName, p.createdAt, p.expiresAt],
    );
  }

  async findPairingByUserCode(userCode: string, now: number): Promise<PairingRecord | undefined> {
    const [row] = await this.db.query(
      'SELECT * FROM relay_pairings WHERE user_code = $1 AND expires_at > $2 AND approved_at IS NULL',
      [userCode.toUpperCase(), now],
    );
    return row ? toPairing(row) : undefined;
  }

  async findPairing(deviceCodeHash: string): Promise<PairingRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM relay_pairings WHERE device_code_hash = $1', [deviceCodeHash]);
    return row ? toPairing(row) : undefined;
  }

  async approvePairing(deviceCodeHash: string, userId: string, deviceId: string, now: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE relay_pairings SET user_id = $2, device_id = $3, approved_at = $4
        WHERE device_code_hash = $1 AND approved_at IS NULL AND expires_at > $4 RETURNING device_code_hash`,
      [deviceCodeHash, userId, deviceId, now],
    );
    return rows.length > 0;
  }

  async consumePairing(deviceCodeHash: string, now: number): Promise<PairingRecord | undefined> {
    const [row] = await this.db.query(
      `UPDATE relay_pairings SET consumed_at = $2
        WHERE device_code_hash = $1 AND approved_at IS NOT NULL AND consumed_at IS NULL RETURNING *`,
      [deviceCodeHash, now],
    );
    return row ? toPairing(row) : undefined;
  }

  async insertWebSession(s: WebSessionRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO relay_web_sessions (session_hash, user_id, csrf_hash, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)',
      [s.sessionHash, s.userId, s.csrfHash, s.createdAt, s.expiresAt],
    );
  }

  async findWebSession(sessionHash: string, now: number): Promise<WebSessionRecord | undefined> {
    const [row] = await this.db.query(
      'SELECT * FROM relay_web_sessions WHERE session_hash = $1 AND expires_at > $2',
      [sessionHash, now],
    );
    if (!row) return undefined;
    return {
      sessionHash: String(row.session_hash),
      userId: String(row.user_id),
      csrfHash: String(row.csrf_hash),
      createdAt: num(row.created_at),
      expiresAt: num(row.expires_at),
    };
  }

  async deleteWebSession(sessionHash: string): Promise<void> {
    await this.db.query('DELETE FROM relay_web_sessions WHERE session_hash = $1', [sessionHash]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * A token record with the usual defaults (issued now, never expiring, not revoked, bound to nothing else)
 * for the fields not given.
 */
export function tokenRecord(
  fields: Pick<TokenRecord, 'tokenHash' | 'kind' | 'userId' | 'createdAt'> & Partial<TokenRecord>,
): TokenRecord {
  return {
    clientId: null,
    deviceId: null,
    family: null,
    label: null,
    resource: null,
    scopes: [],
    source: 'issued',
    expiresAt: null,
    revokedAt: null,
    ...fields,
  };
}

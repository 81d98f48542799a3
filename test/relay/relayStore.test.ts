/**
 * The relay store against both databases it runs on: embedded PGlite and a real PostgreSQL started on
 * loopback (Debian `postgresql`, installed by `.ci/run`) — the same queries, the same answers. Then a full
 * session on each, after which the database files and the relay logs are scanned for secrets and content.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../relay/auth.js';
import { startRelay } from '../../relay/index.js';
import { MIGRATIONS, migrate } from '../../relay/store/migrations.js';
import { openRelayStore, type RelayStore, type TokenRecord, tokenRecord } from '../../relay/store/relayStore.js';
import { createDataDirApart, openPglite, PGLITE_SHARED_BUFFERS } from '../../relay/store/sqlDriver.js';
import { type PostgresServer, startPostgres } from '../helpers/postgresServer.js';
import { FakeDevice, memoryLogger, token } from './helpers.js';
import { addAccount, MemoryOAuthClient, scopedDevice, TestBrowser } from './oauthHelpers.js';

let pg: PostgresServer | undefined;
let pgMissing = '';
const dirs: string[] = [];

beforeAll(async () => {
  const started = await startPostgres();
  if (typeof started === 'string') {
    pgMissing = started;
    console.warn(`PostgreSQL store tests skipped: ${started}`);
  } else pg = started;
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tgr-store-'));
  dirs.push(d);
  return d;
}

// One store per backend for the contract tests (opening a fresh PGlite costs seconds).
const opened = new Map<string, Promise<RelayStore>>();
const shared = (name: string, openIt: () => Promise<RelayStore>) => async () => {
  if (!opened.has(name)) opened.set(name, openIt());
  return opened.get(name)!;
};
afterAll(async () => {
  for (const s of opened.values()) await (await s).close();
});

const backends = [
  { name: 'PGlite', open: shared('PGlite', async () => openRelayStore({ dataDir: join(await tempDir(), 'db') })) },
  { name: 'PostgreSQL', open: shared('PostgreSQL', async () => openRelayStore({ databaseUrl: pg!.url })) },
] as const;

/** A personal token record created at t = 1 ms, with `overrides`. */
function personal(overrides: Partial<TokenRecord> & Pick<TokenRecord, 'tokenHash' | 'userId'>): TokenRecord {
  return tokenRecord({ kind: 'personal', createdAt: 1, ...overrides });
}

describe.each(backends)('relay store on $name', ({ name, open }) => {
  const skip = () => name === 'PostgreSQL' && pg === undefined;

  it('keeps users, finds tokens by digest only while live, and cascades deletes', async (ctx) => {
    if (skip()) return ctx.skip(pgMissing);
    const store: RelayStore = await open();
    {
      const u = `u-${randomBytes(4).toString('hex')}`;
      await store.addUser({ id: u, passwordHash: '$argon2id$x', totpSecret: null, createdAt: 5 });
      await expect(store.addUser({ id: u, passwordHash: null, totpSecret: null, createdAt: 6 })).rejects.toThrow(/already exists/);
      const t = token();
      await store.insertToken(personal({ tokenHash: hashToken(t), userId: u, expiresAt: 1_000 }));
      expect((await store.findToken(hashToken(t), 'personal', 999))?.userId).toBe(u);
      expect(await store.findToken(hashToken(t), 'bridge', 999)).toBeUndefined();
      expect(await store.findToken(hashToken(t), 'personal', 1_000)).toBeUndefined(); // expired
      await store.insertClient({ clientId: `c-${u}`, clientName: 'App', metadata: { client_id: `c-${u}` }, createdAt: 1, deletedAt: null });
      const access = token();
      await store.insertToken(personal({ tokenHash: hashToken(access), userId: u, kind: 'access', clientId: `c-${u}`, family: 'f1' }));
      expect(await store.findToken(hashToken(access), 'access', 2)).toBeDefined();
      await store.deleteClient(`c-${u}`, 3);
      expect(await store.getClient(`c-${u}`)).toBeUndefined();
      expect(await store.findToken(hashToken(access), 'access', 4)).toBeUndefined();
      expect(await store.removeUser(u)).toBe(true);
      expect(await store.findAnyToken(hashToken(t))).toBeUndefined();
    }
  });

  it('stops finding a token the moment any revocation runs, though it was just looked up', async (ctx) => {
    if (skip()) return ctx.skip(pgMissing);
    const store = await open();
    const u = `u-${randomBytes(4).toString('hex')}`;
    await store.addUser({ id: u, passwordHash: null, totpSecret: null, createdAt: 1 });
    await store.insertDevice({ id: `d-${u}`, userId: u, name: 'laptop', publicKey: null, createdAt: 1, lastSeenAt: null, revokedAt: null });
    for (const c of ['a', 'b', 'c']) {
      await store.insertClient({ clientId: `${c}-${u}`, clientName: null, metadata: {}, createdAt: 1, deletedAt: null });
    }
    // One token per revocation path, each looked up (twice) before it is revoked.
    const paths: [TokenRecord, () => Promise<unknown>][] = [
      [personal({ tokenHash: hashToken(token()), userId: u }), async () => undefined],
      [personal({ tokenHash: hashToken(token()), userId: u, kind: 'access', clientId: `a-${u}`, family: `f-${u}` }), async () => undefined],
      [personal({ tokenHash: hashToken(token()), userId: u, kind: 'access', clientId: `b-${u}` }), () => store.revokeClientTokens(u, `b-${u}`, 2)],
      [personal({ tokenHash: hashToken(token()), userId: u, kind: 'access', clientId: `c-${u}` }), () => store.deleteClient(`c-${u}`, 2)],
      [personal({ tokenHash: hashToken(token()), userId: u, kind: 'bridge', deviceId: `d-${u}` }), () => store.revokeDevice(u, `d-${u}`, 2)],
    ];
    paths[0]![1] = () => store.revokeToken(paths[0]![0].tokenHash, 2);
    paths[1]![1] = () => store.revokeFamily(`f-${u}`, 2);
    for (const [record] of paths) await store.insertToken(record);
    for (const [record, revoke] of paths) {
      expect((await store.findToken(record.tokenHash, record.kind, 2))?.userId).toBe(u);
      expect((await store.findToken(record.tokenHash, record.kind, 2))?.userId).toBe(u);
      expect(await store.findToken(record.tokenHash, 'refresh', 2)).toBeUndefined(); // a digest has one kind
      await revoke();
      expect(await store.findToken(record.tokenHash, record.kind, 3)).toBeUndefined();
    }
    // A lookup still running when a revocation is issued does not bring the token back.
    const late = personal({ tokenHash: hashToken(token()), userId: u, expiresAt: 100 });
    await store.insertToken(late);
    expect(await store.findToken(late.tokenHash, 'personal', 3)).toBeDefined();
    const racing = store.findToken(late.tokenHash, 'personal', 3);
    const revoked = store.revokeToken(late.tokenHash, 3);
    await Promise.all([racing, revoked]);
    expect(await store.findToken(late.tokenHash, 'personal', 4)).toBeUndefined();
    // Expiry is checked on every lookup; deleting the account ends its tokens too.
    const expiring = personal({ tokenHash: hashToken(token()), userId: u, expiresAt: 100 });
    await store.insertToken(expiring);
    expect(await store.findToken(expiring.tokenHash, 'personal', 99)).toBeDefined();
    expect(await store.findToken(expiring.tokenHash, 'personal', 100)).toBeUndefined();
    const kept = personal({ tokenHash: hashToken(token()), userId: u });
    await store.insertToken(kept);
    expect(await store.findToken(kept.tokenHash, 'personal', 5)).toBeDefined();
    await store.removeUser(u);
    expect(await store.findToken(kept.tokenHash, 'personal', 5)).toBeUndefined();
  });

  it('uses an authorization code once, even when two exchanges race', async (ctx) => {
    if (skip()) return ctx.skip(pgMissing);
    const store = await open();
    {
      const u = `u-${randomBytes(4).toString('hex')}`;
      await store.addUser({ id: u, passwordHash: null, totpSecret: null, createdAt: 1 });
      await store.insertClient({ clientId: `c-${u}`, clientName: null, metadata: {}, createdAt: 1, deletedAt: null });
      const code = hashToken(token());
      await store.insertCode({ codeHash: code, clientId: `c-${u}`, userId: u, redirectUri: 'https://x/cb', codeChallenge: 'ch', resource: null, scopes: ['telegram'], expiresAt: 100, usedAt: null });
      const results = await Promise.all([store.takeCode(code, 10), store.takeCode(code, 10), store.takeCode(code, 10)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(results.find(Boolean)).toMatchObject({ userId: u, scopes: ['telegram'], redirectUri: 'https://x/cb' });
    }
  });

  it('migrates once, and refuses a database newer than this relay', async (ctx) => {
    if (skip()) return ctx.skip(pgMissing);
    await open();
    // Reopening applies nothing new and keeps data; a future schema version is refused with a clear error.
    if (name === 'PGlite') {
      const db = await openPglite(join(await tempDir(), 'm'));
      expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(db)).toEqual([]);
      await db.query('INSERT INTO relay_migrations (version, name, applied_at) VALUES (999, $1, 0)', ['future']);
      await expect(migrate(db)).rejects.toThrow(/schema version 999, newer than this relay knows/);
      await db.close();
    } else {
      const again = await openRelayStore({ databaseUrl: pg!.url });
      await again.close();
    }
  });
});

describe('embedded PGlite settings', () => {
  it('creates a new data folder in a child process (its initdb memory is not the relay\'s), then opens it', async () => {
    const dir = join(await tempDir(), 'fresh');
    expect(await createDataDirApart(dir)).toBe(true);
    const db = await openPglite(dir);
    try {
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    // A folder the child cannot create is left to the relay's own PGlite, which reports why.
    expect(await createDataDirApart('/proc/no-such-place/db')).toBe(false);
    await expect(openPglite('/proc/no-such-place/db')).rejects.toThrow();
  });

  it(`runs with ${PGLITE_SHARED_BUFFERS} of shared buffers (not PostgreSQL's 128 MB), in a data folder and in memory`, async () => {
    for (const db of [await openPglite(join(await tempDir(), 'sb')), await openPglite()]) {
      try {
        expect(await db.query('SHOW shared_buffers')).toEqual([{ shared_buffers: PGLITE_SHARED_BUFFERS }]);
        // PGlite's own start parameters still apply (search_path=public is one of them).
        expect(await db.query('SHOW search_path')).toEqual([{ search_path: 'public' }]);
      } finally {
        await db.close();
      }
    }
  });
});

/** Every file under `dir` as one buffer. */
async function allBytes(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && (await stat(p)).size < 64 * 1024 * 1024) parts.push(await readFile(p));
    }
  };
  await walk(dir);
  return Buffer.concat(parts);
}

describe.each(backends)('a full session on $name leaves no secret or content in the database or the logs', ({ name }) => {
  it('scans the database files and the relay log', async (ctx) => {
    if (name === 'PostgreSQL' && pg === undefined) return ctx.skip(pgMissing);
    const dataDir = join(await tempDir(), 'relay-data');
    const { logger, lines } = memoryLogger();
    const mcpToken = token();
    const bridgeToken = token();
    const relay = await startRelay({
      users: [{ id: 'gail', mcpToken, bridgeToken }],
      logger,
      ...(name === 'PostgreSQL' ? { databaseUrl: pg!.url } : { dataDir }),
    });
    const SESSION = `1BVtsOK${randomBytes(30).toString('base64url')}`; // what a Telegram StringSession looks like
    const MESSAGE = `meet me at the old mill ${randomBytes(6).toString('hex')}`;
    const PASSWORD = `gail password ${randomBytes(4).toString('hex')}`;
    const secrets: string[] = [mcpToken, bridgeToken, SESSION, MESSAGE, PASSWORD];
    try {
      await addAccount(relay.store, 'gail-web', PASSWORD);
      await relay.store.insertToken(
        personal({ tokenHash: hashToken(`${bridgeToken}-web`), userId: 'gail-web', kind: 'bridge' }),
      );
      // The device holds the session; its answers carry message text through the relay.
      const device = await scopedDevice({
        bridgeUrl: relay.bridgeUrl,
        bridgeToken: `${bridgeToken}-web`,
        prompt: async () => ({ approved: true, scope: { access: 'read_write', chats: 'all' } }),
        answer: (call) => ({ sent: true, mode: 'send', peer: 'user:42', text: String(call.args.text ?? MESSAGE), message_id: 7 }),
      });
      secrets.push(`${bridgeToken}-web`);
      const oauth = new MemoryOAuthClient();
      const first = new StreamableHTTPClientTransport(new URL(relay.mcpUrl), { authProvider: oauth });
      await new Client({ name: 'scan', version: '1' }).connect(first).catch(() => undefined);
      const done = await new TestBrowser().authorize(oauth.authorizationUrl!, { user: 'gail-web', password: PASSWORD });
      const code = new URL(done.location!).searchParams.get('code')!;
      secrets.push(code);
      await first.finishAuth(code);
      secrets.push(oauth.saved!.access_token, oauth.saved!.refresh_token!);
      const ai = new Client({ name: 'scan', version: '1' });
      await ai.connect(new StreamableHTTPClientTransport(new URL(relay.mcpUrl), { authProvider: oauth }));
      const sent = await ai.callTool({ name: 'send_message', arguments: { peer: 'user:42', text: MESSAGE, mode: 'send' } });
      expect(JSON.stringify(sent)).toContain(MESSAGE); // the content did pass through
      await ai.close();
      await device.stop();
      // The config user's device too.
      const dev = await FakeDevice.connect(relay.bridgeUrl, bridgeToken);
      await dev.close();
    } finally {
      await relay.close();
    }
    const files = await allBytes(name === 'PostgreSQL' ? pg!.dataDir : dataDir);
    expect(files.length).toBeGreaterThan(100_000);
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(1_000);
    for (const secret of secrets) {
      expect(files.includes(Buffer.from(secret)), `database holds ${secret.slice(0, 6)}…`).toBe(false);
      expect(log.includes(secret), `log holds ${secret.slice(0, 6)}…`).toBe(false);
    }
    // Only digests are there: the digest of the config token is findable, the token is not.
    expect(files.includes(Buffer.from(hashToken(mcpToken)))).toBe(true);
  }, 120_000);
});

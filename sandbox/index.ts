/**
 * The sandbox: a local Telegram. An MTProto 2.0 server on 127.0.0.1 that an unmodified gramjs
 * `TelegramClient` connects to and uses as if it were Telegram, seeded from a fixture, with a control API for
 * tests and the demo. See SANDBOX.md for the facts this rests on.
 *
 * ```ts
 * const sandbox = await startSandbox();
 * const client = createSandboxClient(sandbox); // logged in as the seeded account
 * await client.connect();
 * // … client.getDialogs(), sandbox.control.injectIncomingMessage(…)
 * await client.destroy();
 * await sandbox.stop();
 * ```
 */
import type { TelegramClientParams } from 'telegram/client/telegramBaseClient.js';
import { AccountWorlds, fixtureAccounts } from './accounts.js';
import { Authorizations } from './auth/authorizations.js';
import { normalizePhone } from './auth/phoneCodes.js';
import { SrpPassword } from './auth/srp.js';
import { sandboxClientParams } from './client.js';
import { createControl, type SandboxControl } from './control.js';
import { defaultFixture, type Fixture, parseFixture } from './fixture.js';
import { AuthKeyStore } from './mtproto/authKeys.js';
import { MtprotoServer } from './mtproto/server.js';
import { MethodRouter } from './rpc/dispatcher.js';
import { FaultPlan } from './rpc/faults.js';
import { RpcCounter } from './rpc/rpcCounter.js';
import { allMethods } from './rpc/index.js';
import { UpdatesFeed } from './rpc/updatesFeed.js';

export {
  createSandboxClient,
  pinnedPortConnection,
  SANDBOX_API_HASH,
  SANDBOX_API_ID,
  sandboxClientParams,
} from './client.js';
export type {
  InjectedMedia,
  MediaSummary,
  ReactionSummary,
  ReadState,
  AccountControl,
  SandboxAccount,
  SandboxChannel,
  SandboxChat,
  SandboxDeletion,
  SandboxMedia,
  SandboxControl,
  SandboxSession,
  SandboxUser,
  SentMessage,
  StoredMessage,
} from './control.js';
export {
  defaultFixture,
  type Fixture,
  FixtureSchema,
  loadFixture,
  type ParsedFixture,
  parseFixture,
} from './fixture.js';
export { AuthKeyStore } from './mtproto/authKeys.js';
export { type ControlHttp, type ControlHttpOptions, startControlHttp } from './controlHttp.js';
export { fetchClientOptions, remoteSandboxClient, trustSandboxRsaKey } from './remote.js';

/** The DC id the sandbox presents itself as. */
export const SANDBOX_DC_ID = 2;

/** Ports tried when none is given: StringSession stores the port as int16, so at most 32767. */
const PORT_RANGE = { min: 20000, max: 32767 } as const;

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Address to listen on; default '127.0.0.1'. Must be an IPv4 address or host name gramjs can dial. */
  host?: string;
  /** TCP port, ≤ 32767; 0 or absent = a random free port in 20000–32767. */
  port?: number;
  /** The world to seed; default `sandbox/fixtures/default.json`. Validated with {@link FixtureSchema}. */
  fixture?: Fixture;
  /**
   * Auth keys to honour, e.g. the `authKeys` of a previous sandbox, so sessions minted there keep working after
   * a restart (a forgotten key makes gramjs's `connect()` hang, SANDBOX.md). Default: a new, empty store.
   */
  authKeys?: AuthKeyStore;
  /** How long a login code from auth.sendCode stays valid, ms; default 300 000 (5 minutes). */
  loginCodeTtlMs?: number;
  /** How long a QR login token can be accepted, ms; default 30 000 (Telegram's). */
  loginTokenTtlMs?: number;
  /** Called with every login code issued (the standalone server prints them); phone is digits only. */
  onLoginCode?: (phone: string, code: string) => void;
  /** A packet that stops arriving halfway for this long (ms) closes its connection; default 10 000. */
  stalledPacketMs?: number;
}

/** A running sandbox. */
export interface Sandbox {
  host: string;
  port: number;
  /** Always 2. */
  dcId: number;
  /** Auth keys this sandbox honours (pass to the next `startSandbox` to survive a restart). */
  authKeys: AuthKeyStore;
  /**
   * A StringSession string already authorised (a new auth key per call) for the main account, or for the account
   * with this phone (any format) or user id.
   * @throws Error when no account has that phone or id.
   */
  mintSession(phoneOrUserId?: string | number): string;
  /** gramjs TelegramClient params that reach this server: pinned-port connection class, useWSS: false, etc. */
  clientParams(): TelegramClientParams;
  control: SandboxControl;
  /** Closes the listener and every client socket. */
  stop(): Promise<void>;
}

/**
 * Encodes a gramjs StringSession (version "1"): dc_id:u8, address length:int16 BE, address, port:int16 BE,
 * auth key — the layout of `StringSession.save()`.
 */
function encodeStringSession(dcId: number, host: string, port: number, key: Buffer): string {
  const address = Buffer.from(host);
  const head = Buffer.alloc(3);
  head.writeUInt8(dcId, 0);
  head.writeInt16BE(address.length, 1);
  const portBytes = Buffer.alloc(2);
  portBytes.writeInt16BE(port, 0);
  return `1${Buffer.concat([head, address, portBytes, key]).toString('base64')}`;
}

/**
 * Starts a sandbox.
 * @throws RangeError when `port` is above 32767; Error when the fixture is invalid; the listen error (e.g.
 *   EADDRINUSE for an explicit port) otherwise.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  if (
    options.port !== undefined &&
    (!Number.isInteger(options.port) || options.port < 0 || options.port > 32767)
  ) {
    throw new RangeError(
      `sandbox port must be 0–32767 (StringSession stores it as int16), got ${options.port}`,
    );
  }
  const fixture = options.fixture ? parseFixture(options.fixture) : defaultFixture();
  let server: MtprotoServer | undefined;
  const worlds = new AccountWorlds(
    fixture,
    (s) => new UpdatesFeed(s, { pushUpdates: (...args) => server?.pushUpdates(...args) ?? 0 }),
  );
  const store = worlds.main.store;
  const logins = fixtureAccounts(fixture);
  const others = await Promise.all(
    logins.slice(1).map(async (a) => ({
      id: a.id,
      phone: a.phone,
      ...(a.password ? { password: await SrpPassword.create(a.password, a.passwordHint) } : {}),
    })),
  );
  const authKeys = options.authKeys ?? new AuthKeyStore();
  const faults = new FaultPlan();
  const rpcs = new RpcCounter();
  const address = { host, port: 0, dcId: SANDBOX_DC_ID };
  const auth = new Authorizations({
    keys: authKeys,
    account: { id: store.account.id, phone: store.account.phone ?? '' },
    ...(fixture.account.password
      ? { password: await SrpPassword.create(fixture.account.password, fixture.account.passwordHint) }
      : {}),
    others,
    push: (authKeyId, body) => server?.pushToAuthKey(authKeyId, body) ?? 0,
    loginCodeTtlMs: options.loginCodeTtlMs ?? 300_000,
    loginTokenTtlMs: options.loginTokenTtlMs ?? 30_000,
    ...(options.onLoginCode ? { onLoginCode: options.onLoginCode } : {}),
  });
  server = new MtprotoServer({
    keys: authKeys,
    dispatcher: new MethodRouter(allMethods, { worlds, faults, address, auth, counter: rpcs }),
    ...(options.stalledPacketMs !== undefined ? { stalledPacketMs: options.stalledPacketMs } : {}),
  });

  if (options.port) {
    address.port = await server.listen(host, options.port);
  } else {
    for (let attempt = 0; ; attempt++) {
      const candidate = PORT_RANGE.min + Math.floor(Math.random() * (PORT_RANGE.max - PORT_RANGE.min + 1));
      try {
        address.port = await server.listen(host, candidate);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw err;
      }
    }
  }

  const running = server;
  const port = address.port;
  return {
    host,
    port,
    dcId: SANDBOX_DC_ID,
    authKeys,
    mintSession: (who) => {
      let userId = store.account.id;
      if (typeof who === 'number') userId = who;
      else if (who !== undefined) {
        const digits = normalizePhone(who);
        userId = logins.find((a) => a.phone === digits)?.id ?? -1;
      }
      if (!worlds.get(userId)) throw new Error(`mintSession: no account ${String(who)}`);
      return encodeStringSession(SANDBOX_DC_ID, host, port, authKeys.mint(userId).key);
    },
    clientParams: () => sandboxClientParams(port),
    control: createControl(
      worlds,
      faults,
      auth,
      {
        drop: () => running.dropConnections(),
        peakPerAuthKey: () => running.peakConnectionsPerAuthKey,
        resetPeak: () => running.resetConnectionPeak(),
      },
      rpcs,
    ),
    stop: () => running.close(),
  };
}

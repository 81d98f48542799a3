/**
 * Reaching the sandbox with an unmodified gramjs client: a pinned-port connection class (gramjs's `connect()`
 * dials port 80 whatever the session says, SANDBOX.md) and client params that suit tests.
 */
import { TelegramClient } from 'telegram';
import type { TelegramClientParams } from 'telegram/client/telegramBaseClient.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { ConnectionTCPFull } from 'telegram/network/connection/TCPFull.js';
import { StringSession } from 'telegram/sessions/index.js';

/** API id the sandbox accepts (any value works; this one is used by the helpers). */
export const SANDBOX_API_ID = 611335;
/** API hash the sandbox accepts (any non-empty value works; this one is used by the helpers). */
export const SANDBOX_API_HASH = '5e6d1a8f0b7c4e29a3d6f1b2c8e7a904';

/** What {@link createSandboxClient} needs from a running sandbox. */
export interface SandboxEndpoint {
  host: string;
  port: number;
  dcId: number;
  mintSession(): string;
  clientParams(): TelegramClientParams;
}

/**
 * A `ConnectionTCPFull` subclass that always dials `port`, for `TelegramClientParams.connection`.
 * @throws RangeError when the port is outside 1–32767 (StringSession stores the port as int16).
 */
export function pinnedPortConnection(port: number): typeof ConnectionTCPFull {
  if (!Number.isInteger(port) || port < 1 || port > 32767) {
    throw new RangeError(`MTProto port must be 1–32767 (StringSession stores it as int16), got ${port}`);
  }
  return class SandboxConnection extends ConnectionTCPFull {
    constructor(params: ConstructorParameters<typeof ConnectionTCPFull>[0]) {
      super({ ...params, port });
    }
  };
}

/**
 * gramjs client params that reach a sandbox on `port`: pinned-port TCP full connection, no WSS, flood waits
 * raised instead of slept (`floodSleepThreshold: 0`), few and quick retries, logging off.
 */
export function sandboxClientParams(port: number): TelegramClientParams {
  return {
    connection: pinnedPortConnection(port),
    useWSS: false,
    floodSleepThreshold: 0,
    connectionRetries: 2,
    retryDelay: 200,
    requestRetries: 2,
    timeout: 5,
    baseLogger: new Logger(LogLevel.NONE),
    deviceModel: 'sandbox client',
    systemVersion: process.version,
    appVersion: '1.0',
  };
}

/**
 * An unconnected gramjs client for the sandbox. Without `session`: logged in as the seeded account through a
 * freshly minted session. With `''`: no auth key yet (the client runs the auth key exchange on connect and is not
 * logged in). Otherwise the given StringSession string. Call `connect()`, and `destroy()` when done (gramjs
 * leaves timers otherwise).
 */
export function createSandboxClient(sandbox: SandboxEndpoint, session?: string): TelegramClient {
  const stringSession = new StringSession(session ?? sandbox.mintSession());
  // A keyless StringSession has no address; without one gramjs would pick Telegram's DC 4.
  if (session === '') stringSession.setDC(sandbox.dcId, sandbox.host, sandbox.port);
  return new TelegramClient(stringSession, SANDBOX_API_ID, SANDBOX_API_HASH, sandbox.clientParams());
}

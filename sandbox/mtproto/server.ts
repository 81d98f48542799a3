/**
 * The MTProto TCP listener: accepts connections, tracks them, pushes server-initiated updates to the
 * connections of an account, and closes everything on stop.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AuthKeyStore } from './authKeys.js';
import { type ConnectionHost, MtprotoConnection } from './connection.js';
import { MsgIdClock } from './msgIdClock.js';
import { serverRsaKey } from './rsaKey.js';
import type { RpcDispatcher, ServerSession } from './session.js';

/** Options of {@link MtprotoServer}. */
export interface MtprotoServerOptions {
  keys: AuthKeyStore;
  dispatcher: RpcDispatcher;
  /** Unexpected failures (dispatcher bugs); default: printed when SANDBOX_DEBUG is set. */
  report?: (error: unknown, context: string) => void;
  /** A packet that stops arriving halfway for this long (ms) closes its connection; default 10 000. */
  stalledPacketMs?: number;
}

function defaultReport(error: unknown, context: string): void {
  if (process.env.SANDBOX_DEBUG) console.error(`[sandbox] ${context}:`, error);
}

/** A listening MTProto server. */
export class MtprotoServer {
  private readonly server: Server;
  private readonly connections = new Set<MtprotoConnection>();
  private readonly host: ConnectionHost;
  private peakPerKey = 0;

  constructor(options: MtprotoServerOptions) {
    this.host = {
      keys: options.keys,
      rsa: serverRsaKey(),
      clock: new MsgIdClock(),
      dispatcher: options.dispatcher,
      report: options.report ?? defaultReport,
      onClose: (c) => this.connections.delete(c),
      onAuthKey: (c) => {
        this.peakPerKey = Math.max(this.peakPerKey, this.openWithKey(c.authKeyId));
      },
      stalledPacketMs: options.stalledPacketMs ?? 10_000,
    };
    this.server = createServer((socket: Socket) => {
      this.connections.add(new MtprotoConnection(socket, this.host));
    });
  }

  /**
   * Starts listening.
   * @returns the bound port.
   * @throws the listen error (e.g. EADDRINUSE).
   */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Sends a serialised `Updates` to every live connection logged in as `userId`, in the session that last
   * talked on it, except `exceptSession` (the session whose own call caused the update).
   * @returns how many connections it was sent to.
   */
  pushUpdates(userId: number, body: Buffer, exceptSession?: ServerSession): number {
    let sent = 0;
    for (const c of this.connections) {
      const session = c.currentSession;
      if (c.userId !== userId || !session || session === exceptSession) continue;
      session.pushUpdates(body);
      sent++;
    }
    return sent;
  }

  /**
   * Sends a serialised `Updates` to every live connection using auth key `authKeyId`, logged in or not (how
   * updateLoginToken reaches a device waiting for QR login), in the session that last talked on it.
   * @returns how many connections it was sent to.
   */
  pushToAuthKey(authKeyId: bigint, body: Buffer): number {
    let sent = 0;
    for (const c of this.connections) {
      const session = c.currentSession;
      if (c.authKeyId !== authKeyId || !session) continue;
      session.pushUpdates(body);
      sent++;
    }
    return sent;
  }

  /**
   * Closes every client connection but keeps listening (a network drop): clients reconnect with their auth keys.
   * @returns how many connections were closed.
   */
  dropConnections(): number {
    const all = [...this.connections];
    for (const c of all) c.close();
    return all.length;
  }

  /**
   * The most connections one auth key has had open at the same time since start or the last
   * {@link resetConnectionPeak}. Telegram kills sessions whose auth key two clients use at once
   * (AUTH_KEY_DUPLICATED), so tests assert a second client never connects. (gramjs itself opens an extra
   * connection for file uploads, so compare around the action under test.)
   */
  get peakConnectionsPerAuthKey(): number {
    return this.peakPerKey;
  }

  /** Starts a new peak window at the current largest number of open connections of one auth key. */
  resetConnectionPeak(): void {
    let now = 0;
    for (const c of this.connections) if (c.authKeyId !== undefined) now = Math.max(now, this.openWithKey(c.authKeyId));
    this.peakPerKey = now;
  }

  private openWithKey(id: bigint | undefined): number {
    let same = 0;
    for (const other of this.connections) if (other.authKeyId === id) same++;
    return same;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops listening and closes every client connection. */
  async close(): Promise<void> {
    for (const c of [...this.connections]) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

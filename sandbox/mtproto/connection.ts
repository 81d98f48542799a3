/**
 * One client TCP connection: TCP-full framing, plain-text auth key exchange, and MTProto 2.0 decryption and
 * routing into sessions. Packets are handled one at a time, in order. A framing error, a failed exchange step or
 * a message that does not decrypt closes this connection only; an unknown auth key gets transport error -404
 * (what Telegram sends when it has forgotten a key).
 */
import type { Socket } from 'node:net';
import { BinaryReader } from 'telegram/extensions/index.js';
import { AuthKeyExchange } from './authKeyExchange.js';
import type { AuthKeyRecord, AuthKeyStore } from './authKeys.js';
import { decryptClientMessage, encryptServerMessage } from './messageCrypto.js';
import { checkClientMsgId, type MsgIdClock } from './msgIdClock.js';
import type { ServerRsaKey } from './rsaKey.js';
import { type RpcDispatcher, ServerSession, type SessionLink } from './session.js';
import { TcpFullCodec } from './tcpFull.js';
import { i32, i64 } from './tlWire.js';

/** What every connection of a server shares. */
export interface ConnectionHost {
  keys: AuthKeyStore;
  rsa: ServerRsaKey;
  clock: MsgIdClock;
  dispatcher: RpcDispatcher;
  /** Called for failures: dispatcher bugs, and the reason a connection is being closed (debugging aid). */
  report(error: unknown, context: string): void;
  /** Called once the socket is closed, for bookkeeping. */
  onClose(connection: MtprotoConnection): void;
  /** Called once, when the connection's first encrypted message names its auth key. */
  onAuthKey?(connection: MtprotoConnection): void;
  /** A packet that stops arriving halfway for this long (ms) closes the connection (a truncated frame). */
  stalledPacketMs: number;
}

/** Transport error code for "auth key not found" (sent as a 4-byte packet, negated). */
const AUTH_KEY_NOT_FOUND = -404;

let nextConnectionId = 1;

/** A client connection to the sandbox. */
export class MtprotoConnection implements SessionLink {
  readonly id = nextConnectionId++;
  private readonly codec = new TcpFullCodec();
  private readonly exchange: AuthKeyExchange;
  private readonly sessions = new Map<bigint, ServerSession>();
  private authKey: AuthKeyRecord | undefined;
  private current: ServerSession | undefined;
  private chain: Promise<void> = Promise.resolve();
  private disconnectTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.exchange = new AuthKeyExchange(host.rsa, host.keys);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** The account this connection is logged in as (through its auth key), if any. */
  get userId(): number | undefined {
    return this.authKey?.userId;
  }

  /** auth_key_id of the key this connection uses, once its first encrypted message arrived. */
  get authKeyId(): bigint | undefined {
    return this.authKey?.id;
  }

  /** The session that most recently sent an accepted message; server pushes go there. */
  get currentSession(): ServerSession | undefined {
    return this.current;
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.socket.destroy();
    this.host.onClose(this);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let payloads: Buffer[];
    try {
      payloads = this.codec.push(chunk);
    } catch (err) {
      this.host.report(err, `closing connection ${this.id}`);
      this.close();
      return;
    }
    this.watchStall();
    for (const payload of payloads) {
      this.chain = this.chain
        .then(() => (this.closed ? undefined : this.handlePacket(payload)))
        .catch((err: unknown) => {
          this.host.report(err, `closing connection ${this.id}`);
          this.close();
        });
    }
  }

  /** (Re)starts the stalled-packet timer while part of a packet is buffered; stops it otherwise. */
  private watchStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (this.codec.bufferedBytes === 0) return;
    this.stallTimer = setTimeout(() => {
      this.host.report(new Error('incomplete packet stalled'), `closing connection ${this.id}`);
      this.close();
    }, this.host.stalledPacketMs);
    this.stallTimer.unref();
  }

  private async handlePacket(payload: Buffer): Promise<void> {
    if (payload.length < 8) throw new Error('packet shorter than an auth_key_id');
    const authKeyId = payload.readBigInt64LE(0);
    if (authKeyId === 0n) {
      await this.handlePlain(payload);
      return;
    }
    const record = this.host.keys.get(authKeyId);
    if (!record) {
      this.write(i32(AUTH_KEY_NOT_FOUND));
      return;
    }
    if (this.authKey && this.authKey !== record) throw new Error('auth key changed on a live connection');
    const first = this.authKey === undefined;
    this.authKey = record;
    if (first) this.host.onAuthKey?.(this);
    const message = decryptClientMessage(record.key, payload);
    let session = this.sessions.get(message.sessionId);
    if (!session) {
      session = new ServerSession(message.sessionId, record, this, this.host.dispatcher);
      this.sessions.set(message.sessionId, session);
    }
    const badMsgId = checkClientMsgId(message.msgId);
    if (badMsgId) {
      session.rejectMsgId(message.msgId, message.seqNo, badMsgId);
      return;
    }
    if (message.salt !== record.salt) {
      session.rejectSalt(message.msgId, message.seqNo);
      return;
    }
    if (!session.announced) session.announce(message.msgId);
    this.current = session;
    record.activeAt = Date.now();
    if (this.socket.remoteAddress) record.ip = this.socket.remoteAddress;
    await session.receive(message.msgId, message.body);
  }

  /** Unencrypted message: `auth_key_id=0 msg_id:long length:int body` — only the auth key exchange. */
  private async handlePlain(payload: Buffer): Promise<void> {
    if (payload.length < 20) throw new Error('plain message too short');
    const length = payload.readInt32LE(16);
    if (length < 4 || 20 + length > payload.length) throw new Error('plain message length out of range');
    const request = new BinaryReader(payload.subarray(20, 20 + length)).tgReadObject();
    const { reply } = await this.exchange.answer(request);
    const body = reply.getBytes();
    const msgId = this.host.clock.next('response');
    this.write(Buffer.concat([i64(0n), i64(msgId), i32(body.length), body]));
  }

  /** SessionLink: encrypts and sends one message in `session`. */
  send(session: ServerSession, body: Buffer, kind: 'response' | 'server', contentRelated: boolean): void {
    if (this.closed) return;
    const packet = encryptServerMessage(session.authKey.key, session.authKey.id, {
      salt: session.authKey.salt,
      sessionId: session.id,
      msgId: this.host.clock.next(kind),
      seqNo: session.nextSeqNo(contentRelated),
      body,
    });
    this.write(packet);
  }

  /** SessionLink: ping_delay_disconnect — close unless another ping comes within `seconds`. */
  armDisconnect(seconds: number): void {
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    this.disconnectTimer = setTimeout(() => this.close(), Math.max(1, seconds) * 1000);
    this.disconnectTimer.unref();
  }

  /** SessionLink: forwards a failure report to the server. */
  report(error: unknown, context: string): void {
    this.host.report(error, context);
  }

  private write(payload: Buffer): void {
    if (this.closed) return;
    this.socket.write(this.codec.encode(payload));
  }
}

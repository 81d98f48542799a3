/**
 * One MTProto session (a client session_id under an auth key): seq_no bookkeeping and the service layer —
 * containers, gzip_packed, acks, ping/pong, invokeWithLayer/initConnection unwrapping — in front of the
 * RPC dispatcher, whose answers go back as `rpc_result` (req_msg_id = the inner message's id inside a
 * container, SANDBOX.md).
 */
import { randomBytes } from 'node:crypto';
import { unzipSync } from 'node:zlib';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import type { AuthKeyRecord, ClientInfo } from './authKeys.js';
import { RpcError } from './rpcError.js';
import { rpcResult, toTlLong } from './tlWire.js';

const CONTAINER_ID = 0x73f1f8dc;
const GZIP_PACKED_ID = 0x3072cfa1;

/** Wrapper requests whose `query` is the real call (layer/connection/takeout/… prefixes). */
const WRAPPERS = new Set([
  'InvokeWithLayer',
  'InitConnection',
  'InvokeWithoutUpdates',
  'InvokeAfterMsg',
  'InvokeAfterMsgs',
  'InvokeWithMessagesRange',
  'InvokeWithTakeout',
  'InvokeWithBusinessConnection',
  'InvokeWithGooglePlayIntegrity',
  'InvokeWithApnsSecret',
]);

/** The device and app an initConnection describes (fields as gramjs names them). */
function clientInfoOf(init: TlRequest): ClientInfo {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    apiId: typeof init.apiId === 'number' ? init.apiId : 0,
    deviceModel: text(init.deviceModel),
    systemVersion: text(init.systemVersion),
    appVersion: text(init.appVersion),
    langCode: text(init.langCode),
  };
}

/** A parsed API request (any gramjs `Api` request object). */
export interface TlRequest {
  className: string;
  classType: 'request';
  CONSTRUCTOR_ID: number;
  [field: string]: unknown;
}

/** One RPC call as the dispatcher sees it. */
export interface RpcCall {
  request: TlRequest;
  authKey: AuthKeyRecord;
  session: ServerSession;
}

/**
 * Answers API calls. Returns the serialised result (a TL object, vector or Bool).
 * @throws RpcError to answer with an rpc_error; any other throw is answered with 500 INTERNAL.
 */
export interface RpcDispatcher {
  dispatch(call: RpcCall): Promise<Buffer>;
}

/** What a session needs from its connection. */
export interface SessionLink {
  /** Encrypts and sends one message in `session`. */
  send(session: ServerSession, body: Buffer, kind: 'response' | 'server', contentRelated: boolean): void;
  /** ping_delay_disconnect: close the connection unless another ping arrives within `seconds`. */
  armDisconnect(seconds: number): void;
  /** Reports an unexpected failure (a dispatcher bug), for debugging. */
  report(error: unknown, context: string): void;
}

/** One client session under an auth key. */
export class ServerSession {
  /** True once new_session_created was sent. */
  announced = false;
  /** The API layer from invokeWithLayer, once seen. */
  layer: number | undefined;
  private seq = 0;

  constructor(
    readonly id: bigint,
    readonly authKey: AuthKeyRecord,
    private readonly link: SessionLink,
    private readonly dispatcher: RpcDispatcher,
  ) {}

  /** Next server seq_no: odd (and advancing) for content-related messages, even otherwise. */
  nextSeqNo(contentRelated: boolean): number {
    return contentRelated ? this.seq++ * 2 + 1 : this.seq * 2;
  }

  /** Sends new_session_created for the session's first accepted message. */
  announce(firstMsgId: bigint): void {
    this.announced = true;
    const body = new Api.NewSessionCreated({
      firstMsgId: toTlLong(firstMsgId),
      uniqueId: toTlLong(randomBytes(8).readBigInt64LE(0)),
      serverSalt: toTlLong(this.authKey.salt),
    }).getBytes();
    this.link.send(this, body, 'server', true);
  }

  /** Sends a server-initiated `Updates` (already serialised) in this session. */
  pushUpdates(body: Buffer): void {
    this.link.send(this, body, 'server', true);
  }

  /** Sends bad_server_salt for a message carrying the wrong salt; the client re-sends with the new one. */
  rejectSalt(msgId: bigint, seqNo: number): void {
    const body = new Api.BadServerSalt({
      badMsgId: toTlLong(msgId),
      badMsgSeqno: seqNo,
      errorCode: 48,
      newServerSalt: toTlLong(this.authKey.salt),
    }).getBytes();
    this.link.send(this, body, 'response', false);
  }

  /** Sends bad_msg_notification (16 msg_id too low, 17 too high, 18 not divisible by 4…). */
  rejectMsgId(msgId: bigint, seqNo: number, errorCode: number): void {
    const body = new Api.BadMsgNotification({
      badMsgId: toTlLong(msgId),
      badMsgSeqno: seqNo,
      errorCode,
    }).getBytes();
    this.link.send(this, body, 'response', false);
  }

  /** Handles one client message (msg_id and body), including containers and gzip_packed. */
  async receive(msgId: bigint, body: Buffer): Promise<void> {
    if (body.length >= 4 && body.readUInt32LE(0) === CONTAINER_ID) {
      for (const inner of this.unpackContainer(body)) await this.receive(inner.msgId, inner.body);
      return;
    }
    if (body.length >= 4 && body.readUInt32LE(0) === GZIP_PACKED_ID) {
      const reader = new BinaryReader(body);
      reader.readInt(false);
      await this.receive(msgId, unzipSync(reader.tgReadBytes()));
      return;
    }
    let obj: unknown;
    try {
      obj = await new BinaryReader(body).tgReadObject();
    } catch {
      this.answer(msgId, new RpcError(400, 'INPUT_CONSTRUCTOR_INVALID', 'unknown TL constructor').toBytes());
      return;
    }
    await this.handleObject(msgId, obj);
  }

  private unpackContainer(body: Buffer): Array<{ msgId: bigint; body: Buffer }> {
    const out: Array<{ msgId: bigint; body: Buffer }> = [];
    const count = body.readInt32LE(4);
    let offset = 8;
    for (let i = 0; i < count; i++) {
      const msgId = body.readBigInt64LE(offset);
      const length = body.readInt32LE(offset + 12);
      const start = offset + 16;
      if (length < 4 || start + length > body.length)
        throw new Error('container message overruns the container');
      out.push({ msgId, body: body.subarray(start, start + length) });
      offset = start + length;
    }
    return out;
  }

  private async handleObject(msgId: bigint, obj: unknown): Promise<void> {
    if (obj instanceof Api.MsgsAck || obj instanceof Api.HttpWait || obj instanceof Api.MsgsStateInfo) return;
    if (obj instanceof Api.Ping || obj instanceof Api.PingDelayDisconnect) {
      if (obj instanceof Api.PingDelayDisconnect) this.link.armDisconnect(obj.disconnectDelay);
      // pong goes unwrapped, carrying the ping's msg_id (gramjs resolves the ping by it).
      this.link.send(
        this,
        new Api.Pong({ msgId: toTlLong(msgId), pingId: obj.pingId }).getBytes(),
        'response',
        false,
      );
      return;
    }
    if (obj instanceof Api.DestroySession) {
      // Sessions live only as long as their connection here, so there is never another one to destroy.
      this.answer(msgId, new Api.DestroySessionNone({ sessionId: obj.sessionId }).getBytes());
      return;
    }
    const request = obj as Partial<TlRequest> | null;
    if (request?.classType !== 'request') return;
    let call = request as TlRequest;
    while (WRAPPERS.has(call.className)) {
      if (call.className === 'InvokeWithLayer') this.layer = call.layer as number;
      if (call.className === 'InitConnection') this.authKey.client = clientInfoOf(call);
      call = call.query as TlRequest;
    }
    let result: Buffer;
    try {
      result = await this.dispatcher.dispatch({ request: call, authKey: this.authKey, session: this });
    } catch (err) {
      if (err instanceof RpcError) {
        result = err.toBytes();
      } else {
        this.link.report(err, call.className);
        // 400, not 500: gramjs retries 5xx with 2 s sleeps, which would hide the bug behind a slow test.
        result = new RpcError(400, 'SANDBOX_INTERNAL_ERROR').toBytes();
      }
    }
    this.answer(msgId, result);
  }

  private answer(reqMsgId: bigint, result: Buffer): void {
    this.link.send(this, rpcResult(reqMsgId, result), 'response', true);
  }
}

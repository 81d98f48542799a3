/**
 * The sandbox's MTProto layer piece by piece, against gramjs's own client-side code where one exists:
 * TCP-full framing, msg_id order, MTProto 2.0 encryption (including 255-byte auth keys), the auth key exchange,
 * and the session service layer (containers, gzip_packed, wrappers, ping, unknown constructors).
 */
import { createConnection } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { BinaryReader } from 'telegram/extensions/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { generateRandomLong, readBigIntFromBuffer } from 'telegram/Helpers.js';
import { doAuthentication } from 'telegram/network/Authenticator.js';
import { MTProtoState } from 'telegram/network/MTProtoState.js';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index.js';
import { AuthKeyExchange } from '../../sandbox/mtproto/authKeyExchange.js';
import { AuthKeyStore } from '../../sandbox/mtproto/authKeys.js';
import {
  authKeyIdOf,
  decryptClientMessage,
  encryptServerMessage,
} from '../../sandbox/mtproto/messageCrypto.js';
import { checkClientMsgId, MsgIdClock } from '../../sandbox/mtproto/msgIdClock.js';
import { RpcError } from '../../sandbox/mtproto/rpcError.js';
import { serverRsaKey } from '../../sandbox/mtproto/rsaKey.js';
import { type RpcCall, ServerSession, type SessionLink } from '../../sandbox/mtproto/session.js';
import { TcpFullCodec, TransportError } from '../../sandbox/mtproto/tcpFull.js';
import { i32, i64, RPC_RESULT_ID, tlBytes, u32 } from '../../sandbox/mtproto/tlWire.js';

const quiet = new Logger(LogLevel.NONE);

describe('TCP full framing', () => {
  it('round-trips packets split at every byte boundary', () => {
    const sender = new TcpFullCodec();
    const receiver = new TcpFullCodec();
    const payloads = [Buffer.alloc(8, 1), Buffer.from('0123456789abcdef'), Buffer.alloc(1024, 7)];
    const wire = Buffer.concat(payloads.map((p) => sender.encode(p)));
    const out: Buffer[] = [];
    for (const byte of wire) out.push(...receiver.push(Buffer.from([byte])));
    expect(out).toEqual(payloads);
  });

  it('rejects a bad length, a CRC mismatch and an out-of-order seq', () => {
    expect(() => new TcpFullCodec().push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(TransportError);
    const packet = new TcpFullCodec().encode(Buffer.alloc(8));
    const corrupt = Buffer.from(packet);
    corrupt[10] = corrupt[10]! ^ 0xff;
    expect(() => new TcpFullCodec().push(corrupt)).toThrow(/CRC/);
    const codec = new TcpFullCodec();
    codec.encode(Buffer.alloc(8));
    const second = codec.encode(Buffer.alloc(8));
    expect(() => new TcpFullCodec().push(second)).toThrow(/seq 1, expected 0/);
  });
});

describe('server msg_ids', () => {
  it('are strictly increasing, ≡1 mod 4 for responses and ≡3 for server messages, near now', () => {
    const clock = new MsgIdClock();
    let last = 0n;
    for (let i = 0; i < 5000; i++) {
      const kind = i % 3 === 0 ? 'server' : 'response';
      const id = clock.next(kind);
      expect(id > last).toBe(true);
      expect(id % 4n).toBe(kind === 'response' ? 1n : 3n);
      last = id;
    }
    expect(Math.abs(Number(last >> 32n) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('client msg_ids are checked against the clock (bad_msg_notification codes)', () => {
    const now = Date.now();
    const at = (s: number) => BigInt(Math.floor(s)) << 32n;
    expect(checkClientMsgId(at(now / 1000), now)).toBe(0);
    expect(checkClientMsgId(at(now / 1000 - 400), now)).toBe(16);
    expect(checkClientMsgId(at(now / 1000 + 60), now)).toBe(17);
    expect(checkClientMsgId(at(now / 1000) + 2n, now)).toBe(18);
  });
});

describe('MTProto 2.0 message encryption', () => {
  for (const keyLength of [256, 255]) {
    it(`interoperates with gramjs both ways for a ${keyLength}-byte auth key`, async () => {
      const key = Buffer.alloc(keyLength);
      for (let i = 0; i < keyLength; i++) key[i] = (i * 37 + 11) & 0xff;
      const authKey = new AuthKey();
      await authKey.setKey(key);
      const state = new MTProtoState(authKey, quiet);
      state.salt = readBigIntFromBuffer(Buffer.from('0102030405060708', 'hex'), true, true);
      const body = new Api.help.GetConfig().getBytes();
      const inner = Buffer.concat([i64(4n << 32n), i32(1), i32(body.length), body]);
      const packet = await state.encryptMessageData(inner);

      const id = authKeyIdOf(key);
      expect(packet.readBigInt64LE(0)).toBe(id);
      const plain = decryptClientMessage(key, packet);
      expect(plain.salt).toBe(0x0807060504030201n);
      expect(plain.msgId).toBe(4n << 32n);
      expect(plain.body).toEqual(body);

      const reply = new Api.Pong({ msgId: generateRandomLong(), pingId: generateRandomLong() }).getBytes();
      const sessionId = BigInt((state as unknown as { id: { toString(): string } }).id.toString());
      const out = encryptServerMessage(key, id, {
        salt: 5n,
        sessionId,
        msgId: (9n << 32n) | 1n,
        seqNo: 1,
        body: reply,
      });
      const message = await state.decryptMessageData(out);
      expect(message.obj).toBeInstanceOf(Api.Pong);
      expect(message.msgId.toString()).toBe(((9n << 32n) | 1n).toString());
    });
  }

  it('rejects a packet whose msg_key does not match', () => {
    const key = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7) & 0xff));
    const packet = encryptServerMessage(key, authKeyIdOf(key), {
      salt: 0n,
      sessionId: 1n,
      msgId: 1n,
      seqNo: 0,
      body: Buffer.alloc(16),
    });
    expect(() => decryptClientMessage(key, packet)).toThrow(/msg_key/);
  });
});

describe('auth key exchange', () => {
  it('produces the same auth key on both sides (gramjs Authenticator against the sandbox)', async () => {
    const keys = new AuthKeyStore();
    const exchange = new AuthKeyExchange(serverRsaKey(), keys);
    let serverKey: Buffer | undefined;
    const plainSender = {
      async send(request: { getBytes(): Buffer }) {
        const parsed = new BinaryReader(request.getBytes()).tgReadObject();
        const { reply, authKey } = await exchange.answer(parsed);
        if (authKey) serverKey = authKey.key;
        return new BinaryReader(reply.getBytes()).tgReadObject();
      },
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a stand-in for gramjs's MTProtoPlainSender.
    const { authKey } = await doAuthentication(plainSender as any, quiet);
    expect(serverKey).toEqual(authKey.getKey());
    expect(keys.get(authKeyIdOf(serverKey!))?.userId).toBeUndefined();
  });

  it('never hands out a pq that gramjs reads as negative (its factorisation would never end)', async () => {
    const exchange = new AuthKeyExchange(serverRsaKey(), new AuthKeyStore());
    for (let i = 0; i < 300; i++) {
      const { reply } = await exchange.answer(new Api.ReqPqMulti({ nonce: generateRandomLong() }));
      const pq = readBigIntFromBuffer((reply as Api.ResPQ).pq, false, true);
      expect(pq.isPositive()).toBe(true);
    }
  });

  it('refuses encrypted-only requests without an auth key', async () => {
    const exchange = new AuthKeyExchange(serverRsaKey(), new AuthKeyStore());
    await expect(exchange.answer(new Api.help.GetConfig())).rejects.toThrow(
      /not allowed without an auth key/,
    );
    await expect(
      exchange.answer(
        new Api.SetClientDHParams({
          nonce: generateRandomLong(),
          serverNonce: generateRandomLong(),
          encryptedData: Buffer.alloc(16),
        }),
      ),
    ).rejects.toThrow(/before req_DH_params/);
  });
});

/** A session wired to a recording link and a dispatcher that echoes the request's class name. */
function recordingSession() {
  const sent: Array<{ body: Buffer; kind: string; contentRelated: boolean }> = [];
  const calls: RpcCall[] = [];
  const link: SessionLink = {
    send: (_s, body, kind, contentRelated) => void sent.push({ body, kind, contentRelated }),
    armDisconnect: () => undefined,
    report: () => undefined,
  };
  const keys = new AuthKeyStore();
  const session = new ServerSession(42n, keys.mint(1), link, {
    dispatch: async (call) => {
      calls.push(call);
      if (call.request.className === 'account.GetPassword') throw new RpcError(400, 'NOPE');
      return new Api.NearestDc({ country: call.request.className, thisDc: 2, nearestDc: 2 }).getBytes();
    },
  });
  return { session, sent, calls };
}

function message(msgId: bigint, body: Buffer): Buffer {
  return Buffer.concat([i64(msgId), i32(1), i32(body.length), body]);
}

function readRpcResult(body: Buffer): { reqMsgId: bigint; result: unknown } {
  expect(body.readUInt32LE(0)).toBe(RPC_RESULT_ID);
  return { reqMsgId: body.readBigInt64LE(4), result: new BinaryReader(body.subarray(12)).tgReadObject() };
}

describe('session service layer', () => {
  it('answers each request inside a container with rpc_result naming the inner msg_id; acks are ignored', async () => {
    const { session, sent, calls } = recordingSession();
    const ack = new Api.MsgsAck({ msgIds: [generateRandomLong()] }).getBytes();
    const container = Buffer.concat([
      u32(0x73f1f8dc),
      i32(3),
      message(104n, new Api.help.GetConfig().getBytes()),
      message(108n, ack),
      message(112n, new Api.updates.GetState().getBytes()),
    ]);
    await session.receive(100n, container);
    expect(calls.map((c) => c.request.className)).toEqual(['help.GetConfig', 'updates.GetState']);
    expect(sent.map((s) => readRpcResult(s.body).reqMsgId)).toEqual([104n, 112n]);
    expect(sent.every((s) => s.kind === 'response' && s.contentRelated)).toBe(true);
  });

  it('unpacks gzip_packed and unwraps invokeWithLayer(initConnection(query))', async () => {
    const { session, sent, calls } = recordingSession();
    const wrapped = new Api.InvokeWithLayer({
      layer: 198,
      query: new Api.InitConnection({
        apiId: 1,
        deviceModel: 'test',
        systemVersion: '1',
        appVersion: '1',
        systemLangCode: 'en',
        langPack: '',
        langCode: 'en',
        query: new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }),
      }),
    }).getBytes();
    await session.receive(200n, Buffer.concat([u32(0x3072cfa1), tlBytes(gzipSync(wrapped))]));
    expect(calls.map((c) => c.request.className)).toEqual(['users.GetUsers']);
    expect(session.layer).toBe(198);
    const { reqMsgId, result } = readRpcResult(sent[0]!.body);
    expect(reqMsgId).toBe(200n);
    expect((result as Api.NearestDc).country).toBe('users.GetUsers');
  });

  it('answers ping with an unwrapped pong carrying the ping msg_id', async () => {
    const { session, sent } = recordingSession();
    const pingId = generateRandomLong();
    await session.receive(300n, new Api.Ping({ pingId }).getBytes());
    const pong = new BinaryReader(sent[0]!.body).tgReadObject() as Api.Pong;
    expect(pong).toBeInstanceOf(Api.Pong);
    expect(pong.msgId.toString()).toBe('300');
    expect(pong.pingId.toString()).toBe(pingId.toString());
  });

  it('answers rpc errors and unknown constructors with rpc_error', async () => {
    const { session, sent } = recordingSession();
    await session.receive(400n, new Api.account.GetPassword().getBytes());
    await session.receive(404n, Buffer.concat([u32(0xdeadbeef), Buffer.alloc(8)]));
    const errors = sent.map((s) => readRpcResult(s.body));
    expect(errors.map((e) => e.reqMsgId)).toEqual([400n, 404n]);
    expect(errors.map((e) => (e.result as Api.RpcError).errorMessage)).toEqual([
      'NOPE',
      'INPUT_CONSTRUCTOR_INVALID',
    ]);
  });
});

describe('raw sockets', () => {
  it('an unknown auth key gets transport error -404', async () => {
    const sandbox = await startSandbox();
    try {
      const codec = new TcpFullCodec();
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const socket = createConnection({ host: sandbox.host, port: sandbox.port }, () => {
          socket.write(codec.encode(Buffer.concat([i64(0x1234567890n), Buffer.alloc(72, 9)])));
        });
        socket.on('data', (chunk: Buffer) => {
          const [payload] = codec.push(chunk);
          if (payload) {
            socket.destroy();
            resolve(payload);
          }
        });
        socket.on('error', reject);
      });
      expect(reply.readInt32LE(0)).toBe(-404);
    } finally {
      await sandbox.stop();
    }
  });
});

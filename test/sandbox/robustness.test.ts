/**
 * The sandbox under abuse: random, truncated and oversized frames thrown at it over raw sockets while an
 * unmodified gramjs client keeps working — each garbage socket is closed, nothing else is — and many gramjs
 * clients of the same account at once.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import fc from 'fast-check';
import { Api } from 'telegram';
import { NewMessage } from 'telegram/events/index.js';
import { describe, expect, it } from 'vitest';
import { authKeyIdOf } from '../../sandbox/mtproto/messageCrypto.js';
import { MAX_PACKET_BYTES, TcpFullCodec } from '../../sandbox/mtproto/tcpFull.js';
import { i32, i64 } from '../../sandbox/mtproto/tlWire.js';
import { useSandbox } from './harness.js';

/** How long the server waits for the rest of a truncated packet (ms); short so the test stays fast. */
const STALL_MS = 200;

const h = useSandbox(() => ({ stalledPacketMs: STALL_MS }));

/** A well-formed TCP-full frame (seq 0) around `payload`. */
function frame(payload: Buffer): Buffer {
  return new TcpFullCodec().encode(payload);
}

/** The first frame of a real auth key exchange: plain req_pq_multi. */
function reqPqFrame(): Buffer {
  const body = new Api.ReqPqMulti({ nonce: BigInt(`0x${randomBytes(16).toString('hex')}`) as never }).getBytes();
  const msgId = (BigInt(Math.floor(Date.now() / 1000)) << 32n) | 4n;
  return frame(Buffer.concat([i64(0n), i64(msgId), i32(body.length), body]));
}

/** Kinds of garbage, each a byte string and how to split it into writes. */
function garbage(realKeyId: bigint): fc.Arbitrary<{ kind: string; bytes: Buffer; chunks: number }> {
  const bytes = (min: number, max: number) =>
    fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));
  const kinds = fc.oneof(
    bytes(1, 600).map((b) => ({ kind: 'random bytes', bytes: b })),
    fc.tuple(fc.integer({ min: 0, max: 200 }), bytes(0, 900)).map(([words, rest]) => {
      const length = Buffer.alloc(4);
      length.writeInt32LE(12 + words * 4, 0);
      return { kind: 'valid length, garbage after', bytes: Buffer.concat([length, rest]) };
    }),
    fc.double({ min: 0.01, max: 0.99, noNaN: true }).map((at) => {
      const whole = reqPqFrame();
      const cut = Math.max(1, Math.floor(whole.length * at));
      return { kind: 'truncated valid frame', bytes: whole.subarray(0, cut) };
    }),
    fc
      .oneof(fc.integer({ min: MAX_PACKET_BYTES + 1, max: 0x7fffffff }), fc.integer({ min: -0x80000000, max: 11 }))
      .map((length) => {
        const head = Buffer.alloc(8);
        head.writeInt32LE(length, 0);
        return { kind: 'huge or negative length', bytes: head };
      }),
    bytes(20, 300).map((b) => {
      const payload = Buffer.from(b);
      payload.writeBigInt64LE(0n, 0);
      return { kind: 'valid frame, garbage plain message', bytes: frame(payload) };
    }),
    fc.integer({ min: 3, max: 20 }).map((blocks) => {
      const head = Buffer.alloc(8);
      head.writeBigInt64LE(realKeyId, 0);
      const payload = Buffer.concat([head, randomBytes(16 + blocks * 16)]);
      return { kind: 'valid frame, garbage under a live auth key', bytes: frame(payload) };
    }),
  );
  return fc
    .tuple(kinds, fc.integer({ min: 1, max: 4 }))
    .map(([g, chunks]) => ({ ...g, chunks: Math.min(chunks, g.bytes.length) }));
}

/**
 * Writes `bytes` in `chunks` pieces to a raw socket and waits for the server to close it.
 * @returns how the socket ended: 'closed' by the server, or 'open' when still open after the deadline.
 */
function throwAtServer(bytes: Buffer, chunks: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: h.sandbox.host, port: h.sandbox.port }, async () => {
      const size = Math.ceil(bytes.length / chunks);
      for (let i = 0; i < bytes.length; i += size) {
        socket.write(bytes.subarray(i, i + size));
        await new Promise((r) => setImmediate(r));
      }
    });
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve('open');
    }, STALL_MS + 2_000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve('closed');
    });
  });
}

describe('sandbox robustness', () => {
  it('closes every socket that sends random, truncated or oversized frames; a gramjs client keeps working', async () => {
    const client = await h.client();
    const keyId = authKeyIdOf(client.session.getAuthKey()!.getKey()!);
    let running = true;
    let calls = 0;
    const failures: unknown[] = [];
    const traffic = (async () => {
      while (running) {
        try {
          const [me, dialogs] = await Promise.all([client.getMe(), client.getDialogs({ limit: 3 })]);
          if (!me.self || dialogs.length !== 3) failures.push(new Error('wrong answer'));
          calls++;
        } catch (err) {
          failures.push(err);
        }
      }
    })();

    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(garbage(keyId), { minLength: 25, maxLength: 25 }), async (batch) => {
        const outcomes = await Promise.all(batch.map((g) => throwAtServer(g.bytes, g.chunks)));
        batch.forEach((g, i) => {
          seen.set(g.kind, (seen.get(g.kind) ?? 0) + 1);
          if (outcomes[i] !== 'closed') throw new Error(`${g.kind} (${g.bytes.length} bytes) left the socket open`);
        });
      }),
      // No shrinking: a failing batch is reported as is (each failing socket already waited the deadline).
      { numRuns: 4, endOnFailure: true },
    );
    running = false;
    await traffic;
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(3);
    expect(seen.size).toBe(6);
    // The server still accepts new clients, including a full auth key exchange.
    const fresh = await h.client('');
    expect((await fresh.invoke(new Api.help.GetConfig())).thisDc).toBe(2);
    expect((await client.getMe()).self).toBe(true);
  });

  it('serves 20 gramjs clients of the same account at once; an incoming message reaches all of them', async () => {
    const many = await Promise.all(Array.from({ length: 20 }, () => h.client()));
    const dialogs = await Promise.all(many.map((c) => c.getDialogs({})));
    const expected = dialogs[0]!.length;
    expect(expected).toBeGreaterThan(0);
    for (const d of dialogs) expect(d.length).toBe(expected);

    const heard = new Set<number>();
    many.forEach((c, i) => {
      c.addEventHandler(() => void heard.add(i), new NewMessage({}));
    });
    await Promise.all(many.map((c) => c.getMe()));
    h.sandbox.control.injectIncomingMessage({ fromUserId: h.sandbox.control.users()[0]!.id, text: 'all hands' });
    for (let i = 0; i < 300 && heard.size < many.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(heard.size).toBe(many.length);
    expect(h.sandbox.control.sessions()).toHaveLength(20);
  });

  it('a client hammering calls in parallel gets every answer (containers, strictly increasing msg_ids)', async () => {
    const client = await h.client();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 ? client.invoke(new Api.updates.GetState()) : client.getEntity('@priya_raman'),
      ),
    );
    expect(results).toHaveLength(200);
    expect(results.filter((r) => r instanceof Api.updates.State)).toHaveLength(100);
  });
});

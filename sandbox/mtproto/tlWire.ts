/**
 * Small TL wire helpers for what gramjs's `Api` classes do not cover on the server side: bare ints and longs,
 * vectors of results (`0x1cb5c415` header), `Bool`, `rpc_result` framing, and conversions between native
 * `bigint` and the big-integer values gramjs uses for `long`/`int128`/`int256`.
 */
import { returnBigInt } from 'telegram/Helpers.js';

/** gramjs's big-integer type for TL `long`/`int128`/`int256` fields. */
export type TlLong = ReturnType<typeof returnBigInt>;

/** TL constructor of a vector (`vector#1cb5c415`). */
export const VECTOR_ID = 0x1cb5c415;
/** TL constructor of `rpc_result#f35c6d01 req_msg_id:long result:Object`. */
export const RPC_RESULT_ID = 0xf35c6d01;
const BOOL_TRUE_ID = 0x997275b5;
const BOOL_FALSE_ID = 0xbc799737;

/** A native bigint as gramjs's big-integer (for `long` fields of `Api` objects). */
export function toTlLong(value: bigint | number): TlLong {
  return returnBigInt(typeof value === 'number' ? BigInt(value) : value);
}

/** A gramjs big-integer (or number) as a native bigint. */
export function fromTlLong(value: TlLong | number | bigint | string): bigint {
  return typeof value === 'bigint' ? value : BigInt(value.toString());
}

/** A gramjs `long` id field as a JS number (ids in the sandbox are below 2^53). */
export function tlId(value: TlLong | number | bigint | string): number {
  return Number(fromTlLong(value));
}

/** 4 bytes little-endian, unsigned (constructor ids). */
export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

/** 4 bytes little-endian, signed. */
export function i32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}

/** 8 bytes little-endian, signed 64-bit. */
export function i64(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, value), 0);
  return b;
}

/** A TL `Bool` value. */
export function tlBool(value: boolean): Buffer {
  return u32(value ? BOOL_TRUE_ID : BOOL_FALSE_ID);
}

/** A boxed vector of already-serialised items. */
export function tlVector(items: Buffer[]): Buffer {
  return Buffer.concat([u32(VECTOR_ID), i32(items.length), ...items]);
}

/** A TL `bytes`/`string` value: length prefix (1 or 4 bytes), data, zero padding to a multiple of 4 bytes. */
export function tlBytes(data: Buffer): Buffer {
  const header =
    data.length < 254
      ? Buffer.from([data.length])
      : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff]);
  const padding = (4 - ((header.length + data.length) % 4)) % 4;
  return Buffer.concat([header, data, Buffer.alloc(padding)]);
}

/** `rpc_result req_msg_id result` around an already-serialised result (or rpc_error). */
export function rpcResult(reqMsgId: bigint, result: Buffer): Buffer {
  return Buffer.concat([u32(RPC_RESULT_ID), i64(reqMsgId), result]);
}

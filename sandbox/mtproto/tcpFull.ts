/**
 * The MTProto "full" TCP transport, the one gramjs's `ConnectionTCPFull` speaks
 * (https://core.telegram.org/mtproto/mtproto-transports#full): every packet is
 * `length:int32 seq:int32 payload crc32:uint32`, where `length` counts all four parts and `seq` counts
 * packets per direction from 0. Anything else on the socket is garbage and ends that connection.
 */
import { crc32 } from 'telegram/Helpers.js';

/** Largest packet accepted (bytes, including the 12 framing bytes); gramjs's own limit is about 1 MiB. */
export const MAX_PACKET_BYTES = 2 * 1024 * 1024;

/** The byte stream broke the framing rules; the connection must be closed. */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Frames and unframes one connection's packets (state: buffered bytes and the two seq counters). */
export class TcpFullCodec {
  private buffered: Buffer = Buffer.alloc(0);
  private recvSeq = 0;
  private sendSeq = 0;

  /**
   * Feeds bytes read from the socket.
   * @returns the payloads of every complete packet, in order.
   * @throws TransportError on a bad length, an out-of-order seq or a CRC mismatch.
   */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const payloads: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32LE(0);
      if (length < 12 || length > MAX_PACKET_BYTES || length % 4 !== 0) {
        throw new TransportError(`bad packet length ${length} (not the TCP full transport?)`);
      }
      if (this.buffered.length < length) break;
      const seq = this.buffered.readInt32LE(4);
      const crc = this.buffered.readUInt32LE(length - 4);
      if (crc32(this.buffered.subarray(0, length - 4)) !== crc)
        throw new TransportError('packet CRC32 mismatch');
      if (seq !== this.recvSeq) throw new TransportError(`packet seq ${seq}, expected ${this.recvSeq}`);
      this.recvSeq++;
      payloads.push(Buffer.from(this.buffered.subarray(8, length - 4)));
      this.buffered = this.buffered.subarray(length);
    }
    return payloads;
  }

  /** Bytes received that do not yet make a whole packet (a packet still arriving, or a truncated one). */
  get bufferedBytes(): number {
    return this.buffered.length;
  }

  /** Frames one payload for sending. */
  encode(payload: Buffer): Buffer {
    const head = Buffer.alloc(8);
    head.writeInt32LE(payload.length + 12, 0);
    head.writeInt32LE(this.sendSeq++, 4);
    const body = Buffer.concat([head, payload]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc32(body), 0);
    return Buffer.concat([body, tail]);
  }
}

/**
 * Server message ids (MTProto "Message Identifier"): about unixtime × 2^32, and strictly increasing — gramjs
 * silently drops a message whose msg_id it has already seen, and the call waiting for it hangs (SANDBOX.md).
 * Responses to client messages are ≡ 1 (mod 4), server-initiated messages ≡ 3 (mod 4).
 */

/** Hands out strictly increasing server msg_ids for one sandbox (shared by every connection and session). */
export class MsgIdClock {
  private last = 0n;

  /** The next msg_id: a response to a client message (`response`) or a server-initiated one. */
  next(kind: 'response' | 'server'): bigint {
    const nowMs = BigInt(Date.now());
    let id = ((nowMs / 1000n) << 32n) | ((((nowMs % 1000n) << 32n) / 1000n) & ~3n);
    if (id <= this.last) id = (this.last & ~3n) + 4n;
    id |= kind === 'response' ? 1n : 3n;
    this.last = id;
    return id;
  }
}

/**
 * Checks a client msg_id against the server clock (MTProto "bad_msg_notification" codes): 16 too low (more
 * than 300 s in the past), 17 too high (more than 30 s in the future), 18 not divisible by 4.
 * @returns the error code, or 0 when the msg_id is acceptable.
 */
export function checkClientMsgId(msgId: bigint, nowMs: number = Date.now()): 0 | 16 | 17 | 18 {
  if (msgId % 4n !== 0n) return 18;
  const seconds = Number(msgId >> 32n);
  const now = nowMs / 1000;
  if (seconds < now - 300) return 16;
  if (seconds > now + 30) return 17;
  return 0;
}

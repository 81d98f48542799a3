/**
 * How an entry is hashed (PROTOCOL.md "Audit chain"), and the slow, explaining reader of a stored line.
 *
 * `hash = SHA-256(prev_hash bytes ‖ for each of seq, ts, call_id, tool, peer, phase, status, decided_by, error:
 * u32 big-endian UTF-8 byte length ‖ UTF-8 bytes)`, with `seq` as decimal digits and an absent `error` as the
 * empty string; the first entry's `prev_hash` is 32 zero bytes. Keyed entries add
 * `mac = HMAC-SHA-256(entry key, hash bytes)[0..16)` (see deviceKey.ts); the MAC is not part of the hash, so a
 * copy can be checked for consistency without the key.
 *
 * Verify reads lines with the fast reader (entryScan.ts), which hashes the stored bytes; anything it rejects is
 * re-read here by {@link parseLine}, which names the problem.
 */
import { hash as oneShotHash } from 'node:crypto';
import { type AuditEntry, AuditEntrySchema, serialiseEntry } from './entry.js';

/** Reused message buffer of {@link computeEntryHash}: entries within the schema's limits fit many times over. */
const message = Buffer.allocUnsafe(4096);

/**
 * Computes an entry's hash from its fields and `prev_hash` (see the module comment): the message is written into
 * one reused buffer and hashed with one call (an entry of any size is hashed the same way, in a buffer of its own).
 * @param entry every field but `hash` (and `mac`); `prev_hash` must be 64 hex digits.
 * @returns 64 lower-case hex digits.
 */
export function computeEntryHash(entry: Omit<AuditEntry, 'hash' | 'mac'>): string {
  const parts = [
    String(entry.seq),
    entry.ts,
    entry.call_id,
    entry.tool,
    entry.peer,
    entry.phase,
    entry.status,
    entry.decided_by,
    entry.error ?? '',
  ];
  // At most 3 UTF-8 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2).
  let most = 32 + 4 * parts.length;
  for (const part of parts) most += 3 * part.length;
  const buf = most <= message.length ? message : Buffer.allocUnsafe(most);
  let n = buf.write(entry.prev_hash, 0, 'hex');
  for (const part of parts) {
    const len = buf.write(part, n + 4, 'utf8');
    buf.writeUInt32BE(len, n);
    n += 4 + len;
  }
  return oneShotHash('sha256', buf.subarray(0, n), 'hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Result of reading one line the slow, explaining way. */
export type LineCheck = { entry: AuditEntry } | { problem: string };

/** Parses one complete line (no newline) with zod and checks it is in canonical form; names any problem. */
export function parseLine(bytes: Uint8Array): LineCheck {
  let text: string;
  let json: unknown;
  try {
    text = utf8.decode(bytes);
    json = JSON.parse(text);
  } catch {
    return { problem: bytes.length === 0 ? 'empty line' : 'not a readable entry (corrupted line)' };
  }
  const parsed = AuditEntrySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      problem: `malformed entry (${issue ? `${issue.path.join('.') || 'line'}: ${issue.message}` : 'schema'})`,
    };
  }
  if (serialiseEntry(parsed.data) !== text) return { problem: 'not in canonical form (edited?)' };
  return { entry: parsed.data };
}

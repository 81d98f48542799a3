/**
 * How an entry is hashed (PROTOCOL.md "Audit chain"), and the fast reader verify uses to check a stored line
 * straight from its bytes.
 *
 * `hash = SHA-256(prev_hash bytes ‖ for each of seq, ts, call_id, tool, peer, phase, status, decided_by, error:
 * u32 big-endian UTF-8 byte length ‖ UTF-8 bytes)`, with `seq` as decimal digits and an absent `error` as the
 * empty string; the first entry's `prev_hash` is 32 zero bytes. Keyed entries add
 * `mac = HMAC-SHA-256(entry key, hash bytes)[0..16)` (see deviceKey.ts); the MAC is not part of the hash, so a
 * copy can be checked for consistency without the key.
 *
 * Because a canonical line needs no JSON escapes (entry.ts), the bytes between a field's quotes are exactly its
 * UTF-8 bytes: {@link scanLine} checks a line is canonical and well-formed byte by byte (the same rules as the
 * zod schema and `serialiseEntry`) and {@link hashScanned} hashes the stored bytes, with no JSON parsing, no
 * zod and no re-serialising per entry. Anything it rejects is re-read by the slow path (`parseLine`), which
 * names the problem.
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import {
  AuditDecidedBy,
  type AuditEntry,
  AuditEntrySchema,
  AuditPhase,
  AuditStatus,
  serialiseEntry,
} from './entry.js';

/**
 * Computes an entry's hash from its fields and `prev_hash` (see the module comment).
 * @param entry every field but `hash` (and `mac`); `prev_hash` must be 64 hex digits.
 * @returns 64 lower-case hex digits.
 */
export function computeEntryHash(entry: Omit<AuditEntry, 'hash' | 'mac'>): string {
  const h = createHash('sha256');
  h.update(Buffer.from(entry.prev_hash, 'hex'));
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
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len);
    h.update(bytes);
  }
  return h.digest('hex');
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

// ---- the fast path -------------------------------------------------------------------------------------------

function table(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_CHARS = table(`${ALNUM}._:-`);
const ERROR_CHARS = table(`${ALNUM}_.:,;=()[] -`);
/** Lower-case hex digit → value + 1 (0 = not a hex digit). */
const HEX = new Uint8Array(256);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i + 1;

const lit = (s: string) => Buffer.from(s, 'utf8');
const K_SEQ = lit('{"seq":');
const K_TS = lit(',"ts":"');
const K_CALL = lit('","call_id":"');
const K_TOOL = lit('","tool":"');
const K_PEER = lit('","peer":"');
const K_PHASE = lit('","phase":"');
const K_STATUS = lit('","status":"');
const K_DECIDED = lit('","decided_by":"');
const K_ERROR = lit('","error":"');
const K_PREV = lit('","prev_hash":"');
const K_HASH = lit('","hash":"');
const K_MAC = lit('","mac":"');
const K_END = lit('"}');
// The enums come from the schema, so the fast reader can't drift from it.
const PHASES = AuditPhase.options.map(lit);
const STATUSES = AuditStatus.options.map(lit);
const DECIDERS = AuditDecidedBy.options.map(lit);
const LONGEST = (lits: Buffer[]) => Math.max(...lits.map((l) => l.length));
const [PHASE_MAX, STATUS_MAX, DECIDER_MAX] = [LONGEST(PHASES), LONGEST(STATUSES), LONGEST(DECIDERS)];
const PEER_KINDS = ['user', 'chat', 'channel', 'username', 'peer'].map(lit);
const AUDIT_TOOL = lit('audit');
const ERROR_STATUS = lit('error');

/**
 * Offsets of one scanned line's values in the buffer it was scanned in (start inclusive, end exclusive), filled
 * by {@link scanLine}. `errorStart` and `macStart` are -1 when the field is absent.
 */
export class ScannedLine {
  seq = 0;
  /** start/end pairs of seq, ts, call_id, tool, peer, phase, status, decided_by, error (the hashed fields). */
  readonly spans = new Int32Array(18);
  prevStart = 0;
  hashStart = 0;
  macStart = -1;

  /** True when this is an anchor incident the writer recorded (tool `audit`, status `error`). */
  isAuditError(buf: Uint8Array): boolean {
    const s = this.spans;
    return eq(buf, s[6]!, s[7]!, AUDIT_TOOL) && eq(buf, s[12]!, s[13]!, ERROR_STATUS);
  }
}

function eq(buf: Uint8Array, start: number, end: number, lit: Uint8Array): boolean {
  if (end - start !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[start + i] !== lit[i]) return false;
  return true;
}

function oneOf(buf: Uint8Array, start: number, end: number, lits: Uint8Array[]): boolean {
  for (const l of lits) if (eq(buf, start, end, l)) return true;
  return false;
}

function expect(buf: Uint8Array, at: number, end: number, lit: Uint8Array): number {
  if (at + lit.length > end) return -1;
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return -1;
  return at + lit.length;
}

/** Index of the closing quote of a string value starting at `at`, or -1 if one of its bytes isn't allowed. */
function stringEnd(buf: Uint8Array, at: number, end: number, allowed: Uint8Array | null, max: number): number {
  const stop = Math.min(end, at + max + 1);
  for (let i = at; i < stop; i++) {
    const c = buf[i]!;
    if (c === 0x22) return i;
    if (allowed !== null && allowed[c] !== 1) return -1;
  }
  return -1;
}

function hexRun(buf: Uint8Array, at: number, end: number, n: number): boolean {
  if (at + n > end) return false;
  for (let i = at; i < at + n; i++) if (HEX[buf[i]!] === 0) return false;
  return true;
}

const DIGIT = (c: number) => c >= 0x30 && c <= 0x39;
/** Positions of digits in `YYYY-MM-DDTHH:MM:SS.mmmZ` (0) and the fixed bytes elsewhere. */
const TS_SHAPE = '0000-00-00T00:00:00.000Z';

/**
 * Checks that `buf[start, end)` is one canonical, well-formed entry line (same rules as the zod schema plus
 * canonical form, except the hex digits of `prev_hash` and `hash`, which the chain checks compare) and records
 * where its values are in `out`.
 * @returns true when it is; false means "not provably fine": let `parseLine` explain.
 */
export function scanLine(buf: Uint8Array, start: number, end: number, out: ScannedLine): boolean {
  const s = out.spans;
  let p = expect(buf, start, end, K_SEQ);
  if (p < 0) return false;
  // seq: 1–16 digits, no leading zero, at most Number.MAX_SAFE_INTEGER.
  let seq = 0;
  const seqStart = p;
  while (p < end && DIGIT(buf[p]!) && p - seqStart < 16) seq = seq * 10 + (buf[p++]! - 0x30);
  if (p === seqStart || buf[seqStart] === 0x30 || seq > Number.MAX_SAFE_INTEGER) return false;
  s[0] = seqStart;
  s[1] = p;
  out.seq = seq;
  p = expect(buf, p, end, K_TS);
  if (p < 0 || p + 24 > end) return false;
  for (let i = 0; i < 24; i++) {
    const want = TS_SHAPE.charCodeAt(i);
    const c = buf[p + i]!;
    if (want === 0x30 ? !DIGIT(c) : c !== want) return false;
  }
  s[2] = p;
  s[3] = p + 24;
  p += 24;
  // call_id, tool: [A-Za-z0-9._:-], 0–128 and 1–64.
  p = expect(buf, p, end, K_CALL);
  if (p < 0) return false;
  let q = stringEnd(buf, p, end, ID_CHARS, 128);
  if (q < 0) return false;
  s[4] = p;
  s[5] = q;
  p = expect(buf, q, end, K_TOOL);
  if (p < 0) return false;
  q = stringEnd(buf, p, end, ID_CHARS, 64);
  if (q <= p) return false;
  s[6] = p;
  s[7] = q;
  // peer: empty or kind#8hex.
  p = expect(buf, q, end, K_PEER);
  if (p < 0) return false;
  q = stringEnd(buf, p, end, null, 20);
  if (q < 0) return false;
  if (q > p) {
    const hash = q - 9;
    if (hash <= p || buf[hash] !== 0x23 || !hexRun(buf, hash + 1, q, 8) || !oneOf(buf, p, hash, PEER_KINDS))
      return false;
  }
  s[8] = p;
  s[9] = q;
  p = expect(buf, q, end, K_PHASE);
  if (p < 0) return false;
  q = stringEnd(buf, p, end, null, PHASE_MAX);
  if (q < 0 || !oneOf(buf, p, q, PHASES)) return false;
  s[10] = p;
  s[11] = q;
  p = expect(buf, q, end, K_STATUS);
  if (p < 0) return false;
  q = stringEnd(buf, p, end, null, STATUS_MAX);
  if (q < 0 || !oneOf(buf, p, q, STATUSES)) return false;
  s[12] = p;
  s[13] = q;
  p = expect(buf, q, end, K_DECIDED);
  if (p < 0) return false;
  q = stringEnd(buf, p, end, null, DECIDER_MAX);
  if (q < 0 || !oneOf(buf, p, q, DECIDERS)) return false;
  s[14] = p;
  s[15] = q;
  // error (optional): 1–200 of the error alphabet.
  const e = expect(buf, q, end, K_ERROR);
  if (e >= 0) {
    const eEnd = stringEnd(buf, e, end, ERROR_CHARS, 200);
    if (eEnd <= e) return false;
    s[16] = e;
    s[17] = eEnd;
    q = eEnd;
  } else {
    s[16] = -1;
    s[17] = -1;
  }
  // prev_hash and hash: only their length is checked here. Their digits are compared with the previous hash and
  // the computed one (a non-hex digit can't match); on a mismatch the caller asks parseLine, which names it.
  p = expect(buf, q, end, K_PREV);
  if (p < 0 || p + 64 > end) return false;
  out.prevStart = p;
  p = expect(buf, p + 64, end, K_HASH);
  if (p < 0 || p + 64 > end) return false;
  out.hashStart = p;
  p += 64;
  const m = expect(buf, p, end, K_MAC);
  if (m >= 0) {
    if (!hexRun(buf, m, end, 32)) return false;
    out.macStart = m;
    p = m + 32;
  } else out.macStart = -1;
  return expect(buf, p, end, K_END) === end;
}

/** Decodes `n` bytes of lower-case hex at `at` into `out[outAt…]` (the hex was checked by scanLine). */
export function hexDecode(buf: Uint8Array, at: number, n: number, out: Uint8Array, outAt = 0): void {
  for (let i = 0; i < n; i++) out[outAt + i] = ((HEX[buf[at + 2 * i]!]! - 1) << 4) | (HEX[buf[at + 2 * i + 1]!]! - 1);
}

/** True when the `n` bytes `bytes[0…n)` equal the hex at `buf[at…]`. */
export function hexEquals(buf: Uint8Array, at: number, bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if ((((HEX[buf[at + 2 * i]!]! - 1) << 4) | (HEX[buf[at + 2 * i + 1]!]! - 1)) !== bytes[i]) return false;
  }
  return true;
}

/** Reusable buffer for {@link hashScanned}: 32 + 9 × 4 + at most ~500 bytes of values. */
export function hashScratch(): Buffer {
  return Buffer.alloc(2048);
}

/**
 * SHA-256 of a scanned line's fields exactly as {@link computeEntryHash} defines it, taken from the stored bytes.
 * @returns the 32-byte digest.
 */
export function hashScanned(buf: Uint8Array, line: ScannedLine, scratch: Buffer): Buffer {
  hexDecode(buf, line.prevStart, 32, scratch, 0);
  let n = 32;
  const s = line.spans;
  for (let f = 0; f < 18; f += 2) {
    const a = s[f]!;
    const len = a < 0 ? 0 : s[f + 1]! - a;
    scratch[n] = len >>> 24;
    scratch[n + 1] = (len >>> 16) & 0xff;
    scratch[n + 2] = (len >>> 8) & 0xff;
    scratch[n + 3] = len & 0xff;
    n += 4;
    for (let i = 0; i < len; i++) scratch[n + i] = buf[a + i]!;
    n += len;
  }
  return oneShotHash('sha256', scratch.subarray(0, n), 'buffer') as unknown as Buffer;
}

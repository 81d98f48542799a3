/**
 * The fast reader verify uses to check a stored line straight from its bytes (issue 12: ≥ 500,000 entries/s).
 *
 * Because a canonical line needs no JSON escapes (entry.ts), the bytes between a field's quotes are exactly its
 * UTF-8 bytes. {@link scanLine} walks a line once, byte by byte: it checks the line is canonical and well formed
 * (the same rules as the zod schema and `serialiseEntry`: fixed field order, no spaces, each value's alphabet and
 * length) and, in the same pass, copies the hashed fields with their length prefixes into the message buffer of
 * {@link ScannedLine}, so that {@link ScannedLine.digest} hashes exactly what `computeEntryHash` (entryHash.ts)
 * hashes, taken from the stored bytes: no string, JSON or zod work and no allocation per line. Anything it
 * rejects is re-read by the slow path (`parseLine`), which names the problem.
 *
 * The digest comes back as a 32-character latin1 (`binary`) string: `crypto.hash` returning a string costs well under half
 * of it returning a Buffer (measured on Node 20: ~0.33 µs against ~0.87 µs for a 150-byte entry), and that call
 * overhead, not SHA-256 itself, dominates at this size.
 */
import { hash as oneShotHash } from 'node:crypto';
import { AUDIT_DECIDERS, AUDIT_PHASES, AUDIT_STATUSES } from './entryValues.js';

function table(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_CHARS = table(`${ALNUM}._:-`);
const ERROR_CHARS = table(`${ALNUM}_.:,;=()[] -`);
/** Every byte but `"` (the bytes of peer, phase, status and decided_by are checked against their values after). */
const NOT_QUOTE = new Uint8Array(256).fill(1);
NOT_QUOTE[0x22] = 0;
/** Lower-case hex digit → value + 1 (0 = not a hex digit). */
const HEX = new Uint8Array(256);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i + 1;
/**
 * Two bytes of lower-case hex, `first << 8 | second`, → the byte they spell, or -1: one lookup per byte instead
 * of two (128 KiB, made once).
 */
export const HEX_PAIR = new Int16Array(65536).fill(-1);
for (let hi = 0; hi < 256; hi++) {
  if (HEX[hi] === 0) continue;
  for (let lo = 0; lo < 256; lo++) if (HEX[lo] !== 0) HEX_PAIR[(hi << 8) | lo] = ((HEX[hi]! - 1) << 4) | (HEX[lo]! - 1);
}

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
// The same values the schema's enums are built from, so the fast reader can't drift from it.
const PHASES = AUDIT_PHASES.map(lit);
const STATUSES = AUDIT_STATUSES.map(lit);
const DECIDERS = AUDIT_DECIDERS.map(lit);
const LONGEST = (lits: Buffer[]) => Math.max(...lits.map((l) => l.length));
const [PHASE_MAX, STATUS_MAX, DECIDER_MAX] = [LONGEST(PHASES), LONGEST(STATUSES), LONGEST(DECIDERS)];
const PEER_KINDS = ['user', 'chat', 'channel', 'username', 'peer'].map(lit);
/** Longest peer tag: the longest kind, `#`, 8 hex digits. */
const PEER_MAX = LONGEST(PEER_KINDS) + 9;
const AUDIT_TOOL = lit('audit');
const ERROR_STATUS = lit('error');
/** The schema's limits (entry.ts): seq digits, call_id, tool, error. */
const [SEQ_MAX, CALL_ID_MAX, TOOL_MAX, ERROR_MAX] = [16, 128, 64, 200];
const TS_BYTES = 24;
/** Longest hashed message: prev_hash, nine length prefixes and the longest values (+1: a value cut at its limit). */
const MESSAGE_MAX =
  32 + 9 * 4 + SEQ_MAX + TS_BYTES + CALL_ID_MAX + TOOL_MAX + PEER_MAX + PHASE_MAX + STATUS_MAX + DECIDER_MAX + ERROR_MAX + 1;

/**
 * One scanned line: where its values are in the buffer it was scanned in (start inclusive, end exclusive), filled
 * by {@link scanLine}, and the message its hash is computed over.
 */
export class ScannedLine {
  seq = 0;
  toolStart = 0;
  toolEnd = 0;
  statusStart = 0;
  statusEnd = 0;
  /** -1 when the line has no `error`. */
  errorStart = -1;
  errorEnd = -1;
  prevStart = 0;
  hashStart = 0;
  /** -1 when the line has no `mac`. */
  macStart = -1;
  /**
   * Set by a caller that compares every MAC with the one it computes (a non-hex digit never matches): scanLine
   * then leaves the MAC's digits to that comparison.
   */
  macDigitsCompared = false;
  /**
   * The hashed message (PROTOCOL.md "Audit chain"): bytes 0–31 are the previous hash, which the caller keeps
   * (scanLine never writes them), then the length-prefixed fields scanLine copied; `messageLength` bytes in all.
   */
  readonly message = Buffer.alloc(MESSAGE_MAX);
  messageLength = 0;
  /** Views of `message` by length, made once each: hashing a line allocates nothing on the JS side. */
  readonly #views: Buffer[] = [];

  /** SHA-256 of the message, as a 32-character latin1 string (character i is byte i). */
  digest(): string {
    const n = this.messageLength;
    const view = (this.#views[n] ??= this.message.subarray(0, n));
    return oneShotHash('sha256', view, 'binary');
  }

  /** True when this is an anchor incident the writer recorded (tool `audit`, status `error`). */
  isAuditError(buf: Uint8Array): boolean {
    return eq(buf, this.toolStart, this.toolEnd, AUDIT_TOOL) && eq(buf, this.statusStart, this.statusEnd, ERROR_STATUS);
  }
}

function eq(buf: Uint8Array, start: number, end: number, l: Uint8Array): boolean {
  if (end - start !== l.length) return false;
  for (let i = 0; i < l.length; i++) if (buf[start + i] !== l[i]) return false;
  return true;
}

function oneOf(buf: Uint8Array, start: number, end: number, lits: Uint8Array[]): boolean {
  for (const l of lits) if (eq(buf, start, end, l)) return true;
  return false;
}

/** The offset after `l` when `buf[at…]` starts with it (within `end`), else -1. */
function expect(buf: Uint8Array, at: number, end: number, l: Uint8Array): number {
  if (at + l.length > end) return -1;
  for (let i = 0; i < l.length; i++) if (buf[at + i] !== l[i]) return -1;
  return at + l.length;
}

/**
 * Checks that `key` (e.g. `","tool":"`) starts at `p`, then copies the string value after it into `msg[m + 4…]`
 * with its u32 big-endian byte length at `msg[m…]`.
 * @returns the index of the value's closing quote, or -1 when the key differs, a byte isn't `allowed`, or the
 *   value is shorter than `min` or longer than `max` bytes.
 */
function keyValue(
  buf: Uint8Array,
  p: number,
  end: number,
  key: Uint8Array,
  allowed: Uint8Array,
  min: number,
  max: number,
  msg: Uint8Array,
  m: number,
): number {
  const at = p + key.length;
  if (at > end) return -1;
  for (let i = 0; i < key.length; i++) if (buf[p + i] !== key[i]) return -1;
  const stop = Math.min(end, at + max + 1);
  const to = m + 4 - at;
  for (let i = at; i < stop; i++) {
    const c = buf[i]!;
    if (c === 0x22) {
      const n = i - at;
      if (n < min) return -1;
      msg[m] = 0;
      msg[m + 1] = 0;
      msg[m + 2] = n >>> 8;
      msg[m + 3] = n & 0xff;
      return i;
    }
    if (allowed[c] !== 1) return -1;
    msg[to + i] = c;
  }
  return -1;
}

/** Writes `n` as a u32 big-endian length prefix at `msg[m…]`. */
function putLength(msg: Uint8Array, m: number, n: number): void {
  msg[m] = n >>> 24;
  msg[m + 1] = (n >>> 16) & 0xff;
  msg[m + 2] = (n >>> 8) & 0xff;
  msg[m + 3] = n & 0xff;
}

function hexRun(buf: Uint8Array, at: number, end: number, n: number): boolean {
  if (at + n > end) return false;
  for (let i = at; i < at + n; i++) if (HEX[buf[i]!] === 0) return false;
  return true;
}

/** Positions of digits in `YYYY-MM-DDTHH:MM:SS.mmmZ` (1) and the fixed bytes elsewhere (0). */
const TS_DIGIT = Uint8Array.from('0000-00-00T00:00:00.000Z', (c) => (c === '0' ? 1 : 0));
const TS_FIXED = lit('0000-00-00T00:00:00.000Z');

/**
 * Checks that `buf[start, end)` is one canonical, well-formed entry line (same rules as the zod schema plus
 * canonical form, except the hex digits of `prev_hash` and `hash`, which the chain checks compare) and records
 * where its values are in `out`, with the hashed fields copied into `out.message` from byte 32 on.
 * @returns true when it is; false means "not provably fine": let `parseLine` explain.
 */
export function scanLine(buf: Uint8Array, start: number, end: number, out: ScannedLine): boolean {
  const msg = out.message;
  let p = expect(buf, start, end, K_SEQ);
  if (p < 0) return false;
  // seq: 1–16 digits, no leading zero, at most Number.MAX_SAFE_INTEGER.
  let m = 36;
  let seq = 0;
  const seqStart = p;
  while (p < end && p - seqStart < SEQ_MAX) {
    const c = buf[p]!;
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
    msg[m++] = c;
    p++;
  }
  if (p === seqStart || buf[seqStart] === 0x30 || seq > Number.MAX_SAFE_INTEGER) return false;
  putLength(msg, 32, p - seqStart);
  out.seq = seq;
  p = expect(buf, p, end, K_TS);
  if (p < 0 || p + TS_BYTES > end) return false;
  putLength(msg, m, TS_BYTES);
  m += 4;
  for (let i = 0; i < TS_BYTES; i++) {
    const c = buf[p + i]!;
    if (TS_DIGIT[i] === 1 ? c < 0x30 || c > 0x39 : c !== TS_FIXED[i]) return false;
    msg[m + i] = c;
  }
  m += TS_BYTES;
  p += TS_BYTES;
  // call_id, tool: [A-Za-z0-9._:-], 0–128 and 1–64.
  let q = keyValue(buf, p, end, K_CALL, ID_CHARS, 0, CALL_ID_MAX, msg, m);
  if (q < 0) return false;
  m += 4 + q - (p + K_CALL.length);
  p = q;
  q = keyValue(buf, p, end, K_TOOL, ID_CHARS, 1, TOOL_MAX, msg, m);
  if (q < 0) return false;
  out.toolStart = p + K_TOOL.length;
  out.toolEnd = q;
  m += 4 + q - out.toolStart;
  p = q;
  // peer: empty or kind#8hex.
  q = keyValue(buf, p, end, K_PEER, NOT_QUOTE, 0, PEER_MAX, msg, m);
  if (q < 0) return false;
  p += K_PEER.length;
  if (q > p) {
    const hash = q - 9;
    if (hash <= p || buf[hash] !== 0x23 || !hexRun(buf, hash + 1, q, 8) || !oneOf(buf, p, hash, PEER_KINDS))
      return false;
  }
  m += 4 + q - p;
  p = q;
  q = keyValue(buf, p, end, K_PHASE, NOT_QUOTE, 1, PHASE_MAX, msg, m);
  if (q < 0 || !oneOf(buf, p + K_PHASE.length, q, PHASES)) return false;
  m += 4 + q - (p + K_PHASE.length);
  p = q;
  q = keyValue(buf, p, end, K_STATUS, NOT_QUOTE, 1, STATUS_MAX, msg, m);
  if (q < 0) return false;
  out.statusStart = p + K_STATUS.length;
  out.statusEnd = q;
  if (!oneOf(buf, out.statusStart, q, STATUSES)) return false;
  m += 4 + q - out.statusStart;
  p = q;
  q = keyValue(buf, p, end, K_DECIDED, NOT_QUOTE, 1, DECIDER_MAX, msg, m);
  if (q < 0 || !oneOf(buf, p + K_DECIDED.length, q, DECIDERS)) return false;
  m += 4 + q - (p + K_DECIDED.length);
  p = q;
  // error (optional): 1–200 of the error alphabet; hashed as the empty string when absent.
  if (buf[p + 3] === 0x65 /* e of "error" */) {
    q = keyValue(buf, p, end, K_ERROR, ERROR_CHARS, 1, ERROR_MAX, msg, m);
    if (q < 0) return false;
    out.errorStart = p + K_ERROR.length;
    out.errorEnd = q;
    m += 4 + q - out.errorStart;
  } else {
    out.errorStart = -1;
    out.errorEnd = -1;
    putLength(msg, m, 0);
    m += 4;
  }
  out.messageLength = m;
  // prev_hash and hash: only their length is checked here. Their digits are compared with the previous hash and
  // the computed one (a non-hex digit can't match); on a mismatch the caller asks parseLine, which names it.
  p = expect(buf, q, end, K_PREV);
  if (p < 0 || p + 64 > end) return false;
  out.prevStart = p;
  p = expect(buf, p + 64, end, K_HASH);
  if (p < 0 || p + 64 > end) return false;
  out.hashStart = p;
  p += 64;
  const mac = expect(buf, p, end, K_MAC);
  if (mac >= 0) {
    if (mac + 32 > end || (!out.macDigitsCompared && !hexRun(buf, mac, end, 32))) return false;
    out.macStart = mac;
    p = mac + 32;
  } else out.macStart = -1;
  return expect(buf, p, end, K_END) === end;
}

/** Decodes `n` bytes of lower-case hex at `at` into `out[outAt…]` (a non-hex digit gives a wrong byte). */
export function hexDecode(buf: Uint8Array, at: number, n: number, out: Uint8Array, outAt = 0): void {
  for (let i = 0; i < n; i++) out[outAt + i] = HEX_PAIR[(buf[at + 2 * i]! << 8) | buf[at + 2 * i + 1]!]! & 0xff;
}

/** True when the `n` bytes `bytes[0…n)` equal the lower-case hex at `buf[at…]` (a non-hex digit never matches). */
export function hexEquals(buf: Uint8Array, at: number, bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (HEX_PAIR[(buf[at + 2 * i]! << 8) | buf[at + 2 * i + 1]!] !== bytes[i]) return false;
  return true;
}

/**
 * True when the 32-byte digest `digest` (latin1, as {@link ScannedLine.digest} gives it) equals the lower-case
 * hex at `buf[at…]`; its bytes are written to `out[0…32)` either way.
 */
export function digestEqualsHex(buf: Uint8Array, at: number, digest: string, out: Uint8Array): boolean {
  let same = true;
  for (let i = 0; i < 32; i++) {
    const b = digest.charCodeAt(i);
    out[i] = b;
    if (HEX_PAIR[(buf[at + 2 * i]! << 8) | buf[at + 2 * i + 1]!] !== b) same = false;
  }
  return same;
}

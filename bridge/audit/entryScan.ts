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
 * Copies a string value starting at `at` into `msg[m…]` up to its closing quote.
 * @returns the index of the closing quote, or -1 when a byte isn't `allowed` or there are more than `max` bytes.
 */
function copyString(
  buf: Uint8Array,
  at: number,
  end: number,
  allowed: Uint8Array,
  max: number,
  msg: Uint8Array,
  m: number,
): number {
  const stop = Math.min(end, at + max + 1);
  for (let i = at; i < stop; i++) {
    const c = buf[i]!;
    if (c === 0x22) return i;
    if (allowed[c] !== 1) return -1;
    msg[m + i - at] = c;
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
  p = expect(buf, p, end, K_CALL);
  if (p < 0) return false;
  let q = copyString(buf, p, end, ID_CHARS, CALL_ID_MAX, msg, m + 4);
  if (q < 0) return false;
  putLength(msg, m, q - p);
  m += 4 + q - p;
  p = expect(buf, q, end, K_TOOL);
  if (p < 0) return false;
  q = copyString(buf, p, end, ID_CHARS, TOOL_MAX, msg, m + 4);
  if (q <= p) return false;
  out.toolStart = p;
  out.toolEnd = q;
  putLength(msg, m, q - p);
  m += 4 + q - p;
  // peer: empty or kind#8hex.
  p = expect(buf, q, end, K_PEER);
  if (p < 0) return false;
  q = copyString(buf, p, end, NOT_QUOTE, PEER_MAX, msg, m + 4);
  if (q < 0) return false;
  if (q > p) {
    const hash = q - 9;
    if (hash <= p || buf[hash] !== 0x23 || !hexRun(buf, hash + 1, q, 8) || !oneOf(buf, p, hash, PEER_KINDS))
      return false;
  }
  putLength(msg, m, q - p);
  m += 4 + q - p;
  p = expect(buf, q, end, K_PHASE);
  if (p < 0) return false;
  q = copyString(buf, p, end, NOT_QUOTE, PHASE_MAX, msg, m + 4);
  if (q < 0 || !oneOf(buf, p, q, PHASES)) return false;
  putLength(msg, m, q - p);
  m += 4 + q - p;
  p = expect(buf, q, end, K_STATUS);
  if (p < 0) return false;
  q = copyString(buf, p, end, NOT_QUOTE, STATUS_MAX, msg, m + 4);
  if (q < 0 || !oneOf(buf, p, q, STATUSES)) return false;
  out.statusStart = p;
  out.statusEnd = q;
  putLength(msg, m, q - p);
  m += 4 + q - p;
  p = expect(buf, q, end, K_DECIDED);
  if (p < 0) return false;
  q = copyString(buf, p, end, NOT_QUOTE, DECIDER_MAX, msg, m + 4);
  if (q < 0 || !oneOf(buf, p, q, DECIDERS)) return false;
  putLength(msg, m, q - p);
  m += 4 + q - p;
  // error (optional): 1–200 of the error alphabet; hashed as the empty string when absent.
  const e = expect(buf, q, end, K_ERROR);
  if (e >= 0) {
    const eEnd = copyString(buf, e, end, ERROR_CHARS, ERROR_MAX, msg, m + 4);
    if (eEnd <= e) return false;
    out.errorStart = e;
    out.errorEnd = eEnd;
    putLength(msg, m, eEnd - e);
    m += 4 + eEnd - e;
    q = eEnd;
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
    if (!hexRun(buf, mac, end, 32)) return false;
    out.macStart = mac;
    p = mac + 32;
  } else out.macStart = -1;
  return expect(buf, p, end, K_END) === end;
}

/** Decodes `n` bytes of lower-case hex at `at` into `out[outAt…]` (a non-hex digit gives a wrong byte). */
export function hexDecode(buf: Uint8Array, at: number, n: number, out: Uint8Array, outAt = 0): void {
  for (let i = 0; i < n; i++) out[outAt + i] = ((HEX[buf[at + 2 * i]!]! - 1) << 4) | (HEX[buf[at + 2 * i + 1]!]! - 1);
}

/** True when the `n` bytes `bytes[0…n)` equal the lower-case hex at `buf[at…]` (a non-hex digit never matches). */
export function hexEquals(buf: Uint8Array, at: number, bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if ((((HEX[buf[at + 2 * i]!]! - 1) << 4) | (HEX[buf[at + 2 * i + 1]!]! - 1)) !== bytes[i]) return false;
  }
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
    if ((((HEX[buf[at + 2 * i]!]! - 1) << 4) | (HEX[buf[at + 2 * i + 1]!]! - 1)) !== b) same = false;
  }
  return same;
}

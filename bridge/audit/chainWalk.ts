/**
 * The line-by-line chain check behind verify (verify.ts), over a whole file or over one byte range of it, so
 * that a long chain can be checked by several threads (verifyWorker.ts) and stitched together: each range
 * reports its first line's seq and prev_hash and its last hash, which the caller links up.
 */
import type { AuditIncident } from './verify.js';
import { ENTRY_MAC_BYTES } from './deviceKey.js';
import { AuditChainError, GENESIS_HASH } from './entry.js';
import { EntryMacCheck } from './entryMacCheck.js';
import { hashScanned, hashScratch, hexDecode, hexEquals, parseLine, ScannedLine, scanLine } from './entryHash.js';
import { streamLines } from './fileIo.js';

/** Why a line the fast reader refused is bad, in the schema's words. */
function explain(buf: Buffer, start: number, end: number): string {
  const checked = parseLine(buf.subarray(start, end));
  if ('problem' in checked) return checked.problem;
  throw new AuditChainError(`verify: the fast reader rejected entry ${checked.entry.seq}, the schema did not (a bug)`);
}

const CLOSE_BRACE = 0x7d;

/**
 * True when the bytes after the last newline look like a line cut short by a crash: a prefix of
 * `{…}\n` has no `}` at all, or only as its final byte. Anything else there was edited, not torn.
 */
export function isTornTail(tail: Uint8Array): boolean {
  const brace = tail.indexOf(CLOSE_BRACE);
  return brace === -1 || brace === tail.length - 1;
}

/** What the schema says is wrong with a line the fast reader took in, if anything (e.g. a non-hex digit). */
export function schemaProblem(buf: Buffer, start: number, end: number): string | null {
  const checked = parseLine(buf.subarray(start, end));
  return 'problem' in checked ? checked.problem : null;
}

/** Walks a chain line by line, keeping only what the next line and the final checks need. */
export class ChainWalk {
  verified = 0;
  /** The last entry's hash (32 bytes; the genesis value before the first): its stored hex matched it. */
  #prev: Uint8Array = Buffer.from(GENESIS_HASH, 'hex');
  /** `keyedCount` entries have a MAC, `legacy` don't. */
  keyedCount = 0;
  /** Lines taken in by this walk, and the index of the first one without a MAC (-1: none). */
  taken = 0;
  firstUnkeyed = -1;
  /** Set for a range walked on its own: its first line is taken as the start (see {@link step}). */
  floating = false;
  /** The first line of a floating range: its seq, prev_hash and what the schema says of it. */
  first: { seq: number; prevHex: string; schemaProblem: string | null } | null = null;
  legacy = 0;
  /** The stored hash hex at `watchSeq`, when that seq was reached. */
  watchedHex: string | null = null;
  readonly incidents: AuditIncident[] = [];
  readonly #line = new ScannedLine();
  readonly #scratch = hashScratch();
  readonly #macs: EntryMacCheck | null;

  constructor(
    /** Entries after this seq must carry a MAC (from the head record); Infinity when unknown. */
    private readonly legacyUntil: number,
    private readonly watchSeq: number,
    /** The entry-MAC key's pads when checking with the device key; null for consistency only. */
    pads: { ipad: Uint8Array; opad: Uint8Array } | null,
  ) {
    this.#macs = pads ? new EntryMacCheck(pads) : null;
  }

  /** Hex of the last entry's hash (the genesis value before the first), as stored. */
  get lastHex(): string {
    return Buffer.from(this.#prev).toString('hex');
  }

  /**
   * Checks one line against the chain so far and takes it in when it is fine.
   * @returns null when taken in, else what is wrong with it (state unchanged).
   */
  step(buf: Buffer, start: number, end: number): string | null {
    const line = this.#line;
    if (this.floating) {
      // The first line of a range verified on its own: take its seq and prev_hash as given; the caller checks
      // them against the end of the range before it.
      if (!scanLine(buf, start, end, line)) return explain(buf, start, end);
      this.floating = false;
      this.verified = line.seq - 1;
      const prev = Buffer.alloc(32);
      hexDecode(buf, line.prevStart, 32, prev);
      this.#prev = prev;
      this.first = {
        seq: line.seq,
        prevHex: buf.toString('latin1', line.prevStart, line.prevStart + 64),
        schemaProblem: schemaProblem(buf, start, end),
      };
    }
    if (!scanLine(buf, start, end, line)) return explain(buf, start, end);
    const expected = this.verified + 1;
    if (line.seq !== expected) {
      const how = line.seq < expected ? 'repeated or reordered' : 'missing or reordered';
      return `found seq ${line.seq} where ${expected} was expected (entry ${how}?)`;
    }
    if (!hexEquals(buf, line.prevStart, this.#prev, 32)) {
      return (
        schemaProblem(buf, start, end) ??
        (expected === 1
          ? 'prev_hash is not the genesis value (entries before it deleted?)'
          : `prev_hash does not match entry ${expected - 1} (inserted, deleted or reordered entry?)`)
      );
    }
    const digest = hashScanned(buf, line, this.#scratch);
    if (!hexEquals(buf, line.hashStart, digest, 32)) return schemaProblem(buf, start, end) ?? 'hash mismatch (edited?)';
    if (line.macStart < 0) {
      if (this.keyedCount > 0) return 'has no MAC though the entries before it have one (MAC removed?)';
      if (expected > this.legacyUntil)
        return `has no MAC, though this device keys every entry after seq ${this.legacyUntil} (rewritten without the key?)`;
    } else if (this.#macs && !this.#macs.matches(digest, buf, line.macStart, ENTRY_MAC_BYTES)) {
      return "its MAC does not match this device's key (written or rewritten without the key, or another device's chain)";
    }
    // Taken in.
    this.verified = expected;
    this.#prev = digest;
    if (line.macStart >= 0) this.keyedCount++;
    else {
      if (this.firstUnkeyed < 0) this.firstUnkeyed = this.taken;
      this.legacy++;
    }
    this.taken++;
    if (expected === this.watchSeq) this.watchedHex = this.lastHex;
    if (line.isAuditError(buf)) {
      const s = line.spans;
      if (s[16]! >= 0) this.incidents.push({ seq: expected, what: buf.toString('latin1', s[16]!, s[17]!) });
    }
    return null;
  }
}


/** What to walk: a byte range of a chain file and the checks that apply (all plain data: sent to workers). */
export interface RangeSpec {
  path: string;
  /** Byte range; `start` begins a line, `end` ends one (or is the end of the file). */
  start: number;
  end: number;
  /** True for the range that starts the file: its first line must follow the genesis value. */
  fromGenesis: boolean;
  legacyUntil: number;
  watchSeq: number;
  pads: { ipad: Uint8Array; opad: Uint8Array } | null;
}

/** What a range walk found (plain data). `problem.index` counts lines taken in before the bad one. */
export interface RangeResult {
  taken: number;
  first: { seq: number; prevHex: string; schemaProblem: string | null } | null;
  lastHex: string;
  keyedCount: number;
  legacy: number;
  firstUnkeyed: number;
  watchedHex: string | null;
  incidents: AuditIncident[];
  problem: { index: number; reason: string } | null;
  torn: boolean;
  tailEntry: Uint8Array | null;
  /** Offset just after the last line taken in. */
  end: number;
}

/**
 * Walks one range of a chain file (the whole file when `start` is 0 and `end` its size).
 * @throws fs errors as is.
 */
export async function walkRange(spec: RangeSpec): Promise<RangeResult> {
  const w = new ChainWalk(spec.legacyUntil, spec.watchSeq, spec.pads);
  w.floating = !spec.fromGenesis;
  let problem: { index: number; reason: string } | null = null;
  let torn = false;
  let tailEntry: Uint8Array | null = null;
  const end = await streamLines(
    spec.path,
    (buf, s, e) => {
      const p = w.step(buf, s, e);
      if (p === null) return true;
      problem = { index: w.taken, reason: p };
      return false;
    },
    (tail) => {
      if (tail.length === 0) return;
      const p = w.step(tail, 0, tail.length);
      if (p === null) tailEntry = new Uint8Array(tail);
      else if (isTornTail(tail)) torn = true;
      else problem = { index: w.taken, reason: p };
    },
    { start: spec.start, end: spec.end },
  );
  return {
    taken: w.taken,
    first: w.first,
    lastHex: w.lastHex,
    keyedCount: w.keyedCount,
    legacy: w.legacy,
    firstUnkeyed: w.firstUnkeyed,
    watchedHex: w.watchedHex,
    incidents: w.incidents,
    problem,
    torn,
    tailEntry,
    end,
  };
}

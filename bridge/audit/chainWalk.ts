/**
 * The line-by-line chain check behind verify (verify.ts), over a whole file or over one byte range of it, so
 * that a long chain can be checked by several threads (verifyWorker.ts) and stitched together: each range
 * reports its first line's seq and prev_hash and its last hash, which the caller links up.
 */
import type { AuditIncident } from './verify.js';
import { ENTRY_MAC_BYTES } from './entryValues.js';
import { EntryMacCheck } from './entryMacCheck.js';
import { digestEqualsHex, hexDecode, hexEquals, ScannedLine, scanLine } from './entryScan.js';
import { streamLines } from './fileIo.js';

/**
 * A line the fast reader refused, kept so the schema can name what is wrong with it once the walk has stopped:
 * the slow reader (entryHash.ts `parseLine`) loads zod, which worker threads need not load for a good chain.
 * `otherwise` is the reason when the schema finds nothing wrong (e.g. a hash mismatch); null when the schema
 * must find something (the fast reader refused the line's form).
 */
export interface RefusedLine {
  line: Uint8Array;
  otherwise: string | null;
}

/**
 * What is wrong with a refused line, in the schema's words, else its `otherwise` reason.
 * @throws AuditChainError when the fast reader refused a line's form that the schema accepts (a bug).
 */
export async function explainRefused(refused: RefusedLine): Promise<string> {
  const [{ parseLine }, { AuditChainError }] = await Promise.all([import('./entryHash.js'), import('./entry.js')]);
  const checked = parseLine(refused.line);
  if ('problem' in checked) return checked.problem;
  if (refused.otherwise !== null) return refused.otherwise;
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

/** Why a line without a MAC after keyed entries is refused. */
export const MAC_REMOVED = 'has no MAC though the entries before it have one (MAC removed?)';

/** Walks a chain line by line, keeping only what the next line and the final checks need. */
export class ChainWalk {
  verified = 0;
  /** `keyedCount` entries have a MAC, `legacy` don't. */
  keyedCount = 0;
  /** Lines taken in by this walk, and the index of the first one without a MAC (-1: none). */
  taken = 0;
  firstUnkeyed = -1;
  /** Set for a range walked on its own: its first line is taken as the start (see {@link step}). */
  floating = false;
  /** The first line of a floating range: its seq, prev_hash and its bytes (for the schema, see stitch). */
  first: { seq: number; prevHex: string; line: Uint8Array } | null = null;
  /** The line {@link step} refused last, for {@link explainRefused}. */
  refused: RefusedLine | null = null;
  legacy = 0;
  /** The stored hash hex at `watchSeq`, when that seq was reached. */
  watchedHex: string | null = null;
  readonly incidents: AuditIncident[] = [];
  /**
   * Set when a line was refused for lacking a MAC with no keyed entry before it in this walk: in a range walked
   * on its own, keyed entries in the ranges before make that {@link MAC_REMOVED} (see parallelWalk.ts `stitch`).
   */
  refusedForNoMac = false;
  /**
   * The line being checked. Its message's first 32 bytes hold the last entry's hash (zero, the genesis value,
   * before the first): the next line's stored prev_hash must match them, and its hash covers them.
   */
  readonly #line = new ScannedLine();
  /** The digest of the line being checked, as bytes. */
  readonly #digest = new Uint8Array(32);
  readonly #macs: EntryMacCheck | null;

  constructor(
    /** Entries after this seq must carry a MAC (from the head record); Infinity when unknown. */
    private readonly legacyUntil: number,
    private readonly watchSeq: number,
    /** The entry-MAC key's pads when checking with the device key; null for consistency only. */
    pads: { ipad: Uint8Array; opad: Uint8Array } | null,
  ) {
    this.#macs = pads ? new EntryMacCheck(pads) : null;
    this.#line.macDigitsCompared = pads !== null;
  }

  /** Hex of the last entry's hash (the genesis value before the first), as stored. */
  get lastHex(): string {
    return this.#line.message.toString('hex', 0, 32);
  }

  /**
   * Checks one line against the chain so far and takes it in when it is fine.
   * @returns null when taken in, else what is wrong with it (state unchanged).
   */
  step(buf: Buffer, start: number, end: number): string | null {
    const line = this.#line;
    if (!scanLine(buf, start, end, line)) return this.#refuse(buf, start, end, null);
    if (this.floating) {
      // The first line of a range verified on its own: take its seq and prev_hash as given; the caller checks
      // them against the end of the range before it.
      this.floating = false;
      this.verified = line.seq - 1;
      hexDecode(buf, line.prevStart, 32, line.message);
      this.first = {
        seq: line.seq,
        prevHex: buf.toString('latin1', line.prevStart, line.prevStart + 64),
        line: Uint8Array.prototype.slice.call(buf, start, end),
      };
    }
    const expected = this.verified + 1;
    if (line.seq !== expected) {
      const how = line.seq < expected ? 'repeated or reordered' : 'missing or reordered';
      return `found seq ${line.seq} where ${expected} was expected (entry ${how}?)`;
    }
    if (!hexEquals(buf, line.prevStart, line.message, 32)) {
      return this.#refuse(
        buf,
        start,
        end,
        expected === 1
          ? 'prev_hash is not the genesis value (entries before it deleted?)'
          : `prev_hash does not match entry ${expected - 1} (inserted, deleted or reordered entry?)`,
      );
    }
    const digest = this.#digest;
    if (!digestEqualsHex(buf, line.hashStart, line.digest(), digest))
      return this.#refuse(buf, start, end, 'hash mismatch (edited?)');
    if (line.macStart < 0) {
      if (this.keyedCount > 0) return MAC_REMOVED;
      if (expected > this.legacyUntil) {
        this.refusedForNoMac = true;
        return `has no MAC, though this device keys every entry after seq ${this.legacyUntil} (rewritten without the key?)`;
      }
    } else if (this.#macs && !this.#macs.matches(digest, buf, line.macStart, ENTRY_MAC_BYTES)) {
      // The schema names a MAC that is not hex (which scanLine left to this comparison).
      return this.#refuse(
        buf,
        start,
        end,
        "its MAC does not match this device's key (written or rewritten without the key, or another device's chain)",
      );
    }
    // Taken in: this hash is what the next line must link to.
    line.message.set(digest);
    this.verified = expected;
    if (line.macStart >= 0) this.keyedCount++;
    else {
      if (this.firstUnkeyed < 0) this.firstUnkeyed = this.taken;
      this.legacy++;
    }
    this.taken++;
    if (expected === this.watchSeq) this.watchedHex = this.lastHex;
    if (line.errorStart >= 0 && line.isAuditError(buf)) {
      this.incidents.push({ seq: expected, what: buf.toString('latin1', line.errorStart, line.errorEnd) });
    }
    return null;
  }

  /** Keeps a refused line for {@link explainRefused}; the reason returned stands until then. */
  #refuse(buf: Buffer, start: number, end: number, otherwise: string | null): string {
    this.refused = { line: Uint8Array.prototype.slice.call(buf, start, end), otherwise };
    return otherwise ?? 'refused by the fast reader';
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
  /** Read size in bytes (default: streamLines' 1 MiB). */
  readBytes?: number;
}

/** What a range walk found (plain data). `problem.index` counts lines taken in before the bad one. */
export interface RangeResult {
  taken: number;
  first: { seq: number; prevHex: string; line: Uint8Array } | null;
  lastHex: string;
  keyedCount: number;
  legacy: number;
  firstUnkeyed: number;
  watchedHex: string | null;
  incidents: AuditIncident[];
  /** `noMac`: refused for lacking a MAC with no keyed entry before it in the range. */
  problem: { index: number; reason: string; noMac: boolean } | null;
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
  let problem: RangeResult['problem'] = null;
  let torn = false;
  let tailEntry: Uint8Array | null = null;
  const end = await streamLines(
    spec.path,
    (buf, s, e) => {
      const p = w.step(buf, s, e);
      if (p === null) return true;
      problem = { index: w.taken, reason: p, noMac: w.refusedForNoMac };
      return false;
    },
    (tail) => {
      if (tail.length === 0) return;
      const p = w.step(tail, 0, tail.length);
      if (p === null) tailEntry = new Uint8Array(tail);
      else if (isTornTail(tail)) torn = true;
      else problem = { index: w.taken, reason: p, noMac: w.refusedForNoMac };
    },
    { start: spec.start, end: spec.end, ...(spec.readBytes === undefined ? {} : { chunkBytes: spec.readBytes }) },
  );
  const stopped = problem as RangeResult['problem'];
  if (stopped && w.refused) stopped.reason = await explainRefused(w.refused);
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

/**
 * Walks range `first` of `specs`, then claims ranges from the shared counter `claim[0]` (Atomics: other threads
 * claim from the same counter) until none is left; a range with a problem ends the claiming for every thread,
 * since nothing after it can change the outcome. Passes each result to `onResult` as it is done.
 * @throws fs errors as is.
 */
export async function walkClaimed(
  specs: RangeSpec[],
  first: number,
  claim: Int32Array,
  onResult: (index: number, result: RangeResult) => void,
): Promise<void> {
  for (let i = first; i < specs.length; i = Atomics.add(claim, 0, 1)) {
    const result = await walkRange(specs[i]!);
    if (result.problem) Atomics.store(claim, 0, specs.length);
    onResult(i, result);
  }
}

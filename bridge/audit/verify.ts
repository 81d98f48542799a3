/**
 * Verifying, reading and exporting an audit chain file.
 *
 * What verify proves (threat model; README "What `audit verify` proves"):
 * - Without the device key (an exported copy, another machine): the file is internally consistent — every hash
 *   recomputes, every `prev_hash` links, `seq` runs 1, 2, 3, … So no entry was edited, inserted, deleted or
 *   reordered *unless the whole rest of the file was rewritten*: anyone can write a fresh self-consistent chain,
 *   or cut entries off the end. The result says `keyed: false`.
 * - With the device key: also that every keyed entry was written by a holder of the key (its MAC checks out; a
 *   valid MAC on the last entry vouches for all before it, because each hash covers the previous one), and that
 *   the file agrees with the head record this device keeps beside it: the chain reaches at least the recorded
 *   seq and holds the recorded hash there. That catches entries deleted from the end, a rollback to an older
 *   copy, and a whole file replaced by a self-consistent rewrite made without the key.
 * - Not caught: someone who holds the device key (it is then their chain); a rollback of the file *and* the
 *   head together to an older pair both made by this device — nothing on the device remembers a later state (an
 *   exported copy kept elsewhere narrows that window); and entries cut within the head's lag, at most
 *   `HEAD_INTERVAL_MS` (50 ms) after their append while the engine runs — the state a crash between an append
 *   and its head update leaves, which verify must accept. `flush`/`close` bring the head to the end.
 *
 * Speed: the stored bytes are streamed in bounded memory (two 1 MiB buffers per thread, the next read overlapped
 * with checking), each line checked and hashed in place (entryScan.ts) with no JSON parsing, no zod and no
 * re-serialising; with a key, each entry's MAC too (entryMacCheck.ts; so a changed MAC byte is found at its
 * entry). A file of 32 MiB or more (about 100,000 entries) is cut at line starts into ranges of about 8 MiB that
 * this thread and worker threads claim one after another (parallelWalk.ts, verifyWorker.ts), stitched back in
 * order: each range's first line must carry the seq and prev_hash the range before it ends with, so the result
 * is exactly that of one thread.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type DeviceKey } from './deviceKey.js';
import { type AuditEntry, AuditChainError } from './entry.js';
import { isTornTail } from './chainWalk.js';
import { parseLine } from './entryHash.js';
import { NEWLINE, streamLines, syncDirectory } from './fileIo.js';
import { walkChain } from './parallelWalk.js';
import { type HeadRead, headPathFor, readHead } from './headAnchor.js';

/** An `anchor:` incident the writer recorded in the chain when it found the file and its head disagreeing. */
export interface AuditIncident {
  /** Seq of the entry that records it. */
  seq: number;
  /** The entry's `error` code, e.g. `anchor: chain ends at seq 10, head recorded seq 12`. */
  what: string;
}

/**
 * Outcome of verifying a chain. `verified` counts entries that check out before the first bad one;
 * `first_bad_seq` is the seq the first bad entry has or should have had (always `verified + 1`); `reason` says
 * what is wrong in words (`entry 7: hash mismatch (edited?)`, `the chain ends at seq 10; this device recorded
 * seq 12 …`). `torn_tail` is set when the file ends in an incomplete line from a crash mid-write, and
 * `missing_newline` when it ends in a complete entry without its newline; neither alone makes `ok` false
 * (the writer repairs both on next open).
 * `keyed` says what was proven: true = checked with the device key (MACs and the head record), false =
 * internal consistency only (see the module comment). `legacy_unkeyed` (keyed checks only) counts entries
 * written before the chain was keyed, which carry no MAC of their own. `incidents` lists anchor problems the
 * device found and recorded in the chain earlier.
 */
export type VerifyResult = {
  ok: boolean;
  verified: number;
  first_bad_seq?: number;
  reason?: string;
  torn_tail?: boolean;
  missing_newline?: boolean;
  keyed: boolean;
  legacy_unkeyed?: number;
  head_seq?: number;
  incidents?: AuditIncident[];
};

/** Options of {@link verifyAuditFile} and {@link exportAudit}. */
export interface VerifyOptions {
  /** The device key: check MACs and the head record. Absent: internal consistency only. */
  deviceKey?: DeviceKey | undefined;
  /** Where the head record is (default: {@link headPathFor} the chain). */
  headPath?: string | undefined;
  /**
   * Files of at least this many bytes are checked by several threads (default 32 MiB, about 100,000
   * entries; Infinity: always one thread). Tests lower it.
   */
  parallelMinBytes?: number | undefined;
  /** Size of the ranges a parallel check cuts the file into, in bytes (default 8 MiB). Tests lower it. */
  rangeBytes?: number | undefined;
  /** Read size, in bytes (default 1 MiB; lines longer than this are joined across reads). Tests lower it. */
  readBytes?: number | undefined;
  /** Told how many threads checked the file (1 when it was not split, or workers could not start). */
  onThreads?: ((threads: number) => void) | undefined;
}

/** Default of {@link VerifyOptions.parallelMinBytes}: below this, starting worker threads costs more than it saves. */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

export { isTornTail };

/** Internal outcome of a walk: the result and the byte range it vouches for. */
interface Walked {
  result: VerifyResult;
  /** Offset just after the last verified complete line. */
  end: number;
  /** The final line (no newline) was a complete entry and is verified. */
  tailEntry: Buffer | null;
}

async function walk(path: string, opts: VerifyOptions): Promise<Walked> {
  const key = opts.deviceKey;
  const headPath = opts.headPath ?? headPathFor(path);
  const head: HeadRead | null = key ? await readHead(headPath, key) : null;
  const keyed = key !== undefined;
  if (head?.state === 'other_key') {
    return {
      result: {
        ok: false,
        verified: 0,
        first_bad_seq: 1,
        reason:
          `the head record was made with another device key (key id ${head.key_id}; this key is ${key!.id}): ` +
          'check the chain with the key of the device that wrote it',
        keyed,
      },
      end: 0,
      tailEntry: null,
    };
  }
  const legacyUntil = head?.state === 'ok' ? head.head.legacy_until : Infinity;
  const pads = key ? key.entryMacPads() : null;
  const w = await walkChain(
    {
      path,
      legacyUntil,
      watchSeq: head?.state === 'ok' ? head.head.seq : -1,
      pads,
      ...(opts.readBytes === undefined ? {} : { readBytes: opts.readBytes }),
    },
    { minBytes: opts.parallelMinBytes ?? PARALLEL_MIN_BYTES, rangeBytes: opts.rangeBytes, onThreads: opts.onThreads },
  );
  const { problem, torn, end } = w;
  const tailEntry = w.tailEntry ? Buffer.from(w.tailEntry) : null;
  const base = { keyed, ...(w.incidents.length ? { incidents: w.incidents } : {}) };
  const bad = (seq: number, reason: string): Walked => ({
    result: { ok: false, verified: seq - 1, first_bad_seq: seq, reason, ...base },
    end,
    tailEntry: null,
  });
  if (problem !== null) return bad(problem.seq, `entry ${problem.seq}: ${problem.reason}`);
  const ends = { ...(torn ? { torn_tail: true } : {}), ...(tailEntry ? { missing_newline: true } : {}) };
  if (!key || head === null) return { result: { ok: true, verified: w.verified, ...ends, ...base }, end, tailEntry };

  const n = w.verified;
  const name = basename(headPath);
  const keyedBase = { ...base, ...(w.legacy ? { legacy_unkeyed: w.legacy } : {}) };
  if (head.state === 'missing') {
    if (n > 0 && w.keyedCount > 0) {
      return bad(
        n + 1,
        `the head record (${name}) is missing: the chain ends at seq ${n}, and entries after it could have been ` +
          `deleted unseen (entries 1–${n} are this device's own: their MACs check out)`,
      );
    }
    return { result: { ok: true, verified: n, ...ends, ...keyedBase }, end, tailEntry };
  }
  if (head.state === 'invalid') {
    return bad(n + 1, `the head record (${name}) is not authentic (${head.why}): entries cut from the end could go unseen`);
  }
  const recorded = head.head;
  if (recorded.seq > n) {
    const gone = recorded.seq - n;
    return bad(
      n + 1,
      `the chain ends at seq ${n}; this device recorded seq ${recorded.seq} (the last ${gone} ${gone === 1 ? 'entry was' : 'entries were'} ` +
        'deleted, or the file was rolled back to an older copy)',
    );
  }
  if (recorded.seq > 0 && w.watchedHex !== recorded.hash) {
    return bad(
      recorded.seq,
      `entry ${recorded.seq}: differs from the entry this device recorded at that seq (the file was replaced by ` +
        'another chain or rolled back to an older copy)',
    );
  }
  return {
    result: { ok: true, verified: n, ...ends, ...keyedBase, head_seq: recorded.seq },
    end,
    tailEntry,
  };
}

/**
 * Verifies the chain in `path` without modifying it: recomputes every hash and checks each `prev_hash` link and
 * that `seq` runs 1, 2, 3, …; with `deviceKey`, also the MACs and the head record (see the module comment for
 * what each proves). Stops at the first bad entry. Streams the file in bounded memory.
 * @throws the file system error when the file can't be read (e.g. ENOENT).
 */
export async function verifyAuditFile(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  return (await walk(path, opts)).result;
}

/**
 * Reads every complete entry in `path`, oldest first, without checking hashes (use {@link verifyAuditFile}).
 * A torn final line is skipped; a complete final entry without its newline is included.
 * @throws AuditChainError naming the first line that isn't a well-formed entry; file system errors as is.
 */
export async function readAuditEntries(path: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  const take = (bytes: Uint8Array): void => {
    const checked = parseLine(bytes);
    if ('problem' in checked) {
      throw new AuditChainError(
        `${path}: line ${entries.length + 1}: ${checked.problem}; run verify to see where the chain breaks`,
      );
    }
    entries.push(checked.entry);
  };
  await streamLines(
    path,
    (buf, s, e) => {
      take(buf.subarray(s, e));
      return true;
    },
    (tail) => {
      if (tail.length > 0 && !('problem' in parseLine(tail))) take(tail);
    },
  );
  return entries;
}

/**
 * Writes a verified copy of the chain in `path` to `out`: mode 0600, atomically (a temporary file in `out`'s
 * directory, fsync, rename, fsync of the directory). A torn final line is left out; a complete final entry
 * without its newline gets one. The copy is verified again before it replaces `out`.
 * The copy holds no key and no head record: checked elsewhere it proves internal consistency only.
 * @throws AuditChainError when the chain does not verify (nothing is written); file system errors as is
 *   (e.g. `out`'s directory missing).
 */
export async function exportAudit(path: string, out: string, opts: VerifyOptions = {}): Promise<void> {
  const { result, end, tailEntry } = await walk(path, opts);
  if (!result.ok) throw new AuditChainError(`not exporting ${path}: the chain is broken at ${result.reason}`);
  const dir = dirname(out);
  const tmp = join(dir, `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  const dst = await open(tmp, 'wx', 0o600);
  try {
    const src = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let at = 0; at < end; ) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, end - at), at);
        if (bytesRead === 0) break;
        await dst.write(buf, 0, bytesRead);
        at += bytesRead;
      }
    } finally {
      await src.close();
    }
    if (tailEntry) await dst.write(Buffer.concat([tailEntry, Buffer.from([NEWLINE])]));
    await dst.sync();
    await dst.close();
    const copy = await verifyAuditFile(tmp);
    if (!copy.ok || copy.verified !== result.verified)
      throw new AuditChainError(`not exporting ${path}: it changed while it was being copied; try again`);
    await rename(tmp, out);
  } catch (err) {
    await dst.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

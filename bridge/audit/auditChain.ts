/**
 * The local audit chain (PROTOCOL.md "Audit chain", custody rule 4): an append-only JSON Lines file with one
 * entry per event, each entry hashed together with the previous entry's hash, so that `verify` finds any
 * edited, deleted, inserted or reordered entry.
 *
 * Line format (fields in this fixed order, no spaces, `error` only when present):
 * `{"seq":1,"ts":"2025-01-01T00:00:00.000Z","call_id":"…","tool":"send_message","peer":"user#3f9a12bc",
 *   "phase":"intent","status":"ok","decided_by":"person","prev_hash":"00…00","hash":"…"}`
 *
 * `hash = SHA-256(prev_hash bytes ‖ for each of seq, ts, call_id, tool, peer, phase, status, decided_by, error:
 * u32 big-endian UTF-8 byte length ‖ UTF-8 bytes)`, with `seq` as decimal digits and an absent `error` as the
 * empty string; the first entry's `prev_hash` is 32 zero bytes.
 *
 * Privacy by schema: an entry can only hold the fields above, each restricted to code-like characters, so
 * message text, file contents or paths, phone numbers, codes, passwords, tokens, session strings and names
 * cannot be stored (PROTOCOL.md "Never stored"). None of the value alphabets contains `{`, `}` or a line
 * break; that is what lets a torn final line be told apart from a tampered one.
 *
 * The chain proves the file is internally consistent. Someone who rewrites every entry from some point on can
 * produce another consistent chain; keep an exported copy (or the last hash) elsewhere to detect that.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { redactPeer } from './redactPeer.js';

/** `prev_hash` of the first entry: 32 zero bytes, hex (PROTOCOL.md). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * What an entry records (custody rule 4; issue 8 §6): a write put to the person (`asked`, status `pending`), the
 * person's approval (`decision`, before any undo window), the start of a call's effect (`intent`), its outcome
 * (`result`).
 */
export const AuditPhase = z.enum(['asked', 'decision', 'intent', 'result']);
export type AuditPhase = z.infer<typeof AuditPhase>;

/** How a call ended (PROTOCOL.md "Audit chain"). */
export const AuditStatus = z.enum([
  'ok',
  'pending',
  'undone',
  'dry_run',
  'denied',
  'expired',
  'cancelled',
  'rate_limited',
  'invalid',
  'error',
]);
export type AuditStatus = z.infer<typeof AuditStatus>;

/** Who decided a write: the person, a standing rule they made, an automatic decision, or nobody (`—`). */
export const AuditDecidedBy = z.enum(['person', 'rule', 'auto', '—']);
export type AuditDecidedBy = z.infer<typeof AuditDecidedBy>;

/** Relay call ids: uuids and similar, up to 128 characters of `[A-Za-z0-9._:-]`; empty when there is no call. */
const CALL_ID = /^[A-Za-z0-9._:-]{0,128}$/;
/** Tool names (`send_message`) or a fixed placeholder such as `unknown`: 1–64 of `[A-Za-z0-9._:-]`. */
const TOOL = /^[A-Za-z0-9._:-]{1,64}$/;
/** A peer as `redactPeer` writes it (kind and 8 hex digits, no name, no username), or empty. */
const REDACTED_PEER = /^(?:(?:user|chat|channel|username|peer)#[0-9a-f]{8})?$/;
/**
 * An error code or a short code-like note (`flood_wait`, `telegram_error: PEER_ID_INVALID`): 1–200 characters
 * of letters, digits, space and `_ . : , ; = ( ) [ ] -`. No line breaks, quotes, `@`, `+`, `/` or braces, so
 * free text, usernames, phone numbers and file paths don't fit.
 */
const ERROR_CODE = /^[A-Za-z0-9_.:,;=()[\] -]{1,200}$/;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX_HASH = /^[0-9a-f]{64}$/;

const fields = {
  call_id: z.string().regex(CALL_ID, 'call_id: up to 128 of A-Z a-z 0-9 . _ : -'),
  tool: z.string().regex(TOOL, 'tool: 1–64 of A-Z a-z 0-9 . _ : -'),
  peer: z
    .string()
    .regex(REDACTED_PEER, 'peer: must be redacted (e.g. user#3f9a12bc, see redactPeer) or empty'),
  phase: AuditPhase,
  status: AuditStatus,
  decided_by: AuditDecidedBy,
  error: z
    .string()
    .regex(
      ERROR_CODE,
      'error: a short code (1–200 of letters, digits, space, _ . : , ; = ( ) [ ] -), not free text',
    )
    .optional(),
};

/**
 * What a caller may record: exactly these fields (a strict object: any other key, e.g. `text`, is rejected).
 * `call_id` and `peer` default to `''`, `decided_by` to `'—'`.
 */
export const AuditInputSchema = z.strictObject({
  call_id: fields.call_id.default(''),
  tool: fields.tool,
  peer: fields.peer.default(''),
  phase: fields.phase,
  status: fields.status,
  decided_by: fields.decided_by.default('—'),
  error: fields.error,
});
/** Argument of {@link AuditChain.append}. */
export type AuditInput = z.input<typeof AuditInputSchema>;

/** One stored entry, as a line of the file holds it. */
export const AuditEntrySchema = z.strictObject({
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  ts: z.string().regex(ISO_UTC_MS, 'ts: ISO 8601 UTC with milliseconds'),
  call_id: fields.call_id,
  tool: fields.tool,
  peer: fields.peer,
  phase: fields.phase,
  status: fields.status,
  decided_by: fields.decided_by,
  error: fields.error,
  prev_hash: z.string().regex(HEX_HASH, 'prev_hash: 64 lower-case hex digits'),
  hash: z.string().regex(HEX_HASH, 'hash: 64 lower-case hex digits'),
});
/** One audit entry. `ts` is ISO 8601 UTC with ms; hashes are 64 lower-case hex digits. */
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/**
 * Outcome of verifying a chain. `verified` counts entries that check out before the first bad one;
 * `first_bad_seq` is the seq the first bad entry has or should have had (always `verified + 1`); `reason` says
 * what is wrong in words (`entry 7: hash mismatch (edited?)`). `torn_tail` is set when the file ends in an
 * incomplete line from a crash mid-write; that alone does not make `ok` false (it is repaired on next open).
 */
export type VerifyResult = {
  ok: boolean;
  verified: number;
  first_bad_seq?: number;
  reason?: string;
  torn_tail?: boolean;
};

/** A caller tried to record something the schema forbids. Nothing was written. */
export class AuditInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditInputError';
  }
}

/** The audit file can't be used: damaged at its end, closed, or an earlier write failed. */
export class AuditChainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditChainError';
  }
}

/**
 * Computes an entry's hash from its fields and `prev_hash` (see the module comment).
 * @param entry every field but `hash`; `prev_hash` must be 64 hex digits.
 * @returns 64 lower-case hex digits.
 */
export function computeEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
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

/** The one canonical line of an entry (without the trailing newline): fixed key order, no spaces. */
function serialise(e: AuditEntry): string {
  return JSON.stringify({
    seq: e.seq,
    ts: e.ts,
    call_id: e.call_id,
    tool: e.tool,
    peer: e.peer,
    phase: e.phase,
    status: e.status,
    decided_by: e.decided_by,
    ...(e.error === undefined ? {} : { error: e.error }),
    prev_hash: e.prev_hash,
    hash: e.hash,
  });
}

const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when the bytes after the last newline look like a line cut short by a crash: a prefix of
 * `{…}\n` has no `}` at all, or only as its final byte. Anything else there was edited, not torn.
 */
function isTornTail(tail: Uint8Array): boolean {
  const brace = tail.indexOf(CLOSE_BRACE);
  return brace === -1 || brace === tail.length - 1;
}

type LineCheck = { entry: AuditEntry } | { problem: string };

/** Parses one complete line (no newline) and checks it is a well-formed entry in canonical form. */
function parseLine(bytes: Uint8Array): LineCheck {
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
  if (serialise(parsed.data) !== text) return { problem: 'not in canonical form (edited?)' };
  return { entry: parsed.data };
}

/** Splits file bytes into complete lines and the bytes after the last newline. */
function splitLines(bytes: Uint8Array): { lines: Uint8Array[]; tail: Uint8Array } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(NEWLINE, start);
    if (nl === -1) break;
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, tail: bytes.subarray(start) };
}

/** Verifies a whole chain held in memory; see {@link verifyAuditFile}. */
function verifyBytes(bytes: Uint8Array): VerifyResult {
  const { lines, tail } = splitLines(bytes);
  let prevHash = GENESIS_HASH;
  let verified = 0;
  const bad = (reason: string): VerifyResult => ({
    ok: false,
    verified,
    first_bad_seq: verified + 1,
    reason: `entry ${verified + 1}: ${reason}`,
  });
  const all = tail.length > 0 && !isTornTail(tail) ? [...lines, tail] : lines;
  for (const line of all) {
    const expected = verified + 1;
    const checked = parseLine(line);
    if ('problem' in checked) return bad(checked.problem);
    const e = checked.entry;
    if (e.seq !== expected) {
      const how = e.seq < expected ? 'repeated or reordered' : 'missing or reordered';
      return bad(`found seq ${e.seq} where ${expected} was expected (entry ${how}?)`);
    }
    if (e.prev_hash !== prevHash) {
      return bad(
        expected === 1
          ? 'prev_hash is not the genesis value (entries before it deleted?)'
          : `prev_hash does not match entry ${expected - 1} (inserted, deleted or reordered entry?)`,
      );
    }
    if (computeEntryHash(e) !== e.hash) return bad('hash mismatch (edited?)');
    prevHash = e.hash;
    verified = expected;
  }
  return tail.length > 0 ? { ok: true, verified, torn_tail: true } : { ok: true, verified };
}

/**
 * Verifies the chain in `path` without modifying it: recomputes every hash and checks each `prev_hash` link and
 * that `seq` runs 1, 2, 3, … Stops at the first bad entry. A torn final line (no newline, cut short) is
 * reported as `torn_tail: true` with `ok` still true when everything before it verifies.
 * @throws the file system error when the file can't be read (e.g. ENOENT).
 */
export async function verifyAuditFile(path: string): Promise<VerifyResult> {
  return verifyBytes(await readFile(path));
}

/**
 * Reads every complete entry in `path`, oldest first, without checking hashes (use {@link verifyAuditFile}).
 * A torn final line is skipped.
 * @throws AuditChainError naming the first line that isn't a well-formed entry; file system errors as is.
 */
export async function readAuditEntries(path: string): Promise<AuditEntry[]> {
  const { lines } = splitLines(await readFile(path));
  return lines.map((line, i) => {
    const checked = parseLine(line);
    if ('problem' in checked) {
      throw new AuditChainError(
        `${path}: line ${i + 1}: ${checked.problem}; run verify to see where the chain breaks`,
      );
    }
    return checked.entry;
  });
}

/**
 * Writes a verified copy of the chain in `path` to `out`: mode 0600, atomically (a temporary file in `out`'s
 * directory, fsync, rename, fsync of the directory). A torn final line is left out of the copy. The bytes copied
 * are exactly the bytes verified.
 * @throws AuditChainError when the chain does not verify (nothing is written); file system errors as is
 *   (e.g. `out`'s directory missing).
 */
export async function exportAudit(path: string, out: string): Promise<void> {
  const bytes = await readFile(path);
  const result = verifyBytes(bytes);
  if (!result.ok) throw new AuditChainError(`not exporting ${path}: the chain is broken at ${result.reason}`);
  const body = bytes.subarray(0, bytes.lastIndexOf(NEWLINE) + 1);
  const dir = dirname(out);
  const tmp = join(dir, `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(body);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp);
    throw err;
  }
  await fh.close();
  await rename(tmp, out);
  await syncDirectory(dir);
}

/** Makes a rename or a file creation in `dir` durable (POSIX; Windows has no directory fsync). */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** How far back {@link readTail} looks at first, in bytes; entries are well under 1 KiB. */
const TAIL_CHUNK = 64 * 1024;

/**
 * Reads the end of the file: the last complete line and where complete lines end.
 * @returns `lastLine` (without newline) or null when there is no complete line; `completeEnd`, the byte offset
 *   just after the last newline; `tail`, the bytes after it.
 */
async function readTail(
  fh: FileHandle,
  size: number,
): Promise<{ lastLine: Uint8Array | null; completeEnd: number; tail: Uint8Array }> {
  for (let chunk = TAIL_CHUNK; ; chunk *= 2) {
    const start = Math.max(0, size - chunk);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = buf.subarray(0, got);
    const lastNl = data.lastIndexOf(NEWLINE);
    if (lastNl === -1) {
      if (start === 0) return { lastLine: null, completeEnd: 0, tail: data };
      continue;
    }
    const prevNl = lastNl === 0 ? -1 : data.lastIndexOf(NEWLINE, lastNl - 1);
    if (prevNl === -1 && start > 0) continue;
    return {
      lastLine: data.subarray(prevNl + 1, lastNl),
      completeEnd: start + lastNl + 1,
      tail: data.subarray(lastNl + 1),
    };
  }
}

/** Options of {@link AuditChain.open}. */
export interface AuditChainOptions {
  /** Source of entry timestamps (default the system clock). */
  clock?: Clock;
  /** fsync after every append (default true). Only tests and benchmarks turn it off. */
  fsync?: boolean;
}

/**
 * An open audit chain: the single writer of one file. Appends are serialised in call order; each is one
 * `write` of a whole line to an `O_APPEND` handle followed by fsync, and resolves only once durable, so a caller
 * that awaits `append` before acting has the entry in the chain before the effect (custody rule 4).
 * One process, one `AuditChain` per file.
 */
export class AuditChain {
  /** The file this chain appends to. */
  readonly path: string;
  /** True when `open` found a torn final line (crash mid-write) and cut the file back to its last full line. */
  readonly repairedTornTail: boolean;

  readonly #fh: FileHandle;
  readonly #clock: Clock;
  readonly #fsync: boolean;
  #seq: number;
  #hash: string;
  #queue: Promise<unknown> = Promise.resolve();
  #failed: Error | null = null;
  #closed = false;
  readonly #appended = new Set<(entry: AuditEntry) => void>();

  private constructor(
    path: string,
    fh: FileHandle,
    head: { seq: number; hash: string },
    opts: { clock: Clock; fsync: boolean; repaired: boolean },
  ) {
    this.path = path;
    this.#fh = fh;
    this.#seq = head.seq;
    this.#hash = head.hash;
    this.#clock = opts.clock;
    this.#fsync = opts.fsync;
    this.repairedTornTail = opts.repaired;
  }

  /**
   * Opens (creating if needed) the chain at `path`. The parent directory is created with mode 0700; the file
   * is created with mode 0600, or narrowed to 0600 if it exists with wider permissions (ARCHITECTURE.md
   * "SecretBox": files 0600, directories 0700). Reads only the end of the file to continue `seq` and the hash
   * chain. A torn final line is cut off (file truncated to its last complete line; earlier bytes untouched)
   * and reported in {@link repairedTornTail}. Earlier bad entries are left alone for `verify` to report.
   * @throws AuditChainError when the end of the file is damaged in a way a crash can't explain (the last
   *   complete line isn't an entry, or the final line is not a cut-short entry): move the file aside to start
   *   a new chain. File system errors (e.g. EACCES) as is.
   */
  static async open(path: string, opts: AuditChainOptions = {}): Promise<AuditChain> {
    const dir = dirname(path);
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(dir, 0o700);
    const fh = await open(path, 'a+', 0o600);
    try {
      const st = await fh.stat();
      if ((st.mode & 0o077) !== 0) await fh.chmod(0o600);
      if (st.size === 0) await syncDirectory(dir);
      const { lastLine, completeEnd, tail } = await readTail(fh, st.size);
      let repaired = false;
      if (tail.length > 0) {
        if (!isTornTail(tail)) {
          throw new AuditChainError(
            `audit chain ${path} is damaged at its end: the final line has no newline and is not an entry cut ` +
              'short by a crash. Run verify to see where it breaks; move the file aside to start a new chain.',
          );
        }
        await fh.truncate(completeEnd);
        await fh.sync();
        repaired = true;
      }
      let head = { seq: 0, hash: GENESIS_HASH };
      if (lastLine !== null) {
        const checked = parseLine(lastLine);
        if ('problem' in checked) {
          throw new AuditChainError(
            `audit chain ${path} is damaged at its end (last entry: ${checked.problem}), so it can't be ` +
              'continued. Run verify to see where it breaks; move the file aside to start a new chain.',
          );
        }
        head = { seq: checked.entry.seq, hash: checked.entry.hash };
      }
      return new AuditChain(path, fh, head, {
        clock: opts.clock ?? systemClock,
        fsync: opts.fsync ?? true,
        repaired,
      });
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Seq of the last entry in the chain (0 when empty). Entries still queued are not counted. */
  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * The tag an entry stores for a peer (`user#3f9a12bc`): kind and 8 hex digits, no name, no username.
   * @param ref a canonical peer ref (`user:123`) or any accepted peer form.
   */
  peerTag(ref: string): string {
    return redactPeer(ref);
  }

  /**
   * Calls `listener` with a copy of each entry once it is durable (the UI's audit view follows the chain
   * live). A listener that throws is ignored: the entry is already on disk.
   * @returns a function that removes the listener.
   */
  onAppended(listener: (entry: AuditEntry) => void): () => void {
    this.#appended.add(listener);
    return () => this.#appended.delete(listener);
  }

  /** Hash of the last entry (the genesis value when empty): an anchor to keep elsewhere. */
  get lastHash(): string {
    return this.#hash;
  }

  /**
   * Appends one entry, timestamped now. Concurrent calls are queued and written in call order.
   * @returns the entry as written, once it is on disk (fsync'd unless `fsync: false`).
   * @throws AuditInputError when `input` breaks the schema (unknown key such as `text`, unredacted peer, error
   *   with free text or newlines…); nothing is written. AuditChainError after `close`, or when an earlier
   *   write failed (the file's end is then unknown: reopen it, which repairs a torn line).
   */
  append(input: AuditInput): Promise<AuditEntry> {
    const parsed = AuditInputSchema.safeParse(input);
    if (!parsed.success) {
      // Name the fields, never echo their values: a rejected value may be exactly what must not be stored.
      const what = parsed.error.issues
        .map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message))
        .join('; ');
      return Promise.reject(new AuditInputError(`audit entry rejected: ${what}`));
    }
    if (this.#closed) return Promise.reject(new AuditChainError(`audit chain ${this.path} is closed`));
    const ts = new Date(this.#clock.now()).toISOString();
    const job = this.#queue.then(() => this.#write(parsed.data, ts));
    // The queue only orders writes; each caller gets its own outcome through `job`.
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /**
   * Verifies the whole file (see {@link verifyAuditFile}) after the appends queued so far; appends made
   * meanwhile wait for it.
   */
  verify(): Promise<VerifyResult> {
    const job = this.#queue.then(() => verifyAuditFile(this.path));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /** Waits for queued appends, then closes the file. Idempotent; later appends are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.#fh.close();
  }

  async #write(input: z.output<typeof AuditInputSchema>, ts: string): Promise<AuditEntry> {
    if (this.#failed) {
      throw new AuditChainError(
        `audit chain ${this.path} stopped after a failed write (${this.#failed.message}); reopen it`,
        { cause: this.#failed },
      );
    }
    const unhashed = {
      seq: this.#seq + 1,
      ts,
      call_id: input.call_id,
      tool: input.tool,
      peer: input.peer,
      phase: input.phase,
      status: input.status,
      decided_by: input.decided_by,
      ...(input.error === undefined ? {} : { error: input.error }),
      prev_hash: this.#hash,
    };
    const entry: AuditEntry = { ...unhashed, hash: computeEntryHash(unhashed) };
    const line = Buffer.from(`${serialise(entry)}\n`, 'utf8');
    try {
      let written = 0;
      while (written < line.length) {
        const { bytesWritten } = await this.#fh.write(line, written, line.length - written);
        written += bytesWritten;
      }
      if (this.#fsync) await this.#fh.sync();
    } catch (err) {
      this.#failed = err instanceof Error ? err : new Error(String(err));
      throw new AuditChainError(`could not write to audit chain ${this.path}: ${this.#failed.message}`, {
        cause: err,
      });
    }
    this.#seq = entry.seq;
    this.#hash = entry.hash;
    for (const listener of [...this.#appended]) {
      try {
        listener({ ...entry });
      } catch {
        // A viewer that fails must not fail the append: the entry is already durable.
      }
    }
    return entry;
  }
}

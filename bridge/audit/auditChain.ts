/**
 * The local audit chain (PROTOCOL.md "Audit chain", custody rule 4): an append-only JSON Lines file with one
 * entry per event, each entry hashed together with the previous entry's hash, so that `verify` finds any
 * edited, deleted, inserted or reordered entry; keyed with the device key (per-entry MACs and a head record
 * beside the file) so that entries cut from the end, a rollback and a rewrite without the key are found too.
 *
 * This module is the writer, {@link AuditChain}, and re-exports the rest of the audit module:
 * - entry.ts — the entry schema, canonical line form, errors;
 * - entryValues.ts — the enum values and MAC size as plain constants (zod-free, for verify's worker threads);
 * - entryHash.ts — the hash (PROTOCOL.md) and the slow, explaining line reader;
 * - verify.ts — verify, read and export, and the threat model (what verify proves with and without the key);
 * - entryScan.ts, entryMacCheck.ts, chainWalk.ts, parallelWalk.ts, verifyWorker.ts — verify's byte-level line
 *   reader, its MAC check, the line-by-line walk and its split over worker threads;
 * - headAnchor.ts — the head record (`audit.head`);
 * - deviceKey.ts — the device key and where it lives; fileIo.ts — atomic files and streaming.
 *
 * Group commit (issue 12): appends are queued in call order; the writer takes everything queued, writes it with
 * one `write` and, if any of it was asked durable, one `fdatasync`; appends arriving meanwhile form the next
 * batch. The `write` is synchronous (`writeSync`: a few hundred bytes into the page cache, microseconds, where the
 * promise API cost a thread-pool round trip and more main-thread CPU than the write itself); the `fdatasync`,
 * which waits for the disk, runs on the thread pool. A durable append resolves only once its line is on disk, so a caller that awaits it before acting has
 * the entry in the chain before the effect (custody rule 4). `{ durable: false }` resolves once queued: its line
 * is written with the next batch and made durable by the next durable append or `close`. `{ durable: 'soon' }`
 * resolves once its line is written (in the file, not yet synced) and is made durable by the next durable
 * append, at the latest {@link LAZY_SYNC_MS} later: a read call's result entry, whose call was already in the
 * chain durably (its intent) before the answer left, so a read costs one fdatasync, overlapped with Telegram.
 */
import fs from 'node:fs';
import { chmod, type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import { redactPeer } from './redactPeer.js';
import type { DeviceKey } from './deviceKey.js';
import {
  type AuditEntry,
  AuditChainError,
  type AuditInput,
  AuditInputError,
  AuditInputSchema,
  type AuditRecord,
  GENESIS_HASH,
  serialiseEntry,
} from './entry.js';
import { computeEntryHash, parseLine } from './entryHash.js';
import { NEWLINE, readTail, syncDirectory } from './fileIo.js';
import { type ChainHead, headPathFor, readHead, writeHead } from './headAnchor.js';
import { isTornTail, type VerifyResult, verifyAuditFile } from './verify.js';

export { DeviceKey, deviceKeyPathFor, loadDeviceKey } from './deviceKey.js';
export {
  AuditChainError,
  AuditDecidedBy,
  type AuditEntry,
  AuditEntrySchema,
  type AuditInput,
  AuditInputError,
  AuditInputSchema,
  AuditPhase,
  AuditStatus,
  GENESIS_HASH,
} from './entry.js';
export { computeEntryHash } from './entryHash.js';
export { type ChainHead, headPathFor } from './headAnchor.js';
export {
  type AuditIncident,
  exportAudit,
  readAuditEntries,
  type VerifyOptions,
  type VerifyResult,
  verifyAuditFile,
} from './verify.js';

/** Options of {@link AuditChain.open}. */
export interface AuditChainOptions {
  /** Source of entry timestamps (default the system clock). */
  clock?: Clock;
  /** fdatasync durable appends (default true). Only tests and benchmarks turn it off. */
  fsync?: boolean;
  /** How long a 'soon' append may stay unsynced, in ms (default {@link LAZY_SYNC_MS}). Tests lengthen it. */
  lazySyncMs?: number;
  /**
   * The device key (deviceKey.ts): entries get MACs, the head record is kept beside the file, peer tags are
   * keyed. The host always passes one (`device.key`, or the desktop app's safeStorage-sealed key). Without it
   * the chain is unkeyed (format 1: tests, benchmarks, tools reading old files); a keyed chain refuses to be
   * opened without its key.
   */
  deviceKey?: DeviceKey;
  /** Where the head record lives (default {@link headPathFor} the chain). */
  headPath?: string;
}

/** Options of {@link AuditChain.append}. */
export interface AppendOptions {
  /**
   * true (default): resolve once the entry is on disk. false: resolve once queued; the next durable append or
   * `close` makes it durable (a crash before then may lose it; kill -9 only when it was still queued).
   * 'soon': resolve once written to the file (not synced); the next durable append makes it durable, or a sync
   * at most {@link LAZY_SYNC_MS} later (a crash within that window may lose it).
   */
  durable?: boolean | 'soon';
}

interface Pending {
  line: Buffer;
  entry: AuditEntry;
  durable: boolean | 'soon';
  resolve?: (e: AuditEntry) => void;
  reject?: (err: unknown) => void;
}

/**
 * Least time between two head-record writes on the append path, in ms: at most 20 a second, so the head's own
 * fdatasync doesn't compete with every batch. The head may lag the durable end by up to this long (entries cut
 * within that window after a crash look like the crash window verify accepts); `flush`/`close` catch it up.
 */
export const HEAD_INTERVAL_MS = 50;

/**
 * Longest time an entry appended `{ durable: 'soon' }` stays written but not synced when no durable append comes
 * after it, in ms (the head record's lag, {@link HEAD_INTERVAL_MS}, is the same window).
 */
export const LAZY_SYNC_MS = HEAD_INTERVAL_MS;

/** Prefix of the `error` code of entries the writer records about its own anchor (verify lists them). */
export const ANCHOR_INCIDENT = 'anchor';

/**
 * An open audit chain: the single writer of one file. One process, one `AuditChain` per file.
 */
export class AuditChain {
  /** The file this chain appends to. */
  readonly path: string;
  /** The head record's path (keyed chains only). */
  readonly headPath: string;
  /**
   * What `open` repaired at the end of the file: `'torn'` when it cut off a line a crash left incomplete,
   * `'newline'` when it completed a whole last entry that lacked only its newline; null when nothing.
   */
  readonly repairedTail: 'torn' | 'newline' | null;
  /** True when `open` cut off a torn final line (kept for callers of the first format). */
  get repairedTornTail(): boolean {
    return this.repairedTail === 'torn';
  }

  /** Anchor problems `open` found and recorded as entries (empty when file and head agreed). */
  readonly incidents: readonly string[];

  readonly #fh: FileHandle;
  readonly #clock: Clock;
  readonly #fsync: boolean;
  readonly #lazySyncMs: number;
  readonly #key: DeviceKey | undefined;
  #legacyUntil: number;
  #seq: number;
  #hash: string;
  #pending: Pending[] = [];
  #draining: Promise<void> | null = null;
  /** Last seq written and made durable (fdatasync'd, or written when fsync is off). */
  #durableSeq: number;
  #durableHash: string;
  #unsynced = false;
  #headWanted: ChainHead | null = null;
  #headWriting: Promise<void> | null = null;
  #headTimer: ReturnType<typeof setTimeout> | null = null;
  /** Armed while entries appended 'soon' are written but not synced. */
  #lazySyncTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the last head write started (performance.now(), ms). */
  #lastHeadAt = -Infinity;
  #failed: Error | null = null;
  #closed = false;
  readonly #appended = new Set<(entry: AuditEntry) => void>();
  /** Entries written but not yet made durable; listeners hear of them at the next fdatasync. */
  #notDurable: AuditEntry[] = [];

  private constructor(
    path: string,
    fh: FileHandle,
    head: { seq: number; hash: string },
    opts: {
      clock: Clock;
      fsync: boolean;
      lazySyncMs: number;
      key: DeviceKey | undefined;
      headPath: string;
      legacyUntil: number;
      repaired: 'torn' | 'newline' | null;
      incidents: string[];
    },
  ) {
    this.path = path;
    this.headPath = opts.headPath;
    this.#fh = fh;
    this.#seq = this.#durableSeq = head.seq;
    this.#hash = this.#durableHash = head.hash;
    this.#clock = opts.clock;
    this.#fsync = opts.fsync;
    this.#lazySyncMs = opts.lazySyncMs;
    this.#key = opts.key;
    this.#legacyUntil = opts.legacyUntil;
    this.repairedTail = opts.repaired;
    this.incidents = opts.incidents;
  }

  /**
   * Opens (creating if needed) the chain at `path`. The parent directory is created with mode 0700; the file
   * is created with mode 0600, or narrowed to 0600 if it exists with wider permissions (ARCHITECTURE.md
   * "SecretBox": files 0600, directories 0700). Reads only the end of the file to continue `seq` and the hash
   * chain. At the end of the file, a complete last entry that lacks only its newline gets it; a line that does
   * not parse or chain (cut short by a crash) is cut off, earlier bytes untouched (see {@link repairedTail}).
   * Earlier bad entries are left alone for `verify` to report.
   *
   * With a device key, the file's end is checked against the head record. When they disagree — entries missing
   * at the end, a different last entry, the head missing or not authentic — the chain is not refused: the
   * problem is recorded as an entry (`tool: audit`, `status: error`, `error: "anchor: …"`, listed by verify as
   * an incident) and the head is rewritten, so the person keeps a working engine and a permanent trace. An
   * unkeyed (format 1) chain is adopted: its entries stay as they are (verify reports them as `legacy_unkeyed`),
   * the adoption is recorded (an incident unless the device key was created just now), new entries are keyed.
   * @throws AuditChainError when the end of the file is damaged in a way a crash can't explain (the last
   *   complete line isn't an entry, the final line is not a cut-short or whole entry, the last entry's MAC does
   *   not match the key), when the chain is keyed with another device key, or keyed and no key was given: move
   *   the file aside to start a new chain, or use the right key. File system errors (e.g. EACCES) as is.
   */
  static async open(path: string, opts: AuditChainOptions = {}): Promise<AuditChain> {
    const dir = dirname(path);
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(dir, 0o700);
    const key = opts.deviceKey;
    const headPath = opts.headPath ?? headPathFor(path);
    const fh = await open(path, 'a+', 0o600);
    try {
      const st = await fh.stat();
      if ((st.mode & 0o077) !== 0) await fh.chmod(0o600);
      if (st.size === 0) await syncDirectory(dir);
      const damaged = (what: string) =>
        new AuditChainError(
          `audit chain ${path} is damaged at its end (${what}), so it can't be continued. Run verify to see ` +
            'where it breaks; move the file aside to start a new chain.',
        );
      const { lastLine, completeEnd, tail } = await readTail(fh, st.size);
      let last: AuditEntry | null = null;
      if (lastLine !== null) {
        const checked = parseLine(lastLine);
        if ('problem' in checked) throw damaged(`last entry: ${checked.problem}`);
        last = checked.entry;
      }
      let repaired: 'torn' | 'newline' | null = null;
      if (tail.length > 0) {
        const whole = parseLine(tail);
        if ('entry' in whole && chainsAfter(whole.entry, last, key)) {
          await fh.write(Buffer.from([NEWLINE]), 0, 1, st.size);
          last = whole.entry;
          repaired = 'newline';
        } else if (isTornTail(tail)) {
          await fh.truncate(completeEnd);
          repaired = 'torn';
        } else {
          throw damaged('the final line has no newline and is neither a whole entry nor one cut short by a crash');
        }
        await fh.sync();
      }
      const clock = opts.clock ?? systemClock;
      const fsync = opts.fsync ?? true;
      const tip = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
      const base = { clock, fsync, lazySyncMs: opts.lazySyncMs ?? LAZY_SYNC_MS, key, headPath, repaired };
      if (!key) {
        if (last?.mac !== undefined || (await readHeadExists(headPath))) {
          throw new AuditChainError(
            `audit chain ${path} is keyed: open it with its device key (device.key beside it), or verify it without ` +
              'the key (consistency only)',
          );
        }
        return new AuditChain(path, fh, tip, { ...base, legacyUntil: Infinity, incidents: [] });
      }

      // Keyed: check the last entry's MAC and the head record.
      const head = await readHead(headPath, key);
      if (head.state === 'other_key') {
        throw new AuditChainError(
          `audit chain ${path} was keyed with another device key (key id ${head.key_id}; this device's key is ` +
            `${key.id}). Restore that device.key, or move ${path} and its head record aside to start a new chain.`,
        );
      }
      if (last?.mac !== undefined && key.entryMac(Buffer.from(last.hash, 'hex')).toString('hex') !== last.mac) {
        throw damaged(`the MAC of entry ${last.seq} does not match this device's key`);
      }
      const incidents: string[] = [];
      let legacyUntil = 0;
      if (head.state === 'ok') {
        legacyUntil = head.head.legacy_until;
        const r = head.head;
        if (last && last.mac === undefined && last.seq > legacyUntil) throw damaged(`entry ${last.seq} has no MAC`);
        if (r.seq > tip.seq) incidents.push(`${ANCHOR_INCIDENT}: chain ends at seq ${tip.seq}, head recorded seq ${r.seq}`);
        else if (r.seq === tip.seq && r.hash !== tip.hash)
          incidents.push(`${ANCHOR_INCIDENT}: entry ${r.seq} differs from the recorded head`);
      } else if (last === null) {
        if (head.state === 'invalid') incidents.push(`${ANCHOR_INCIDENT}: head record not authentic, chain was empty`);
      } else if (last.mac === undefined) {
        legacyUntil = tip.seq;
        const note = `${ANCHOR_INCIDENT}: entries 1-${tip.seq} predate keying, adopted unkeyed`;
        incidents.push(key.fresh && head.state === 'missing' ? `${note}.` : `${note}, head record ${head.state}`);
      } else {
        incidents.push(`${ANCHOR_INCIDENT}: head record ${head.state}, chain ends at seq ${tip.seq}`);
      }
      const chain = new AuditChain(path, fh, tip, { ...base, legacyUntil, incidents });
      for (const what of incidents) {
        // A fresh key adopting an old chain is expected (first run of a keyed version): recorded as `ok`.
        const status = what.endsWith('.') ? 'ok' : 'error';
        await chain.append({ tool: 'audit', phase: 'result', status, error: what.replace(/\.$/, '') });
      }
      await chain.#flushHead({ syncDir: true });
      return chain;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Seq of the last entry appended (0 when empty), including entries still queued. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Hash of the last entry appended (the genesis value when empty): an anchor to keep elsewhere. */
  get lastHash(): string {
    return this.#hash;
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

  /** True when entries get MACs and the head record is kept (opened with a device key). */
  get keyed(): boolean {
    return this.#key !== undefined;
  }

  /**
   * The tag an entry stores for a peer (`user#3f9a12bc`): kind and 8 hex digits, no name, no username. With a
   * device key it is keyed (HMAC, issue 8 §6), so candidate ids or usernames can't be matched against it
   * without the key; without one it is the unkeyed `redactPeer`.
   * @param ref a canonical peer ref (`user:123`) or any accepted peer form.
   */
  peerTag(ref: string): string {
    return this.#key ? this.#key.peerTag(ref) : redactPeer(ref);
  }

  /**
   * Appends one entry, timestamped now. Concurrent calls are written in call order, group-committed.
   * @param opts.durable false to resolve once queued (see {@link AppendOptions}); default true.
   * @returns the entry as written: once it is on disk (fdatasync'd unless `fsync: false`), or once queued.
   * @throws AuditInputError when `input` breaks the schema (unknown key such as `text`, unredacted peer, error
   *   with free text or newlines…); nothing is written. AuditChainError after `close`, or when an earlier
   *   write failed (the file's end is then unknown: reopen it, which repairs a torn line).
   */
  append(input: AuditInput, opts: AppendOptions = {}): Promise<AuditEntry> {
    const parsed = AuditInputSchema.safeParse(input);
    if (!parsed.success) {
      // Name the fields, never echo their values: a rejected value may be exactly what must not be stored.
      const what = parsed.error.issues
        .map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message))
        .join('; ');
      return Promise.reject(new AuditInputError(`audit entry rejected: ${what}`));
    }
    if (this.#closed) return Promise.reject(new AuditChainError(`audit chain ${this.path} is closed`));
    if (this.#failed) return Promise.reject(this.#stopped());
    const entry = this.#next(parsed.data);
    const durable = opts.durable ?? true;
    const line = Buffer.from(`${serialiseEntry(entry)}\n`, 'utf8');
    if (durable === false) {
      this.#pending.push({ line, entry, durable });
      this.#kick();
      return Promise.resolve(entry);
    }
    return new Promise<AuditEntry>((resolve, reject) => {
      this.#pending.push({ line, entry, durable, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Verifies the whole file (see {@link verifyAuditFile}, with this chain's key and head) once the appends
   * queued so far are durable. Appends made while it runs may show as a torn tail (`ok` stays true).
   */
  async verify(): Promise<VerifyResult> {
    await this.flush();
    return verifyAuditFile(this.path, { deviceKey: this.#key, headPath: this.headPath });
  }

  /**
   * Makes every entry appended so far durable, and the head record current.
   * @throws AuditChainError when a write failed.
   */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#failed) throw this.#stopped();
    if (this.#unsynced) {
      await this.#sync();
    }
    await this.#flushHead();
  }

  /** Makes queued appends durable, writes the head record, then closes the file. Idempotent; later appends are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#lazySyncTimer) clearTimeout(this.#lazySyncTimer);
    this.#lazySyncTimer = null;
    try {
      await this.flush();
    } catch {
      /* already reported to the appends that failed */
    } finally {
      await this.#fh.close();
    }
  }

  #stopped(): AuditChainError {
    return new AuditChainError(
      `audit chain ${this.path} stopped after a failed write (${this.#failed?.message}); reopen it`,
      { cause: this.#failed },
    );
  }

  #next(input: AuditRecord): AuditEntry {
    const entry: AuditEntry = {
      seq: this.#seq + 1,
      ts: new Date(this.#clock.now()).toISOString(),
      call_id: input.call_id,
      tool: input.tool,
      peer: input.peer,
      phase: input.phase,
      status: input.status,
      decided_by: input.decided_by,
      ...(input.error === undefined ? {} : { error: input.error }),
      prev_hash: this.#hash,
      hash: '',
    };
    entry.hash = computeEntryHash(entry);
    if (this.#key) entry.mac = this.#key.entryMacHex(entry.hash);
    this.#seq = entry.seq;
    this.#hash = entry.hash;
    return entry;
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = this.#drain();
  }

  /** The group commit loop: one write (+ one fdatasync when any entry asked for it) per batch. */
  async #drain(): Promise<void> {
    // Start after the current synchronous run: appends made in it join this batch, and #draining is set (by
    // #kick) before anything below can finish.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        const durable = batch.some((p) => p.durable === true);
        try {
          const data = batch.length === 1 ? batch[0]!.line : Buffer.concat(batch.map((p) => p.line));
          let written = 0;
          while (written < data.length) {
            written += fs.writeSync(this.#fh.fd, data, written, data.length - written);
          }
          this.#unsynced = true;
          for (const p of batch) this.#notDurable.push(p.entry);
          const last = batch[batch.length - 1]!.entry;
          if (durable || !this.#fsync) await this.#sync(last);
          else {
            this.#pendingTip = last;
            if (batch.some((p) => p.durable === 'soon')) this.#armLazySync();
          }
        } catch (err) {
          this.#failed ??= err instanceof Error ? err : new Error(String(err));
          const failure = new AuditChainError(
            `could not write to audit chain ${this.path}: ${this.#failed.message}`,
            { cause: err },
          );
          for (const p of [...batch, ...this.#pending]) p.reject?.(failure);
          this.#pending = [];
          return;
        }
        for (const p of batch) p.resolve?.(p.entry);
      }
    } finally {
      // Cleared in the same tick as the last look at #pending (before the resolved callers run), so an append
      // made after that always starts a new drain.
      this.#draining = null;
    }
  }

  /** Last entry written but not yet fdatasync'd. */
  #pendingTip: AuditEntry | null = null;

  /** Makes written entries durable within `lazySyncMs` unless a durable append does it first. */
  #armLazySync(): void {
    if (this.#lazySyncTimer) return;
    this.#lazySyncTimer = setTimeout(() => {
      this.#lazySyncTimer = null;
      if (!this.#unsynced || this.#closed || this.#failed) return;
      if (this.#draining) {
        // The batch being written syncs, or arms this again.
        this.#armLazySync();
        return;
      }
      // Runs as the drain, so no batch is written while this fdatasync is under way.
      this.#draining = this.#sync()
        .catch((err: unknown) => {
          this.#failed ??= err instanceof Error ? err : new Error(String(err));
        })
        .finally(() => {
          this.#draining = null;
          if (this.#pending.length > 0) this.#kick();
        });
    }, this.#lazySyncMs);
    this.#lazySyncTimer.unref();
  }

  async #sync(last?: AuditEntry): Promise<void> {
    const tip = last ?? this.#pendingTip;
    if (this.#fsync) await this.#fh.datasync();
    this.#unsynced = false;
    this.#pendingTip = null;
    const durable = this.#notDurable;
    this.#notDurable = [];
    for (const entry of this.#appended.size > 0 ? durable : []) {
      for (const listener of [...this.#appended]) {
        try {
          listener({ ...entry });
        } catch {
          // A viewer that fails must not fail the append: the entry is already durable.
        }
      }
    }
    if (tip) {
      this.#durableSeq = tip.seq;
      this.#durableHash = tip.hash;
      this.#scheduleHead();
    }
  }

  /**
   * Asks for the head record to follow the durable tip. Head writes are paced: one at a time, at most one per
   * {@link HEAD_INTERVAL_MS}, each writing the latest tip; `flush` and `close` write it at once.
   */
  #scheduleHead(): void {
    if (!this.#key) return;
    this.#headWanted = { seq: this.#durableSeq, hash: this.#durableHash, legacy_until: this.#legacyUntil };
    if (this.#headWriting || this.#headTimer) return; // the write in flight or the timer picks it up
    const wait = this.#lastHeadAt + HEAD_INTERVAL_MS - performance.now();
    if (wait > 0) {
      this.#headTimer = setTimeout(() => {
        this.#headTimer = null;
        this.#startHeadWrite();
      }, wait);
      this.#headTimer.unref();
      return;
    }
    this.#startHeadWrite();
  }

  #startHeadWrite(opts: { syncDir?: boolean } = {}): Promise<void> {
    const head = this.#headWanted;
    if (!head || this.#headWriting) return this.#headWriting ?? Promise.resolve();
    this.#headWanted = null;
    this.#lastHeadAt = performance.now();
    this.#headWriting = writeHead(this.headPath, head, this.#key!, opts)
      .catch((err: unknown) => {
        // A head that can't be kept current is an audit failure like a failed append: stop, reopen.
        this.#failed ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        this.#headWriting = null;
        if (this.#headWanted && !this.#closed) this.#scheduleHead();
      });
    return this.#headWriting;
  }

  /** Waits for the head record to match the durable tip (writing it now if it never was). */
  async #flushHead(opts: { syncDir?: boolean } = {}): Promise<void> {
    if (!this.#key) return;
    if (this.#headTimer) {
      clearTimeout(this.#headTimer);
      this.#headTimer = null;
    }
    while (this.#headWriting) await this.#headWriting;
    if (this.#headTimer) {
      clearTimeout(this.#headTimer);
      this.#headTimer = null;
    }
    this.#headWanted = { seq: this.#durableSeq, hash: this.#durableHash, legacy_until: this.#legacyUntil };
    await this.#startHeadWrite(opts);
    if (this.#failed) throw this.#stopped();
  }
}

/** Whether `e` is the entry that comes right after `last` (seq, link, hash, and MAC under `key` if it has one). */
function chainsAfter(e: AuditEntry, last: AuditEntry | null, key: DeviceKey | undefined): boolean {
  if (e.seq !== (last ? last.seq + 1 : 1) || e.prev_hash !== (last ? last.hash : GENESIS_HASH)) return false;
  const { hash, mac, ...rest } = e;
  if (computeEntryHash(rest) !== hash) return false;
  if (mac === undefined) return true;
  return key === undefined || key.entryMac(Buffer.from(hash, 'hex')).toString('hex') === mac;
}

async function readHeadExists(headPath: string): Promise<boolean> {
  try {
    await (await open(headPath, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

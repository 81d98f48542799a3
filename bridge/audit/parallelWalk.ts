/**
 * Walking a long chain in several threads (issue 12: verify ≥ 500,000 entries/s), with exactly the result of one
 * thread.
 *
 * The file is cut at line starts into byte ranges of about {@link RANGE_BYTES}. This thread and up to
 * {@link MAX_THREADS} − 1 worker threads (verifyWorker.ts) each start with one range of their own, then claim the
 * next unclaimed range from a shared counter until none is left, so a thread slowed down by other work on the
 * machine (or a worker slow to start) just walks fewer ranges instead of holding up the end. Each range is walked
 * on its own (chainWalk.ts) and the results are stitched back in file order: each range's first line must carry
 * the seq and prev_hash the range before it ends with. A range with a problem stops the claiming (nothing after
 * it can change the outcome). A range a worker did not finish (it could not start, or failed) is walked here.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuditIncident } from './verify.js';
import { GENESIS_HASH } from './entry.js';
import { parseLine } from './entryHash.js';
import { MAC_REMOVED, type RangeResult, type RangeSpec, walkClaimed, walkRange } from './chainWalk.js';
import { NEWLINE } from './fileIo.js';

/** At most this many threads (the calling one included) check one file. */
const MAX_THREADS = 4;
/** Target size of one range, in bytes (about 25,000 entries): small enough to even out uneven threads. */
const RANGE_BYTES = 8 * 1024 * 1024;
/** At most this many ranges per file. */
const MAX_RANGES = 256;

/** A whole chain walked, ranges stitched together. `problem.seq` is the seq of the first bad line. */
export interface ChainWalked {
  verified: number;
  problem: { seq: number; reason: string } | null;
  torn: boolean;
  tailEntry: Uint8Array | null;
  end: number;
  keyedCount: number;
  legacy: number;
  watchedHex: string | null;
  incidents: AuditIncident[];
}

/** What every range of one walk shares: the file and the checks that apply. */
export type WalkBase = Omit<RangeSpec, 'start' | 'end' | 'fromGenesis'>;

/** What a worker thread of a parallel walk is given (plain data). */
export interface WorkerTask {
  specs: RangeSpec[];
  /** The range this worker walks first. */
  first: number;
  /** Int32 [0]: the next range index to claim. */
  claim: SharedArrayBuffer;
}

/** What a worker posts: one message per range walked, then `done`; or `error`. */
export type WorkerMessage = { index: number; result: RangeResult } | { done: true } | { error: string };

/**
 * Walks the chain in one thread, or — for a file of at least `opts.minBytes` bytes on a machine with more than one
 * core — in several (see the module comment).
 * @param opts.rangeBytes range size in bytes (default {@link RANGE_BYTES}).
 * @param opts.onThreads told how many threads walked at least one range.
 * @throws fs errors as is.
 */
export async function walkChain(
  base: WalkBase,
  opts: {
    minBytes: number;
    rangeBytes?: number | undefined;
    onThreads?: ((threads: number) => void) | undefined;
  },
): Promise<ChainWalked> {
  const { onThreads } = opts;
  const size = (await stat(base.path)).size;
  const threads = Math.min(availableParallelism(), MAX_THREADS);
  const wanted = Math.min(MAX_RANGES, Math.max(threads, Math.ceil(size / (opts.rangeBytes ?? RANGE_BYTES))));
  const bounds = threads > 1 && size >= opts.minBytes ? await splitRanges(base.path, size, wanted) : null;
  if (!bounds || bounds.length < 2) {
    const whole = await walkRange({ ...base, start: 0, end: Infinity, fromGenesis: true });
    onThreads?.(1);
    return stitch([whole]);
  }
  const specs: RangeSpec[] = bounds.map((r, i) => ({ ...base, ...r, fromGenesis: i === 0 }));
  const used = Math.min(threads, specs.length);
  const claim = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(claim, 0, used);
  const results: (RangeResult | undefined)[] = new Array(specs.length);
  const walkedBy = new Set<number>();
  const take = (thread: number) => (index: number, result: RangeResult) => {
    results[index] = result;
    walkedBy.add(thread);
  };
  await Promise.all([
    walkClaimed(specs, 0, claim, take(0)),
    ...Array.from({ length: used - 1 }, (_, w) =>
      inWorker({ specs, first: w + 1, claim: claim.buffer as SharedArrayBuffer }, take(w + 1)).catch(() => {
        /* that worker's unfinished ranges are walked below */
      }),
    ),
  ]);
  const done: RangeResult[] = [];
  for (let i = 0; i < specs.length; i++) {
    const r = results[i] ?? (await walkRange(specs[i]!));
    if (!results[i]) walkedBy.add(0);
    done.push(r);
    if (r.problem) break;
  }
  onThreads?.(walkedBy.size);
  return stitch(done);
}

/** Range bounds starting at line starts; fewer than `n` when split points fall in the same line or past the end. */
async function splitRanges(path: string, size: number, n: number): Promise<{ start: number; end: number }[]> {
  const fh = await open(path, 'r');
  try {
    const starts = [0];
    const probe = Buffer.alloc(64 * 1024);
    for (let k = 1; k < n; k++) {
      const at = Math.floor((k * size) / n) - 1;
      if (at < starts[starts.length - 1]!) continue;
      const { bytesRead } = await fh.read(probe, 0, probe.length, at);
      const nl = probe.subarray(0, bytesRead).indexOf(NEWLINE);
      if (nl === -1) continue; // no line start near here (not a chain, or a huge line): the range before grows
      const start = at + nl + 1;
      if (start <= starts[starts.length - 1]! || start >= size) continue;
      starts.push(start);
    }
    return starts.map((start, i) => ({ start, end: i + 1 < starts.length ? starts[i + 1]! : Infinity }));
  } finally {
    await fh.close();
  }
}

/**
 * Runs a worker thread over `task`, passing each range result to `onResult` as it arrives. From TypeScript
 * sources (tests, tsx) the worker loads tsx's loader first; from compiled JavaScript it runs `verifyWorker.js`.
 * @returns once the worker has walked all it claimed.
 * @throws when the worker can't start or fails (the results it posted before stay given).
 */
function inWorker(task: WorkerTask, onResult: (index: number, result: RangeResult) => void): Promise<void> {
  // A Worker that can't even be constructed throws inside the executor: that rejects the promise.
  return new Promise<void>((resolve, reject) => {
    const self = import.meta.url;
    let worker: Worker;
    if (self.endsWith('.ts')) {
      const tsx = createRequire(self).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs');
      const target = new URL('./verifyWorker.ts', self).href;
      const boot = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
      worker = new Worker(boot, { eval: true, workerData: task });
    } else {
      // Compiled JavaScript needs none of the parent's node flags: under a loader such as tsx (`--import tsx`,
      // the benches, `npm run` scripts) inheriting them made every worker start the loader too (~40 ms).
      worker = new Worker(new URL('./verifyWorker.js', self), { workerData: task, execArgv: [] });
    }
    worker.on('message', (m: WorkerMessage) => {
      if ('index' in m) return onResult(m.index, m.result);
      if ('error' in m) reject(new Error(m.error));
      else resolve();
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`verify worker exited (${code})`)));
  });
}

/** Links range results in order into one outcome, reporting the first bad line as a one-thread walk would. */
function stitch(results: RangeResult[]): ChainWalked {
  let verified = 0;
  let prevHex = GENESIS_HASH;
  let keyedCount = 0;
  let legacy = 0;
  let watchedHex: string | null = null;
  const incidents: AuditIncident[] = [];
  const last = results[results.length - 1]!;
  const out = (problem: ChainWalked['problem']): ChainWalked => ({
    verified,
    problem,
    torn: problem ? false : last.torn,
    tailEntry: problem ? null : last.tailEntry,
    end: last.end,
    keyedCount,
    legacy,
    watchedHex,
    incidents,
  });
  for (const [i, r] of results.entries()) {
    const expected = verified + 1;
    if (i > 0 && r.first) {
      if (r.first.seq !== expected) {
        const how = r.first.seq < expected ? 'repeated or reordered' : 'missing or reordered';
        return out({ seq: expected, reason: `found seq ${r.first.seq} where ${expected} was expected (entry ${how}?)` });
      }
      if (r.first.prevHex !== prevHex) {
        const checked = parseLine(r.first.line);
        return out({
          seq: expected,
          reason:
            'problem' in checked
              ? checked.problem
              : `prev_hash does not match entry ${expected - 1} (inserted, deleted or reordered entry?)`,
        });
      }
    }
    // Keyed entries in the ranges before make the range's first entry without a MAC a removed MAC, whether the
    // range took it in (no keyed entry before it there) or refused it (entries after legacy_until need one).
    if (keyedCount > 0 && r.firstUnkeyed >= 0 && (r.problem === null || r.firstUnkeyed < r.problem.index)) {
      verified += r.firstUnkeyed;
      return out({ seq: verified + 1, reason: MAC_REMOVED });
    }
    if (keyedCount > 0 && r.problem?.noMac) {
      verified += r.problem.index;
      return out({ seq: verified + 1, reason: MAC_REMOVED });
    }
    incidents.push(...r.incidents);
    watchedHex ??= r.watchedHex;
    if (r.problem) {
      verified += r.problem.index;
      return out({ seq: verified + 1, reason: r.problem.reason });
    }
    verified += r.taken;
    keyedCount += r.keyedCount;
    legacy += r.legacy;
    if (r.taken > 0) prevHex = r.lastHex;
  }
  return out(null);
}

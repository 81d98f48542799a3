/**
 * Worker thread of a parallel verify (verify.ts): walks the byte range it is given (chainWalk.ts) and posts
 * the {@link RangeResult} back, or `{ error }` with the message of what went wrong.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type RangeSpec, walkRange } from './chainWalk.js';

try {
  parentPort!.postMessage(await walkRange(workerData as RangeSpec));
} catch (err) {
  parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
}

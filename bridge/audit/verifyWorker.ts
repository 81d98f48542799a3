/**
 * Worker thread of a parallel verify (parallelWalk.ts): walks its first range, then claims more (chainWalk.ts
 * `walkClaimed`), posting each {@link RangeResult} as `{ index, result }`, then `{ done: true }`; or `{ error }`
 * with the message of what went wrong.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type RangeResult, walkClaimed } from './chainWalk.js';
import type { WorkerMessage, WorkerTask } from './parallelWalk.js';

const task = workerData as WorkerTask;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
try {
  await walkClaimed(task.specs, task.first, new Int32Array(task.claim), (index: number, result: RangeResult) =>
    post({ index, result }),
  );
  post({ done: true });
} catch (err) {
  post({ error: err instanceof Error ? err.message : String(err) });
}

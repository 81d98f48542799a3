/** Small statistics for benchmarks: percentiles of samples in ms, and printing side-by-side ratios. */

/** p-th percentile (0–100) of `samples` (ms), nearest-rank method. @throws on an empty sample set. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Times one async call, in ms (high-resolution). */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Runs `a` and `b` alternately `rounds` times after `warmup` rounds each, so both see the same machine load
 * (these machines are shared and noisy: only ratios taken side by side mean anything).
 * @returns per-call latencies in ms for each side.
 */
export async function sideBySide(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  rounds: number,
  warmup = 10,
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      out.a.push(await timed(a));
      out.b.push(await timed(b));
    } else {
      out.b.push(await timed(b));
      out.a.push(await timed(a));
    }
  }
  return out;
}

/** Formats ms with two decimals. */
export function ms(v: number): string {
  return `${v.toFixed(2)} ms`;
}

/**
 * Runs each of `fns` once per round, `rounds` times after `warmup` rounds, rotating the order every round so no
 * function always runs right after another (all see the same machine load).
 * @returns per-call latencies in ms, one array per function, in the order of `fns`.
 */
export async function roundRobin(fns: ReadonlyArray<() => Promise<unknown>>, rounds: number, warmup = 10): Promise<number[][]> {
  const samples = fns.map(() => [] as number[]);
  for (let round = -warmup; round < rounds; round++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (k + round + warmup) % fns.length;
      const t = await timed(fns[i]!);
      if (round >= 0) samples[i]!.push(t);
    }
  }
  return samples;
}

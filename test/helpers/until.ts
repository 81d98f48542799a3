/**
 * Polls `fn` until it returns something other than undefined (sync or async), every 25 ms for at most
 * `tries` polls (default 400 ≈ 10 s).
 * @throws Error "never happened: <what>" when it never does.
 */
export async function until<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i += 1) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

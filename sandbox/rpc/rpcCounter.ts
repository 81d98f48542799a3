/**
 * Counts the API calls the sandbox answers, by method (gramjs class name, e.g. `messages.GetHistory`), so tests
 * and benchmarks can see how many MTProto requests one tool call costs. Every dispatched call counts, including
 * ones answered with an injected fault or an error.
 */
export class RpcCounter {
  private readonly counts = new Map<string, number>();

  /** Records one call of `method`. */
  record(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  /** Calls per method since the last {@link reset}, e.g. `{"messages.GetHistory": 2}`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Forgets every count. */
  reset(): void {
    this.counts.clear();
  }
}

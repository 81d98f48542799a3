/**
 * How a search query matches message text, the way Telegram's message search behaves for users: case- and
 * accent-insensitive, every word of the query must start a word of the text ("quin" finds "Quinta", "flight"
 * finds "flights", "lisbon offsite" needs both words). A query without letters or digits (an emoji, "€") matches
 * as a plain substring.
 */

/** Lower case without diacritics, so "Tomás" and "tomas" compare equal. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

function words(text: string): string[] {
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A compiled query: test message texts with {@link TextQuery.matches}. Empty queries match everything. */
export class TextQuery {
  private readonly terms: string[];
  private readonly raw: string;

  constructor(query: string) {
    this.raw = fold(query.trim());
    this.terms = words(query);
  }

  /** True when the query has nothing to match (empty or whitespace). */
  get empty(): boolean {
    return this.raw.length === 0;
  }

  /** Whether `text` matches. */
  matches(text: string): boolean {
    if (this.empty) return true;
    if (this.terms.length === 0) return fold(text).includes(this.raw);
    const have = words(text);
    return this.terms.every((t) => have.some((w) => w.startsWith(t)));
  }
}

/**
 * Confirmation ids for the two-step download (PROTOCOL.md `prepare_get_media` → `get_media`: "single use,
 * 10 min"). `prepare_get_media` shows the AI what it is about to pull (type, size, name) and issues an id bound
 * to that one peer and message; `get_media` must present it, once, before it expires.
 */
import { randomBytes } from 'node:crypto';
import { MEDIA_CONFIRMATION_TTL_MS } from '../protocol/index.js';

/** What a confirmation is bound to: the canonical peer (`user:123`) and the message id. */
export interface ConfirmationBinding {
  peer: string;
  messageId: number;
}

/** Outcome of {@link DownloadConfirmations.redeem}: `ok` consumes the id; the others leave nothing usable. */
export type RedeemOutcome = 'ok' | 'unknown' | 'expired' | 'mismatch';

/** Issued confirmations of one engine, in memory (a restart forgets them: the AI just prepares again). */
export class DownloadConfirmations {
  private readonly entries = new Map<string, ConfirmationBinding & { expiresAt: number }>();

  /**
   * @param now clock, ms since the epoch.
   * @param ttlMs lifetime of an id, in ms (default 10 min, PROTOCOL.md).
   * @param maxOutstanding most ids kept; issuing more forgets the oldest (default 256).
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = MEDIA_CONFIRMATION_TTL_MS,
    private readonly maxOutstanding = 256,
  ) {}

  /**
   * Issues an id for one download of `binding`.
   * @returns the id (22 characters, 128 random bits, base64url) and its expiry in ms since the epoch.
   */
  issue(binding: ConfirmationBinding): { id: string; expiresAt: number } {
    this.sweep();
    const id = randomBytes(16).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.entries.set(id, { ...binding, expiresAt });
    while (this.entries.size > this.maxOutstanding) this.entries.delete(this.entries.keys().next().value!);
    return { id, expiresAt };
  }

  /**
   * Uses an id for `binding`. `ok` consumes it (single use); `expired` forgets it; `mismatch` (another peer or
   * message) leaves it for the download it was issued for; `unknown` for ids never issued or already used.
   */
  redeem(id: string, binding: ConfirmationBinding): RedeemOutcome {
    const entry = this.entries.get(id);
    if (!entry) return 'unknown';
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(id);
      return 'expired';
    }
    if (entry.peer !== binding.peer || entry.messageId !== binding.messageId) return 'mismatch';
    this.entries.delete(id);
    return 'ok';
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, e] of this.entries) if (t >= e.expiresAt) this.entries.delete(id);
  }
}

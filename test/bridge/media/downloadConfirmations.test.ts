/** prepare_get_media confirmation ids (PROTOCOL.md: single use, 10 min), on a manual clock. */
import { describe, expect, it } from 'vitest';
import { DownloadConfirmations } from '../../../bridge/media/downloadConfirmations.js';

describe('DownloadConfirmations', () => {
  const binding = { peer: 'user:42', messageId: 7 };

  it('redeems an id once, for the message it was issued for', () => {
    let now = 1_000;
    const c = new DownloadConfirmations(() => now);
    const { id, expiresAt } = c.issue(binding);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(expiresAt).toBe(1_000 + 600_000);
    expect(c.redeem(id, { peer: 'user:42', messageId: 8 })).toBe('mismatch');
    expect(c.redeem(id, { peer: 'chat:42', messageId: 7 })).toBe('mismatch');
    now += 599_999;
    expect(c.redeem(id, binding)).toBe('ok');
    expect(c.redeem(id, binding)).toBe('unknown');
  });

  it('expires ids after 10 minutes', () => {
    let now = 0;
    const c = new DownloadConfirmations(() => now);
    const { id } = c.issue(binding);
    now = 600_000;
    expect(c.redeem(id, binding)).toBe('expired');
    expect(c.redeem(id, binding)).toBe('unknown');
  });

  it('issues distinct ids and forgets the oldest beyond its cap', () => {
    const c = new DownloadConfirmations(() => 0, 600_000, 2);
    const a = c.issue(binding).id;
    const b = c.issue(binding).id;
    const d = c.issue(binding).id;
    expect(new Set([a, b, d]).size).toBe(3);
    expect(c.redeem(a, binding)).toBe('unknown');
    expect(c.redeem(d, binding)).toBe('ok');
  });
});

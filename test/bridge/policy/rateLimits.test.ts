/** Write rate limits: 30/min per account, 20/h per real peer, continuous refill, retry-after readable. */
import { describe, expect, it } from 'vitest';
import { WriteRateLimiter } from '../../../bridge/policy/rateLimits.js';

function limiter() {
  let t = 1_000_000;
  const l = new WriteRateLimiter(() => t);
  return { l, advance: (ms: number) => (t += ms) };
}

describe('write rate limits', () => {
  it('allows 20 writes per hour to one peer, then answers with a retry-after', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 20; i++) {
      expect(l.take('user:1')).toBeNull();
      advance(3_000); // stay under the account limit
    }
    const refused = l.take('user:1');
    expect(refused).toMatchObject({ limit: 'peer' });
    expect(refused!.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused!.retryAfterMs).toBeLessThanOrEqual(180_000); // one token refills in 3 min
    advance(refused!.retryAfterMs);
    expect(l.take('user:1')).toBeNull();
  });

  it('allows 30 writes per minute per account across peers', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 30; i++) expect(l.take(`user:${i}`)).toBeNull();
    const refused = l.take('user:999');
    expect(refused).toMatchObject({ limit: 'account', retryAfterSeconds: 2 });
    advance(2_000);
    expect(l.take('user:999')).toBeNull();
  });

  it('refunds writes that never reached Telegram', () => {
    const { l } = limiter();
    for (let i = 0; i < 20; i++) l.take('user:5');
    expect(l.take('user:5')).not.toBeNull();
    l.refund('user:5');
    expect(l.take('user:5')).toBeNull();
  });

  it('a refused write takes nothing from either bucket', () => {
    const { l } = limiter();
    for (let i = 0; i < 20; i++) l.take('user:7');
    for (let i = 0; i < 5; i++) expect(l.take('user:7')).not.toBeNull();
    for (let i = 0; i < 10; i++) expect(l.take(`user:${100 + i}`)).toBeNull();
  });
});

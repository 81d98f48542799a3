/**
 * The consent desk (custody rule 7 in the UI): a new AI app waits for the person; nothing is allowed by
 * default — an unanswered request is denied after the timeout, a flood of requests is capped, an answer
 * counts once, and quitting denies whatever still waits.
 */
import { describe, expect, it, vi } from 'vitest';
import { ConsentDesk, MAX_PENDING_CONSENTS } from '../../../bridge/ui/consentDesk.js';

const ask = { clientId: 'c1', clientName: 'Claude', relay: 'https://relay.example' };

describe('ConsentDesk', () => {
  it('waits for the person; the answer counts once and is announced as settled', async () => {
    const desk = new ConsentDesk();
    const added: string[] = [];
    const settled: string[] = [];
    desk.on('added', (r) => added.push(r.id)).on('settled', (id) => settled.push(id));
    const answer = desk.prompt(ask);
    const [request] = desk.pending();
    expect(request).toMatchObject({ clientId: 'c1', clientName: 'Claude', relay: 'https://relay.example' });
    expect(added).toEqual([request!.id]);
    expect(desk.decide(request!.id, { access: 'read', chats: ['user:1'] })).toBe(true);
    expect(desk.decide(request!.id, { access: 'read_write', chats: 'all' })).toBe(false);
    expect(await answer).toEqual({ approved: true, scope: { access: 'read', chats: ['user:1'] } });
    expect(settled).toEqual([request!.id]);
    expect(desk.pending()).toEqual([]);
  });

  it('an unanswered request is denied after the timeout', async () => {
    vi.useFakeTimers();
    try {
      const desk = new ConsentDesk({ timeoutMs: 1_000 });
      const answer = desk.prompt(ask);
      expect(desk.pending()[0]!.expiresAt - desk.pending()[0]!.askedAt).toBe(1_000);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await answer).toEqual({ approved: false, reason: 'Nobody answered on the device in time.' });
      expect(desk.pending()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('denies at once beyond the cap, and denies everything on quit', async () => {
    const desk = new ConsentDesk();
    const waiting = Array.from({ length: MAX_PENDING_CONSENTS }, (_, i) => desk.prompt({ ...ask, clientId: `c${i}` }));
    expect(await desk.prompt({ ...ask, clientId: 'one too many' })).toMatchObject({ approved: false });
    expect(desk.pending()).toHaveLength(MAX_PENDING_CONSENTS);
    desk.denyAll('quitting');
    for (const answer of await Promise.all(waiting)) expect(answer).toEqual({ approved: false, reason: 'quitting' });
  });

  it('keeps over-long names and relays from the relay bounded', () => {
    const desk = new ConsentDesk();
    void desk.prompt({ clientId: 'x'.repeat(1_000), clientName: 'n'.repeat(10_000), relay: 'r'.repeat(1_000) });
    const [r] = desk.pending();
    expect(r!.clientId.length).toBe(200);
    expect(r!.clientName.length).toBeLessThanOrEqual(256);
    expect(r!.relay.length).toBe(200);
    desk.denyAll('done');
  });
});

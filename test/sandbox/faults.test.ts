/**
 * Faults on demand with an unmodified gramjs client: dropped connections, delayed answers, and a restart on the
 * same port that keeps auth keys — the client reconnects by itself and its calls complete instead of hanging.
 */
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index.js';
import { eventually, useSandbox } from './harness.js';

const h = useSandbox();

/** Rejects when `promise` takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

describe('faults', () => {
  it('dropConnections closes every connection; gramjs reconnects and keeps working', async () => {
    const client = await h.client();
    await client.getMe();
    expect(h.sandbox.control.dropConnections()).toBeGreaterThanOrEqual(1);
    const me = await within(client.getMe(), 8000);
    expect(me.username).toBe('dana_whitfield');
    const sent = await within(client.sendMessage('@samcarter', { message: 'back online' }), 8000);
    expect(h.sandbox.control.sentMessages().map((m) => m.id)).toEqual([sent.id]);
  });

  it('delayNext holds the answer of the chosen method for the given time, then answers normally', async () => {
    const client = await h.client();
    await client.getMe();
    h.sandbox.control.delayNext('messages.getHistory', 400);
    const started = Date.now();
    const page = await client.getMessages('@samcarter', { limit: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(page).toHaveLength(2);
    const again = Date.now();
    await client.getMessages('@samcarter', { limit: 2 });
    expect(Date.now() - again).toBeLessThan(380);
    expect(() => h.sandbox.control.delayNext('messages.getHistory', -1)).toThrow(/non-negative/);
  });

  it('a connected client recovers after the sandbox restarts on the same port with the same auth keys', async () => {
    const client = await h.client();
    const events: Api.TypeUpdate[] = [];
    await client.getMe();
    const { port, authKeys } = h.sandbox;
    await h.sandbox.stop();
    h.sandbox = await startSandbox({ port, authKeys });
    const me = await within(client.getMe(), 10_000);
    expect(me.username).toBe('dana_whitfield');
    // The reconnected session hears pushed updates again.
    client.addEventHandler((u: Api.TypeUpdate) => void events.push(u));
    const sam = h.sandbox.control.users().find((u) => u.username === 'samcarter')!;
    h.sandbox.control.injectIncomingMessage({ fromUserId: sam.id, text: 'you there?' });
    await eventually(() => events.find((u) => u instanceof Api.UpdateNewMessage));
  });
});

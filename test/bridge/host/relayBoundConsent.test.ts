/**
 * Custody rule 7 across relays: an AI app the person approved through one relay is approved for that relay
 * only. When the device is pointed at another relay (a new pairing, or a hostile relay a person was talked
 * into), that relay cannot borrow the approval by naming the same client (`cli:<user>` and `pat:<id>` ids are
 * guessable): its calls are refused before anything is read, and its consent request asks the person again.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridgeHost } from '../../../bridge/host/bridgeHost.js';
import { ClientScopes } from '../../../bridge/policy/clientScopes.js';
import { startSandbox } from '../../../sandbox/index.js';
import { miniRelay, TOKEN } from '../../helpers/miniRelay.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

const WELCOME = {
  type: 'welcome',
  protocol: 'tg-bridge/1',
  limits: { call_deadline_ms: 30_000, approval_timeout_ms: 120_000, max_calls_in_flight: 100 },
};

describe('an AI app approval is bound to the relay it was granted through', () => {
  it('relay B cannot use what the person allowed through relay A; B\'s consent request asks the person again', async () => {
    const sandbox = await startSandbox();
    cleanups.push(() => sandbox.stop());
    const home = await mkdtemp(join(tmpdir(), 'tgb-bound-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const relayA = await miniRelay();
    cleanups.push(() => relayA.close());
    const relayB = await miniRelay();
    cleanups.push(() => relayB.close());
    const asked: string[] = [];
    let answer = true;
    const clientScopes = await ClientScopes.open(join(home, 'clients.json'));
    const host = await startBridgeHost({
      relayUrl: relayA.url,
      bridgeToken: TOKEN,
      auditPath: join(home, 'audit.jsonl'),
      gateway: sandboxGateway(sandbox),
      clientScopes,
      clientConsent: async ({ relay }) => {
        asked.push(relay);
        return answer ? { approved: true, scope: { access: 'read', chats: 'all' } } : { approved: false, reason: 'no' };
      },
      link: { backoff: { initialMs: 50, maxMs: 100 } },
    });
    cleanups.push(() => host.stop());
    await relayA.next('hello');
    relayA.send(WELCOME);
    relayA.send({ type: 'client_consent', id: 'k1', client_id: 'cli:me', client_name: 'CLI', relay: 'relay A' });
    expect(await relayA.next('client_decision')).toMatchObject({ approved: true });
    relayA.send({ type: 'call', id: 'a1', tool: 'list_dialogs', args: { limit: 3 }, oauth_client: 'cli:me' });
    expect(await relayA.next('response')).toMatchObject({ id: 'a1' });
    const stored = JSON.parse(await readFile(join(home, 'clients.json'), 'utf8')) as { clients: Array<{ via?: string }> };
    expect(stored.clients[0]!.via).toBe(new URL(relayA.url).origin);

    await host.setRelay(relayB.url, TOKEN);
    await relayB.next('hello');
    relayB.send(WELCOME);
    relayB.send({ type: 'call', id: 'b1', tool: 'list_dialogs', args: { limit: 3 }, oauth_client: 'cli:me' });
    const refused = await relayB.next('error');
    expect(refused).toMatchObject({ id: 'b1' });
    expect(String(refused.error)).toMatch(/^\[not_permitted\] The person approved "CLI" through another relay/);

    // B claiming the known token caller does not skip the person: they are asked, and can say no.
    answer = false;
    relayB.send({ type: 'client_consent', id: 'k2', client_id: 'cli:me', client_name: 'CLI', relay: 'relay B' });
    expect(await relayB.next('client_decision')).toMatchObject({ approved: false });
    expect(asked).toEqual(['relay A', 'relay B']);
    // A's approval still stands for A.
    expect(clientScopes.get('cli:me')?.via).toBe(new URL(relayA.url).origin);
  });
});

/**
 * Per-client scopes on the device (custody rule 7) against a relay that lies: a hand-written relay sends call
 * frames claiming whatever it likes; the device (real RelayLink + ClientScopes) refuses everything outside
 * what the person approved, with a clear error, before any tool runs.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { RelayLink } from '../../../bridge/link/relayLink.js';
import { ClientScopes, clientConsentHandler, runScoped } from '../../../bridge/policy/clientScopes.js';
import type { CallFrame, ClientScope } from '../../../bridge/protocol/index.js';

type AnyFrame = { type: string; id?: string; [k: string]: unknown };

/** A relay that says whatever the test tells it to, and records the device's answers. */
async function lyingRelay() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const answers: AnyFrame[] = [];
  let socket: WebSocket | undefined;
  const connected = new Promise<void>((resolve) =>
    wss.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => answers.push(JSON.parse(String(data)) as AnyFrame));
      resolve();
    }),
  );
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/bridge`,
    connected,
    answers,
    send(frame: AnyFrame): void {
      socket!.send(JSON.stringify(frame));
    },
    /** Sends a frame and waits for the device's answer with the same id. */
    async ask(frame: AnyFrame): Promise<AnyFrame> {
      socket!.send(JSON.stringify(frame));
      for (let i = 0; i < 200; i++) {
        const found = answers.find((a) => a.id === frame.id && a.type !== 'progress');
        if (found) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no answer to ${frame.id}`);
    },
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** A device whose tools record calls; peers resolve `@annie` → `user:42`, `@bobby` → `user:7`. */
async function device(relayUrl: string, scopes: ClientScopes, answerConsent?: ClientScope | null) {
  const ran: CallFrame[] = [];
  const gateway = {
    resolvePeer: async (ref: { kind: string; id?: string; username?: string }) => ({
      ref: ref.kind === 'username' ? (ref.username === 'annie' ? 'user:42' : 'user:7') : `${ref.kind}:${ref.id}`,
    }),
  };
  const link = new RelayLink({
    url: relayUrl,
    token: 'bridge-token-for-tests-0000',
    hello: { app: 'tg-bridge', version: 'test', tools: [] },
    onCall: (call) =>
      runScoped(scopes, gateway as never, call, async () => {
        ran.push(call);
        return call.tool === 'list_dialogs'
          ? { dialogs: [{ peer: 'user:42', title: 'Ann' }, { peer: 'user:7', title: 'Bob' }] }
          : { ok: true };
      }),
    onClientConsent: clientConsentHandler(
      scopes,
      answerConsent === undefined
        ? undefined
        : async () => (answerConsent ? { approved: true, scope: answerConsent } : { approved: false, reason: 'no' }),
    ),
  });
  link.start();
  cleanups.push(() => link.stop());
  return { link, ran };
}

const call = (id: string, tool: string, args: Record<string, unknown>, oauth_client?: string) => ({
  type: 'call',
  id,
  tool,
  args,
  ...(oauth_client ? { oauth_client } : {}),
});

describe('client scopes on the device, whatever the relay claims', () => {
  it('refuses a client the person never approved, a write by a read-only client, and chats outside the chosen ones', async () => {
    const relay = await lyingRelay();
    cleanups.push(() => relay.close());
    const scopes = await ClientScopes.open();
    await scopes.approve({
      clientId: 'reader',
      clientName: 'Reader App',
      relay: 'https://relay.example',
      scope: { access: 'read', chats: 'all' },
      approvedAt: 1,
    });
    await scopes.approve({
      clientId: 'writer',
      clientName: 'Writer App',
      relay: 'https://relay.example',
      scope: { access: 'read_write', chats: ['user:42'] },
      approvedAt: 2,
    });
    const { ran } = await device(relay.url, scopes);
    await relay.connected;

    const stranger = await relay.ask(call('c1', 'list_dialogs', {}, 'never-approved'));
    expect(stranger).toMatchObject({ type: 'error' });
    expect(stranger.error).toMatch(/^\[not_permitted\] This AI app is not approved on the person's device/);

    const readOnlyWrite = await relay.ask(call('c2', 'send_message', { peer: '@annie', text: 'hi', mode: 'send' }, 'reader'));
    expect(readOnlyWrite.error).toMatch(/^\[not_permitted\] The person allowed "Reader App" to read only; send_message writes/);

    const otherChat = await relay.ask(call('c3', 'send_message', { peer: '@bobby', text: 'hi', mode: 'send' }, 'writer'));
    expect(otherChat.error).toMatch(/^\[not_permitted\] The person allowed "Writer App" only in chosen chats, and peer is not one/);
    const forwardOut = await relay.ask(
      call('c4', 'forward_messages', { from_peer: '@annie', to_peer: 'user:7', message_ids: [1], mode: 'send' }, 'writer'),
    );
    expect(forwardOut.error).toMatch(/to_peer is not one of them/);
    expect(ran).toEqual([]);

    // Inside the scope: runs; a chat-spanning read is filtered to the chosen chats.
    const chosen = await relay.ask(call('c5', 'send_message', { peer: '@annie', text: 'hi', mode: 'send' }, 'writer'));
    expect(chosen).toMatchObject({ type: 'response', result: { ok: true } });
    const dialogs = await relay.ask(call('c6', 'list_dialogs', {}, 'writer'));
    expect(dialogs.result).toEqual({ dialogs: [{ peer: 'user:42', title: 'Ann' }] });
    const all = await relay.ask(call('c7', 'list_dialogs', {}, 'reader'));
    expect((all.result as { dialogs: unknown[] }).dialogs).toHaveLength(2);
    expect(ran.map((c) => c.id)).toEqual(['c5', 'c6', 'c7']);

    // Revoked on the device: refused from now on.
    expect(await scopes.revoke('reader')).toBe(true);
    const afterRevoke = await relay.ask(call('c8', 'list_dialogs', {}, 'reader'));
    expect(afterRevoke.error).toMatch(/^\[not_permitted\]/);
  });

  it('a relay cannot approve a client: consent comes only from the person, and is recorded only when given', async () => {
    const relay = await lyingRelay();
    cleanups.push(() => relay.close());
    const scopes = await ClientScopes.open();
    await device(relay.url, scopes, null); // the person says no
    await relay.connected;
    const denied = await relay.ask({ type: 'client_consent', id: 'k1', client_id: 'evil', client_name: 'Evil', relay: 'x' });
    expect(denied).toMatchObject({ type: 'client_decision', approved: false, reason: 'no' });
    // A relay that sends its own "decision" frame, or a call as if approved, gets nowhere.
    relay.send({ type: 'client_decision', id: 'k2', approved: true, scope: { access: 'read_write', chats: 'all' } });
    const attempt = await relay.ask(call('c1', 'list_dialogs', {}, 'evil'));
    expect(attempt.error).toMatch(/^\[not_permitted\]/);
    expect(scopes.list()).toEqual([]);
  });

  it('keeps approvals in a 0600 file that reloads; a corrupt file is refused, not guessed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scopes-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'clients.json');
    const scopes = await ClientScopes.open(path);
    await scopes.approve({ clientId: 'a', clientName: 'A', relay: 'r', scope: { access: 'read', chats: ['chat:5'] }, approvedAt: 5 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await ClientScopes.open(path);
    expect(again.list()).toEqual(scopes.list());
    expect(await readFile(path, 'utf8')).not.toContain('token');
    await expect(scopes.check('a', 'get_messages', { peer: 'chat:5' }, async () => 'chat:5')).resolves.toBeUndefined();
    await again.revoke('a');
    expect((await ClientScopes.open(path)).list()).toEqual([]);
    // The running engine's instance sees the other process's revocation at its next check (same second or not).
    await expect(scopes.check('a', 'get_messages', { peer: 'chat:5' }, async () => 'chat:5')).rejects.toThrow(/not approved/);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, '{"version":1,"clients":[{"clientId":1}]}');
    await expect(ClientScopes.open(path)).rejects.toThrow(/not a valid client approvals file/);
  });
});

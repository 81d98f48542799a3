/**
 * Custody rule 7 for callers without OAuth: the relay names a personal access token's caller `pat:<token id>`
 * (shown to the person under the token's label) and a `--config` token's caller `cli:<user>`, and asks the
 * device before the first call of each MCP session. The person is asked once per caller; the scope they chose
 * is then enforced on the device like any OAuth client's.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../relay/auth.js';
import { tokenRecord } from '../../relay/store/relayStore.js';
import { DIALOGS_RESULT, mcpClient, startTestRelay, type TestRelay, textOf, token } from './helpers.js';
import { scopedDevice } from './oauthHelpers.js';

let env: TestRelay | undefined;
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  await env?.close();
  env = undefined;
});

describe('bearer-token callers get the device consent OAuth clients get', () => {
  it('a personal access token: asked once under its label, then scoped (read-only refuses a write)', async () => {
    env = await startTestRelay();
    const { relay, users } = env;
    const pat = token();
    await relay.store.insertToken(
      tokenRecord({ tokenHash: hashToken(pat), kind: 'personal', userId: 'alice', label: 'laptop script', createdAt: Date.now() }),
    );
    const asked: Array<{ clientId: string; clientName: string }> = [];
    const device = await scopedDevice({
      bridgeUrl: relay.bridgeUrl,
      bridgeToken: users.alice.bridgeToken,
      prompt: async ({ clientId, clientName }) => {
        asked.push({ clientId, clientName });
        return { approved: true, scope: { access: 'read', chats: 'all' } };
      },
      answer: () => DIALOGS_RESULT,
    });
    stops.push(device.stop);

    for (let session = 0; session < 2; session++) {
      const ai = await mcpClient(relay.mcpUrl, pat);
      const read = await ai.callTool({ name: 'list_dialogs', arguments: { limit: 1 } });
      expect(read.isError).toBeFalsy();
      const write = await ai.callTool({ name: 'send_message', arguments: { peer: 'user:42', text: 'hi', mode: 'send' } });
      expect(write.isError).toBe(true);
      expect(textOf(write)).toMatch(/not_permitted.*"laptop script" to read only/);
      await ai.close();
    }
    const id = `pat:${createHash('sha256').update(pat).digest('hex').slice(0, 16)}`;
    expect(hashToken(pat).startsWith(id.slice(4))).toBe(true);
    expect(asked).toEqual([{ clientId: id, clientName: 'laptop script' }]);
    expect(device.calls.map((c) => [c.tool, c.oauth_client])).toEqual([
      ['list_dialogs', id],
      ['list_dialogs', id],
    ]);
  });

  it('a --config token is "cli:<user>"; a person who says no is asked again next time, and nothing runs', async () => {
    env = await startTestRelay();
    const { relay, users } = env;
    let answers = 0;
    const device = await scopedDevice({
      bridgeUrl: relay.bridgeUrl,
      bridgeToken: users.alice.bridgeToken,
      prompt: async ({ clientId }) => {
        answers += 1;
        expect(clientId).toBe('cli:alice');
        return { approved: false, reason: 'The person denied it on their device.' };
      },
      answer: () => ({ dialogs: [] }),
    });
    stops.push(device.stop);
    const ai = await mcpClient(relay.mcpUrl, users.alice.mcpToken);
    for (let i = 0; i < 2; i++) {
      const denied = await ai.callTool({ name: 'list_dialogs', arguments: {} });
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toMatch(/not_permitted.*did not allow "Command-line client \(relay config token\)"/);
    }
    await ai.close();
    expect(answers).toBe(2);
    expect(device.calls).toEqual([]);
  });
});

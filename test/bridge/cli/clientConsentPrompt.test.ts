/**
 * Approving a new AI app in the terminal (custody rule 7) and listing / revoking approved apps with
 * `tg-bridge clients`: what the person types becomes the scope the device enforces.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { terminalClientConsent } from '../../../bridge/cli/clientConsentPrompt.js';
import { main } from '../../../bridge/cli/main.js';
import { ClientScopes, clientsPathIn } from '../../../bridge/policy/clientScopes.js';
import type { PeerRef } from '../../../bridge/protocol/index.js';

/** An asker answering from a script; records the questions. */
function scripted(answers: string[]) {
  const questions: string[] = [];
  return {
    questions,
    ask: async (q: string) => {
      questions.push(q);
      const a = answers.shift();
      if (a === undefined) throw new Error('no more answers');
      return a;
    },
    askSecret: async () => '',
    close: () => {},
  };
}

const canonical = async (ref: PeerRef) => {
  if (ref.kind === 'username') {
    if (ref.username === 'annie') return 'user:42';
    throw new Error('not found');
  }
  return `${ref.kind}:${ref.id}`;
};

describe('terminal consent for a new AI app', () => {
  it('read-only in all chats, read + ask-to-write in chosen chats, or denied; retries bad input', async () => {
    let shown = '';
    const out = (s: string) => void (shown += s);
    const request = { clientId: 'c1', clientName: 'Claude\u202e', relay: 'https://relay.example' };
    expect(await terminalClientConsent(scripted(['r', '']), out, canonical)(request)).toEqual({
      approved: true,
      scope: { access: 'read', chats: 'all' },
    });
    expect(shown).toContain('New AI app: "Claude\\u{202e}" wants to use your Telegram through https://relay.example');
    expect(
      await terminalClientConsent(scripted(['x', 'w', '@nobodyhere', '!!', '@annie, chat:7, user:42']), out, canonical)(request),
    ).toEqual({ approved: true, scope: { access: 'read_write', chats: ['user:42', 'chat:7'] } });
    expect(shown).toContain('Type r, w or n.');
    expect(shown).toContain('cannot find @nobodyhere in your Telegram');
    expect(shown).toContain('"!!" is not a chat');
    expect(await terminalClientConsent(scripted(['n']), out, canonical)(request)).toEqual({
      approved: false,
      reason: 'The person denied it on their device.',
    });
  });
});

describe('tg-bridge clients', () => {
  let home: string;
  let out: string[];
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'tgb-clients-'));
    out = [];
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    main(['node', 'tg-bridge', ...args], {
      out: (s: string) => void out.push(s),
      err: (s: string) => void out.push(s),
      untilStopped: async () => 'SIGINT',
    });

  it('lists approved apps with their scopes and revokes one, which a running engine sees at once', async () => {
    expect(await run('clients', 'list', '--home', home)).toBe(0);
    expect(out.join('')).toBe('no AI apps approved on this device\n');
    const engineCopy = await ClientScopes.open(clientsPathIn(home));
    await engineCopy.approve({ clientId: 'abc', clientName: 'ChatGPT', relay: 'https://r.example', scope: { access: 'read', chats: ['chat:7'] }, approvedAt: 1 });
    out = [];
    expect(await run('clients', 'list', '--home', home)).toBe(0);
    expect(out.join('')).toBe('abc\t"ChatGPT" via https://r.example\tread-only; chat:7\n');
    out = [];
    expect(await run('clients', 'revoke', 'abc', '--home', home)).toBe(0);
    await expect(engineCopy.check('abc', 'get_messages', { peer: 'chat:7' }, canonical)).rejects.toThrow(/not approved/);
    out = [];
    expect(await run('clients', 'revoke', 'abc', '--home', home)).toBe(1);
    expect(out.join('')).toMatch(/no approved AI app with id abc/);
  });
});

/** The approval view builder: one sentence per effect, exact text, media, flags, rule scope — all display-safe. */
import { describe, expect, it } from 'vitest';
import { type ApprovalFacts, buildApprovalView, type PendingWrite, ruleKeyOf } from '../../../bridge/policy/approvalView.js';
import { ApprovalView } from '../../../bridge/protocol/approvalView.js';
import type { ResolvedPeer } from '../../../bridge/telegram/gateway.js';
import { alice, message, team } from './viewFixtures.js';

const channel: ResolvedPeer = { ref: 'channel:5', kind: 'channel', id: '5', title: 'News', username: 'news', megagroup: false };
const facts: ApprovalFacts = { firstContact: false };
const view = (write: PendingWrite, f: ApprovalFacts = facts, client?: string) =>
  buildApprovalView(write, f, client === undefined ? {} : { client });

describe('approval view', () => {
  it('says each effect in one sentence', () => {
    const m = (id: number) => message(team, id, `text ${id}`);
    const cases: Array<[PendingWrite, string]> = [
      [{ tool: 'send_message', peer: alice, effect: { kind: 'send_message', text: 'hi' } }, 'Send a message to ‹Alice Example›'],
      [
        { tool: 'forward_messages', peer: alice, effect: { kind: 'forward_messages', source: team, messages: [1, 2, 3, 4, 5].map(m) } },
        'Forward 5 messages from ‹Team› to ‹Alice Example›',
      ],
      [
        { tool: 'delete_messages', peer: team, effect: { kind: 'delete_messages', revoke: true, messages: [1, 2, 3].map(m) } },
        'Delete 3 messages for everyone in ‹Team›',
      ],
      [
        { tool: 'delete_messages', peer: team, effect: { kind: 'delete_messages', revoke: false, messages: [m(1)] } },
        'Delete 1 message for you only in ‹Team› (the others still see it)',
      ],
      [
        {
          tool: 'send_media',
          peer: channel,
          effect: { kind: 'send_media', media: { kind: 'animation', fileName: 'a.gif', bytes: 10, mimeType: 'image/gif' } },
        },
        'Send an animation to ‹News›',
      ],
      [{ tool: 'edit_message', peer: team, effect: { kind: 'edit_message', message: m(7), text: 'new' } }, 'Edit your message #7 in ‹Team›'],
      [{ tool: 'set_reaction', peer: team, effect: { kind: 'set_reaction', message: m(7), emoji: '👍' } }, 'React 👍 to message #7 in ‹Team›'],
      [
        { tool: 'set_reaction', peer: team, effect: { kind: 'set_reaction', message: m(7), emoji: null } },
        'Remove your reaction from message #7 in ‹Team›',
      ],
      [
        { tool: 'pin_message', peer: team, effect: { kind: 'pin_message', message: m(7), unpin: false } },
        'Pin message #7 in ‹Team› (members are not notified)',
      ],
      [{ tool: 'pin_message', peer: team, effect: { kind: 'pin_message', message: m(7), unpin: true } }, 'Unpin message #7 in ‹Team›'],
      [
        { tool: 'mark_read', peer: team, effect: { kind: 'mark_read', maxId: 9 } },
        'Mark messages up to #9 in ‹Team› as read (the senders will see that you read them)',
      ],
    ];
    for (const [write, effect] of cases) {
      const v = view(write);
      expect(v.effect).toBe(effect);
      // Every view fits the schema the renderer shares.
      expect(ApprovalView.safeParse({ ...v, callId: 'c', createdAt: 0, expiresAt: 1, undoMs: 0 }).success).toBe(true);
    }
  });

  it('shows the peer, the exact text (multi-line, never cut), media with name and bytes, and the kind of peer', () => {
    const text = `${'long '.repeat(900)}\nsecond line`;
    const v = view({ tool: 'send_message', peer: alice, effect: { kind: 'send_message', text } }, facts, 'Claude');
    expect(v.peer).toEqual({ ref: 'user:1001', title: 'Alice Example', username: 'alice_demo', id: '1001', kind: 'user' });
    expect(v.text).toEqual({ shown: text, format: 'plain', editable: true });
    expect(v.client).toBe('Claude');
    expect(v.flags).toEqual([]);
    const media = view({
      tool: 'send_media',
      peer: channel,
      effect: {
        kind: 'send_media',
        media: { kind: 'document', fileName: 'report\u202Efdp.exe', bytes: 48_000, mimeType: 'application/pdf' },
        caption: 'Q3',
      },
    });
    expect(media.peer.kind).toBe('channel');
    expect(media.media).toEqual({ kind: 'document', fileName: 'report⟨U+202E⟩fdp.exe', bytes: 48_000 });
    expect(media.text).toEqual({ shown: 'Q3', format: 'plain', editable: false });
    expect(media.flags.map((f) => f.code)).toEqual(['hidden_characters']);
  });

  it('lists at most 10 messages on one line each, and counts the rest', () => {
    const messages = Array.from({ length: 13 }, (_, i) => message(team, i + 1, `line ${i + 1}\nmore\u001b[2J`, 'Priya\u200b'));
    const v = view({ tool: 'delete_messages', peer: team, effect: { kind: 'delete_messages', revoke: false, messages } });
    expect(v.messages).toHaveLength(10);
    expect(v.moreMessages).toBe(3);
    expect(v.messages![0]).toEqual({ id: 1, from: 'Priya⟨U+200B⟩', preview: 'line 1' });
    expect(v.flags.map((f) => f.code)).toEqual(['hidden_characters']);
  });

  it('reply_to shows the first line of the message it answers, or says it is not in the chat', () => {
    const write: PendingWrite = { tool: 'send_message', peer: team, effect: { kind: 'send_message', text: 'ok', replyTo: 4 } };
    const found = view(write, { firstContact: false, replyTo: message(team, 4, '\n  Lunch at 1?\nsecond', 'Sam') });
    expect(found.replyTo).toEqual({ id: 4, from: 'Sam', preview: 'Lunch at 1?' });
    const missing = view(write, { firstContact: false, replyTo: null });
    expect(missing.replyTo).toEqual({ id: 4, from: '', preview: '' });
    expect(missing.flags.map((f) => f.code)).toEqual(['not_found']);
  });

  it('caps the client name at 64 characters and escapes it', () => {
    const v = view({ tool: 'mark_read', peer: team, effect: { kind: 'mark_read' } }, facts, `\u001b[31m${'A'.repeat(80)}`);
    expect([...v.client!]).toHaveLength(65);
    expect(v.client!.startsWith('␛[31mAAA')).toBe(true);
    expect(v.flags[0]!.code).toBe('hidden_characters');
  });

  it('maps formatting from the plan: format, rendered text and the formatted flag', () => {
    const v = view({
      tool: 'send_message',
      peer: alice,
      effect: { kind: 'send_message', text: '**bold** and `code`' },
      textFormat: 'markdown',
      renderedText: 'bold and code',
    });
    expect(v.text).toEqual({ shown: '**bold** and `code`', format: 'markdown', rendered: 'bold and code', editable: true });
    expect(v.flags.map((f) => f.code)).toEqual(['formatted']);
  });

  it('lists link targets apart from the rendered text, so a text cannot fake them', () => {
    const fake = '[https://bank.example](https://evil.example)\n— link "https://bank.example" → https://bank.example';
    const v = view({
      tool: 'send_message',
      peer: alice,
      effect: { kind: 'send_message', text: fake },
      textFormat: 'markdown',
      renderedText: 'https://bank.example\n— link "https://bank.example" → https://bank.example',
      renderedLinks: ['link "https://bank.example" → https://evil.example\u001b[0m'],
    });
    expect(v.text!.rendered).toBe('https://bank.example\n— link "https://bank.example" → https://bank.example');
    expect(v.text!.links).toEqual(['link "https://bank.example" → https://evil.example␛[0m']);
    expect(v.flags.map((f) => f.code)).toContain('hidden_characters');
  });

  it('flags a title or client name that mixes Latin, Cyrillic or Greek letters in one word (a lookalike)', () => {
    const fakeMom = { ...alice, ref: 'user:666', id: '666', title: 'M\u043Em', username: null };
    const v = view({ tool: 'send_message', peer: fakeMom, effect: { kind: 'send_message', text: 'hi' } }, facts, 'Claud\u0435');
    expect(v.flags).toContainEqual({
      code: 'lookalike',
      message: '‹Mоm› mixes Latin and Cyrillic letters in one word: it may imitate another name',
    });
    expect(v.flags).toContainEqual({
      code: 'lookalike',
      message: 'the asking client ‹Claudе› mixes Latin and Cyrillic letters in one word: it may imitate another name',
    });
    // Names in one script per word are ordinary, whatever the scripts.
    for (const title of ['Алиса Smith', 'Café Ωμέγα', 'Ελένη', 'Tomás Ortega', '李雷 Li']) {
      const ok = view({ tool: 'send_message', peer: { ...alice, title }, effect: { kind: 'send_message', text: 'hi' } });
      expect(ok.flags, title).toEqual([]);
    }
  });

  it('first contact: flagged first, and no rule may be made', () => {
    const v = view({ tool: 'send_message', peer: alice, effect: { kind: 'send_message', text: 'hi\u202E' } }, { firstContact: true });
    expect(v.flags.map((f) => f.code)).toEqual(['hidden_characters', 'first_contact']);
    expect(v.rule).toEqual({ allowed: false, why: 'no standing rule for someone you have never messaged: each write asks' });
  });

  it('keys rules on the effect: source and destination for forwards, revoke for deletes', () => {
    expect(
      ruleKeyOf({ tool: 'forward_messages', peer: alice, effect: { kind: 'forward_messages', source: team, messages: [] } }),
    ).toEqual({ tool: 'forward_messages', peerRef: alice.ref, sourceRef: team.ref });
    expect(ruleKeyOf({ tool: 'delete_messages', peer: team, effect: { kind: 'delete_messages', revoke: false, messages: [] } })).toEqual({
      tool: 'delete_messages',
      peerRef: team.ref,
      revoke: false,
    });
    expect(
      view({ tool: 'delete_messages', peer: team, effect: { kind: 'delete_messages', revoke: false, messages: [] } }).rule,
    ).toEqual({
      allowed: true,
      scope: 'The AI may delete messages for you only in ‹Team› without asking you, for 1 hour (deleting for everyone still asks).',
      durationMs: 3_600_000,
    });
  });
});

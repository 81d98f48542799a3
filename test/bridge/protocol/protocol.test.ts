/** The shared contract: frame parsing never throws, unknown frames are ignored, peers parse and redact. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatZodIssues,
  LogoutResult,
  MAX_FRAME_BYTES,
  parseFrame,
  parsePeer,
  TOOLS,
  toolErrorCodeOf,
  toolErrorText,
} from '../../../bridge/protocol/index.js';
import { redactPeer } from '../../../bridge/audit/redactPeer.js';

describe('text format (issue 8 §3)', () => {
  it('send_message, edit_message and send_media default to plain text', () => {
    const base = { peer: 'user:1', mode: 'send' } as const;
    expect(TOOLS.send_message.args.parse({ ...base, text: '2**10' }).format).toBe('plain');
    expect(TOOLS.edit_message.args.parse({ ...base, message_id: 1, text: 'x' }).format).toBe('plain');
    expect(TOOLS.send_media.args.parse({ ...base, media_type: 'photo', file_base64: 'AAAA' }).format).toBe('plain');
    expect(TOOLS.send_message.args.safeParse({ ...base, text: 'x', format: 'markdownv2' }).success).toBe(false);
  });
});

describe('frames', () => {
  it('parses known frames and ignores unknown types silently (PROTOCOL.md)', () => {
    expect(parseFrame('{"type":"call","id":"a","tool":"list_dialogs","args":{"limit":2}}')).toEqual({
      kind: 'frame',
      frame: { type: 'call', id: 'a', tool: 'list_dialogs', args: { limit: 2 } },
    });
    expect(parseFrame('{"type":"call","id":"a","tool":"list_dialogs"}')).toMatchObject({
      kind: 'frame',
      frame: { args: {} },
    });
    expect(parseFrame('{"type":"telemetry","x":1}')).toEqual({ kind: 'ignored', type: 'telemetry' });
  });

  it('knows the local logout frame (control socket only) and its answer', () => {
    expect(parseFrame('{"type":"logout","id":"l1"}')).toEqual({ kind: 'frame', frame: { type: 'logout', id: 'l1' } });
    expect(LogoutResult.parse({ telegram: 'not_told', detail: 'offline' })).toEqual({ telegram: 'not_told', detail: 'offline' });
    expect(LogoutResult.safeParse({ telegram: 'maybe' }).success).toBe(false);
  });

  it('reports malformed frames with a reason and the call id when there is one', () => {
    expect(parseFrame('nope')).toEqual({ kind: 'invalid', error: 'frame is not valid JSON' });
    expect(parseFrame('[1]')).toMatchObject({ kind: 'invalid', error: 'frame is not a JSON object' });
    expect(parseFrame('{"id":"x"}')).toMatchObject({ kind: 'invalid' });
    const bad = parseFrame('{"type":"call","id":"c7","tool":7}');
    expect(bad).toMatchObject({ kind: 'invalid', id: 'c7', error: expect.stringMatching(/tool/) });
    expect(parseFrame('x'.repeat(MAX_FRAME_BYTES + 1))).toEqual({
      kind: 'invalid',
      error: 'frame too large',
    });
  });

  it('parses bytes as a browser or ws delivers them, and measures the limit in UTF-8 bytes', () => {
    const text = '{"type":"call","id":"b","tool":"list_dialogs","args":{}}';
    const bytes = new TextEncoder().encode(text);
    const half = bytes.length >> 1;
    for (const raw of [bytes, bytes.buffer, [bytes.slice(0, half), bytes.slice(half)], Buffer.from(text)]) {
      expect(parseFrame(raw)).toMatchObject({ kind: 'frame', frame: { id: 'b' } });
    }
    // 'é' is 2 bytes in UTF-8: fewer characters than the limit but more bytes than it.
    const wide = 'é'.repeat(Math.floor(MAX_FRAME_BYTES / 2) + 1);
    expect(parseFrame(wide)).toEqual({ kind: 'invalid', error: 'frame too large' });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        expect(['frame', 'ignored', 'invalid']).toContain(parseFrame(s).kind);
      }),
      { numRuns: 500 },
    );
  });

  it('error frame text carries a code that can be read back', () => {
    const text = toolErrorText('flood_wait', 'retry after 5 s');
    expect(text).toBe('[flood_wait] retry after 5 s');
    expect(toolErrorCodeOf(text)).toBe('flood_wait');
    expect(toolErrorCodeOf('plain mctl error')).toBeUndefined();
  });
});

describe('peers', () => {
  it('accepts every form PROTOCOL.md lists', () => {
    expect(parsePeer('@Alice_Demo')).toEqual({ kind: 'username', username: 'alice_demo' });
    expect(parsePeer('alice_demo')).toEqual({ kind: 'username', username: 'alice_demo' });
    expect(parsePeer('user:42')).toEqual({ kind: 'user', id: '42' });
    expect(parsePeer('chat:7')).toEqual({ kind: 'chat', id: '7' });
    expect(parsePeer('channel:1234567890123')).toEqual({ kind: 'channel', id: '1234567890123' });
    expect(parsePeer('42')).toEqual({ kind: 'user', id: '42' });
  });

  it('rejects what is not a peer', () => {
    for (const s of [
      '',
      '@',
      'ab',
      'user:',
      'user:abc',
      'group:1',
      '0',
      'user:0',
      '@1abc',
      'a b c d e',
      '../etc',
    ]) {
      expect(parsePeer(s), s).toBeNull();
    }
  });

  it('redacts to kind + tag, stable per peer, never the name', () => {
    const r = redactPeer('@alice_demo');
    expect(r).toMatch(/^username#[0-9a-f]{8}$/);
    expect(r).not.toContain('alice');
    expect(redactPeer('user:42')).toBe(redactPeer('user:42'));
    expect(redactPeer('user:42')).not.toBe(redactPeer('user:43'));
  });

  it('the peer argument schema names the accepted forms', () => {
    const r = TOOLS.get_messages.args.safeParse({ peer: 'bad peer!' });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatZodIssues(r.error)).toMatch(/^peer: not a peer; use @username/);
    expect(TOOLS.get_messages.args.parse({ peer: 42 })).toMatchObject({ peer: '42', limit: 50 });
  });
});

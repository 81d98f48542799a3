/**
 * Issue 8 §3 "Telegram gets exactly what was approved", against the sandbox through the real gramjs gateway:
 * text is sent byte for byte unless the AI asks for `format: "markdown" | "html"`; then the approval shows the
 * rendered text (with link targets) and the result reports the text and entities Telegram stored — for
 * send_message, edit_message, send_media captions and text the person edited in the prompt.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain } from '../../bridge/audit/auditChain.js';
import { BridgeEngine } from '../../bridge/engine.js';
import { ApprovalQueue, type PendingApproval } from '../../bridge/policy/approvals.js';
import { fromApiEntities, renderText, toApiEntities } from '../../bridge/telegram/formatting.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';

/** Every trick gramjs's Markdown or an HTML parser would act on. */
const TRICKY = '2**10 __init__ `x` ~~s~~ [a](b) <b>bold</b> &amp; ```pre```';

let sandbox: Sandbox;
let engine: BridgeEngine;
let approvals: ApprovalQueue;
let dir: string;
let seq = 0;
const asked: PendingApproval[] = [];
/** How the person answers the next approval (default: approve as shown). */
let answer: (p: PendingApproval) => void;

const friend = () => sandbox.control.users().find((u) => u.username)!;
const peer = () => `user:${friend().id}`;
const lastSent = () => sandbox.control.sentMessages().at(-1)!;
const call = (tool: string, args: Record<string, unknown>) =>
  engine.call({ callId: `f${++seq}`, tool, args }) as Promise<Record<string, unknown>>;

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'tgb-format-'));
  approvals = new ApprovalQueue({ timeoutMs: 5_000, undoMs: 0 });
  approvals.on('added', (p) => {
    asked.push(p);
    answer(p);
  });
  engine = new BridgeEngine({ gateway: sandboxGateway(sandbox), audit: await AuditChain.open(join(dir, 'a.jsonl')), approvals });
});
beforeEach(() => {
  answer = (p) => void approvals.approve(p.callId);
});
afterAll(async () => {
  await engine?.close();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('plain text (the default) is sent byte for byte', () => {
  it('send_message: `2**10 __init__` arrives as typed, with no entities', async () => {
    const r = await call('send_message', { peer: peer(), text: TRICKY, mode: 'send' });
    expect(r).toMatchObject({ sent: true, text: TRICKY });
    expect(r.rendered).toBeUndefined();
    expect(lastSent()).toMatchObject({ text: TRICKY });
    expect(lastSent().entities).toBeUndefined();
    expect(asked.at(-1)!.text).toBe(TRICKY);
    expect(asked.at(-1)!.view.text).toEqual({ shown: TRICKY, format: 'plain', editable: true });
  });

  it('send_media: a plain caption arrives as typed', async () => {
    const r = await call('send_media', {
      peer: peer(),
      media_type: 'document',
      file_base64: Buffer.from('hello').toString('base64'),
      file_name: 'a.txt',
      caption: TRICKY,
      mode: 'send',
    });
    expect(r).toMatchObject({ sent: true, caption: TRICKY });
    expect(lastSent()).toMatchObject({ kind: 'media', text: TRICKY });
    expect(lastSent().entities).toBeUndefined();
  });

  it('edit_message: the new text arrives as typed, and old formatting is cleared', async () => {
    const sent = await call('send_message', { peer: peer(), text: '**was bold**', format: 'markdown', mode: 'send' });
    const id = sent.message_id as number;
    expect(sandbox.control.history(peer()).find((m) => m.id === id)!.entities).toHaveLength(1);
    const r = await call('edit_message', { peer: peer(), message_id: id, text: TRICKY, mode: 'send' });
    expect(r).toMatchObject({ sent: true, text: TRICKY });
    const stored = sandbox.control.history(peer()).find((m) => m.id === id)!;
    expect(stored.text).toBe(TRICKY);
    expect(stored.entities).toBeUndefined();
  });
});

describe('markdown and html are rendered on the device, approved as rendered, reported as stored', () => {
  it('send_message markdown: bold, italic, code, strike; `[a](b)` stays literal (no links in gramjs markdown)', async () => {
    const text = '**bold** __it__ `code` ~~gone~~ [a](b)';
    const r = await call('send_message', { peer: peer(), text, format: 'markdown', mode: 'send' });
    const shownText = 'bold it code gone [a](b)';
    expect(asked.at(-1)).toMatchObject({ text, view: { text: { shown: text, format: 'markdown', rendered: shownText } } });
    expect(asked.at(-1)!.view.flags.map((f) => f.code)).toContain('formatted');
    expect(lastSent().text).toBe(shownText);
    const types = lastSent().entities!.map((e) => e.type).sort();
    expect(types).toEqual(['bold', 'code', 'italic', 'strike']);
    expect(r).toMatchObject({ sent: true, format: 'markdown', rendered: { text: shownText } });
    const rendered = r.rendered as { entities: Array<{ type: string; offset: number; length: number }> };
    expect(rendered.entities.map((e) => [e.type, e.offset, e.length]).sort()).toEqual(
      lastSent().entities!.map((e) => [e.type, e.offset, e.length]).sort(),
    );
  });

  it('send_message html: tags become entities, the approval names where the link points', async () => {
    const text = '<b>bold</b> <a href="https://example.org/x">a</a> 2**10 &lt;i&gt;';
    const r = await call('send_message', { peer: peer(), text, format: 'html', mode: 'send' });
    expect(lastSent().text).toBe('bold a 2**10 <i>');
    expect(lastSent().entities).toEqual([
      { type: 'bold', offset: 0, length: 4 },
      { type: 'text_url', offset: 5, length: 1, url: 'https://example.org/x' },
    ]);
    expect(asked.at(-1)!.view.text!.rendered).toBe('bold a 2**10 <i>');
    // Link targets are listed apart from the rendered text, so a text cannot fake one.
    expect(asked.at(-1)!.view.text!.links).toEqual(['link "a" → https://example.org/x']);
    expect(r).toMatchObject({
      format: 'html',
      rendered: {
        text: 'bold a 2**10 <i>',
        entities: [
          { type: 'bold', offset: 0, length: 4 },
          { type: 'text_url', offset: 5, length: 1, url: 'https://example.org/x' },
        ],
      },
    });
  });

  it('text the person edited in the prompt is rendered in the same format', async () => {
    answer = (p) => void approvals.approve(p.callId, { text: 'now **this** instead' });
    const r = await call('send_message', { peer: peer(), text: '**that**', format: 'markdown', mode: 'send' });
    expect(r).toMatchObject({
      sent: true,
      edited_by_person: true,
      text: 'now **this** instead',
      rendered: { text: 'now this instead', entities: [{ type: 'bold', offset: 4, length: 4 }] },
    });
    expect(lastSent()).toMatchObject({ text: 'now this instead', entities: [{ type: 'bold', offset: 4, length: 4 }] });
  });

  it('edit_message html: the approval shows the rendered text and Telegram stores the entities', async () => {
    const sent = await call('send_message', { peer: peer(), text: 'first', mode: 'send' });
    const id = sent.message_id as number;
    const r = await call('edit_message', { peer: peer(), message_id: id, text: '<i>second</i>', format: 'html', mode: 'send' });
    expect(asked.at(-1)!.view.text).toEqual({ shown: '<i>second</i>', format: 'html', rendered: 'second', editable: true });
    expect(r).toMatchObject({ sent: true, rendered: { text: 'second', entities: [{ type: 'italic', offset: 0, length: 6 }] } });
    expect(sandbox.control.history(peer()).find((m) => m.id === id)).toMatchObject({
      text: 'second',
      entities: [{ type: 'italic', offset: 0, length: 6 }],
    });
  });

  it('send_media markdown caption: rendered for the approval and stored with its entities', async () => {
    const r = await call('send_media', {
      peer: peer(),
      media_type: 'document',
      file_base64: Buffer.from('hello').toString('base64'),
      file_name: 'b.txt',
      caption: '~~old~~ `new`',
      format: 'markdown',
      mode: 'send',
    });
    expect(asked.at(-1)!.view.text).toMatchObject({ shown: '~~old~~ `new`', format: 'markdown', rendered: 'old new' });
    expect(lastSent()).toMatchObject({ kind: 'media', text: 'old new' });
    expect(r).toMatchObject({
      rendered: {
        text: 'old new',
        entities: [
          { type: 'strike', offset: 0, length: 3 },
          { type: 'code', offset: 4, length: 3 },
        ],
      },
    });
  });

  it('in groups and supergroups too (Telegram answers with the stored message, not a short update)', async () => {
    const group = `chat:${sandbox.control.chats()[0]!.id}`;
    const supergroup = `channel:${sandbox.control.channels().find((c) => c.megagroup)!.id}`;
    for (const peer of [group, supergroup]) {
      const r = await call('send_message', { peer, text: 'see <code>x</code>', format: 'html', mode: 'send' });
      const expected = { text: 'see x', entities: [{ type: 'code', offset: 4, length: 1 }] };
      expect(r).toMatchObject({ sent: true, rendered: expected });
      expect(sandbox.control.history(peer).find((m) => m.id === r.message_id)).toMatchObject(expected);
      const edited = await call('edit_message', {
        peer,
        message_id: r.message_id,
        text: '~~see~~ x',
        format: 'markdown',
        mode: 'send',
      });
      expect(edited).toMatchObject({ rendered: { text: 'see x', entities: [{ type: 'strike', offset: 0, length: 3 }] } });
    }
  });

  it('a dry run previews the rendering and sends nothing', async () => {
    const before = sandbox.control.sentMessages().length;
    const r = await call('send_message', { peer: peer(), text: '<u>u</u>', format: 'html', mode: 'dry_run' });
    expect(r).toMatchObject({ sent: false, status: 'dry_run', rendered: { text: 'u', entities: [{ type: 'underline' }] } });
    expect(sandbox.control.sentMessages()).toHaveLength(before);
  });

  it('a formatted text that shows nothing is refused before the person is asked', async () => {
    const count = asked.length;
    await expect(call('send_message', { peer: peer(), text: '****', format: 'markdown', mode: 'send' })).rejects.toMatchObject({
      code: 'invalid_arguments',
      message: expect.stringMatching(/^text: read as markdown/),
    });
    expect(asked).toHaveLength(count);
  });
});

describe('formatting module', () => {
  it('plain is the identity; entities survive the trip to MTProto objects and back', () => {
    expect(renderText(TRICKY, 'plain')).toEqual({ text: TRICKY, entities: [] });
    const rendered = renderText('<pre><code class="language-ts">x</code></pre> <spoiler>s</spoiler> <blockquote>q</blockquote>', 'html');
    expect(fromApiEntities(toApiEntities(rendered.entities))).toEqual(rendered.entities);
    expect(rendered.entities.map((e) => e.type)).toEqual(['pre', 'spoiler', 'blockquote']);
    expect(rendered.entities[0]).toMatchObject({ language: 'ts' });
  });

  it('refuses to build an entity kind the bridge never sends', () => {
    expect(() => toApiEntities([{ type: 'mention_name', offset: 0, length: 1 }])).toThrow(RangeError);
  });
});

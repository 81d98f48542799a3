/**
 * Every tool of issue 5 end to end, over real sockets: an MCP SDK client → relay (/mcp) → WebSocket → bridge →
 * unmodified gramjs → MTProto sandbox. Effects are checked through the sandbox's control API (what Telegram
 * really holds now); approvals are answered through the host's approval queue as the person would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readAuditEntries } from '../../bridge/audit/auditChain.js';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import type { PendingApproval } from '../../bridge/policy/approvals.js';
import { TOOLS } from '../../bridge/protocol/index.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';
import { personApproves } from '../helpers/clientConsent.js';

type Structured = Record<string, unknown>;
type CallResult = Awaited<ReturnType<Client['callTool']>>;

let sandbox: Sandbox;
let relay: Relay;
let host: BridgeHost;
let home: string;
let mediaDir: string;
let auditPath: string;
let ai: Client;
let files: Server;
let filesPort: number;
const mcpToken = randomBytes(24).toString('base64url');
const bridgeToken = randomBytes(24).toString('base64url');

/** Approvals the person was asked for, newest last. */
const asked: PendingApproval[] = [];
/** How the person answers the next approval. */
let answer: (p: PendingApproval) => void = () => {};
const approve = (p: PendingApproval) => void host.approvals.approve(p.callId, { by: 'person' });
const deny = (p: PendingApproval) => void host.approvals.deny(p.callId, 'not this one');
const noApprovalExpected = (p: PendingApproval) => {
  throw new Error(`no approval expected, got ${p.tool}`);
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tagged = /^<telegram-content origin="telegram" peer="[a-z]+#[0-9a-f]{8}" untrusted="true">[\s\S]*<\/telegram-content>$/;

async function call(name: string, args: Structured): Promise<CallResult> {
  return ai.callTool({ name, arguments: args });
}
async function ok<T = Structured>(name: string, args: Structured): Promise<T> {
  const r = await call(name, args);
  if (r.isError) throw new Error(`${name} failed: ${textOf(r)}`);
  return r.structuredContent as T;
}
function textOf(result: CallResult): string {
  return (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
}
async function lastAudit() {
  return (await readAuditEntries(auditPath)).at(-1);
}

/** A snapshot of everything a write could change, to prove a dry run or denial changed nothing. */
function world(peers: string[]) {
  return JSON.stringify({
    sent: sandbox.control.sentMessages().length,
    deletions: sandbox.control.deletions().length,
    peers: peers.map((p) => ({
      history: sandbox.control.history(p),
      read: sandbox.control.readState(p),
      pinned: sandbox.control.pinned(p),
      reactions: sandbox.control.history(p).map((m) => sandbox.control.reactions(p, m.id)),
    })),
  });
}

const users = () => sandbox.control.users();
const supergroup = () => sandbox.control.channels().find((c) => c.megagroup)!;
const broadcast = () => sandbox.control.channels().find((c) => !c.megagroup)!;
const group = () => `chat:${sandbox.control.chats()[0]!.id}`;
const userPeer = (i: number) => `user:${users()[i]!.id}`;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tgb-e2e-tools-'));
  auditPath = join(home, 'audit.jsonl');
  mediaDir = join(home, 'media');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await mkdir(mediaDir);
  await writeFile(join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY');
  await symlink(join(home, '.ssh', 'id_ed25519'), join(mediaDir, 'beach.jpg'));
  files = createServer((req, res) => {
    if (req.url === '/report.pdf') res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF_BYTES);
    else res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesPort = (files.address() as AddressInfo).port;

  sandbox = await startSandbox();
  relay = await startRelay({ users: [{ id: 'person', mcpToken, bridgeToken }] });
  const gateway = sandboxGateway(sandbox);
  host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: relay.url,
    bridgeToken,
    gateway,
    auditPath,
    approvalTimeoutMs: 5_000,
    undoMs: 0, // approvals here are answered by the test at once; the undo window has its own tests
    link: { backoff: { initialMs: 100, maxMs: 400 } },
    media: {
      mediaDir,
      allowFileUrl: true,
      // Test hook: the local file server on 127.0.0.1 is the one non-public address allowed.
      urlFetch: { allowAddressForTests: (a) => a === '127.0.0.1' },
    },
  });
  host.approvals.on('added', (p) => {
    asked.push(p);
    answer(p);
  });
  await host.waitConnected();
  ai = new Client({ name: 'e2e-tools', version: '1.0.0' });
  await ai.connect(
    new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
    }),
  );
  await ai.listTools(); // the client then checks every structuredContent against the tool's outputSchema
});

afterAll(async () => {
  await ai?.close();
  await host?.stop();
  await relay?.close();
  await sandbox?.stop();
  files?.closeAllConnections();
  await new Promise((r) => files?.close(r));
  if (home) await rm(home, { recursive: true, force: true });
});

beforeEach(() => {
  asked.length = 0;
  answer = noApprovalExpected;
});

const PDF_BYTES = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3000)]);

describe('tools/list', () => {
  it('lists all 15 tools; writes are marked not read-only and say they wait for the person', async () => {
    const { tools } = await ai.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(TOOLS).sort());
    for (const t of tools) {
      const write = TOOLS[t.name as keyof typeof TOOLS].write;
      expect(t.annotations?.readOnlyHint).toBe(!write);
      if (write) expect(t.description).toMatch(/approve/);
      else expect(t.description).toMatch(/untrusted/);
    }
  });
});

describe('reads', () => {
  it('get_unread_messages returns one chat’s unread incoming messages, wrapped, without marking them read', async () => {
    const peer = group();
    const before = sandbox.control.readState(peer);
    expect(before.unreadCount).toBeGreaterThan(0);
    const r = await ok<{ messages: Array<{ id: number; text: string; from: string; peer: string }> }>(
      'get_unread_messages',
      { peer },
    );
    const expected = sandbox.control
      .history(peer)
      .filter((m) => !m.out && m.id > before.readInboxMaxId)
      .map((m) => m.id)
      .reverse();
    expect(r.messages.map((m) => m.id)).toEqual(expected);
    for (const m of r.messages) {
      expect(m.text).toMatch(tagged);
      expect(m.from).toMatch(tagged);
      expect(m.peer).toBe(peer);
    }
    expect(sandbox.control.readState(peer)).toEqual(before);
  });

  it('get_unread_messages without a peer gathers every chat with unread messages, up to limit', async () => {
    const all = await ok<{ messages: Array<{ peer: string }>; more_unread?: number }>('get_unread_messages', {});
    const withUnread = [
      group(),
      ...users().map((u) => `user:${u.id}`),
      ...sandbox.control.channels().map((c) => `channel:${c.id}`),
    ].filter(
      (p) => sandbox.control.unreadCount(p) > 0,
    );
    const total = withUnread.reduce((n, p) => n + sandbox.control.unreadCount(p), 0);
    expect(all.messages).toHaveLength(total);
    expect(new Set(all.messages.map((m) => m.peer))).toEqual(new Set(withUnread));
    const two = await ok<{ messages: unknown[]; more_unread: number }>('get_unread_messages', { limit: 2 });
    expect(two.messages).toHaveLength(2);
    expect(two.more_unread).toBe(total - 2);
  });

  it('search_messages finds matches in one chat and across chats', async () => {
    const peer = group();
    const inChat = await ok<{ messages: Array<{ id: number; text: string }> }>('search_messages', {
      peer,
      query: 'quinta',
    });
    const expected = sandbox.control
      .history(peer)
      .filter((m) => /quinta/i.test(m.text))
      .map((m) => m.id)
      .reverse();
    expect(expected.length).toBeGreaterThan(1);
    expect(inChat.messages.map((m) => m.id)).toEqual(expected);
    for (const m of inChat.messages) expect(m.text).toMatch(tagged);

    const paged = await ok<{ messages: Array<{ id: number }>; next_before_id?: number }>('search_messages', {
      peer,
      query: 'quinta',
      limit: 1,
    });
    expect(paged.messages.map((m) => m.id)).toEqual([expected[0]]);
    expect(paged.next_before_id).toBe(expected[0]);
    const next = await ok<{ messages: Array<{ id: number }> }>('search_messages', {
      peer,
      query: 'quinta',
      limit: 1,
      before_id: paged.next_before_id,
    });
    expect(next.messages.map((m) => m.id)).toEqual([expected[1]]);

    const global = await ok<{ messages: Array<{ peer: string }> }>('search_messages', { query: 'quinta' });
    const peers = new Set(global.messages.map((m) => m.peer));
    expect(peers.has(peer)).toBe(true);
    expect(peers.has(userPeer(1))).toBe(true); // "Sending you the quinta contact" in a private chat
  });

  it('get_chat_info describes a group and a user, titles and bios wrapped', async () => {
    const g = sandbox.control.chats()[0]!;
    const info = await ok<Structured>('get_chat_info', { peer: group() });
    expect(info).toMatchObject({ peer: group(), id: g.id, type: 'group', members_count: g.memberIds.length });
    expect(info.title).toMatch(tagged);
    expect(info.title).toContain(g.title);
    const u = users()[0]!;
    const person = await ok<Structured>('get_chat_info', { peer: `@${u.username}` });
    expect(person).toMatchObject({ peer: `user:${u.id}`, type: 'user', username: u.username, members_count: 2 });
    expect(person.title).toMatch(tagged);
    if (person.about !== null) expect(person.about).toMatch(tagged);
  });

  it('argument errors name the field and nothing runs', async () => {
    const cases: Array<[string, Structured, RegExp]> = [
      ['get_unread_messages', { limit: 500 }, /limit/],
      ['search_messages', { query: '' }, /query/],
      ['search_messages', { query: 'x', before_id: 5 }, /before_id/],
      ['get_chat_info', { peer: 'no such thing!' }, /peer/],
      ['prepare_get_media', { peer: group() }, /message_id/],
      ['get_media', { peer: group(), message_id: 1 }, /confirmation_id/],
      ['mark_read', { peer: group(), mode: 'now' }, /mode/],
      ['edit_message', { peer: group(), message_id: 1, text: '', mode: 'send' }, /text/],
      ['delete_messages', { peer: group(), message_ids: [], mode: 'send' }, /message_ids/],
      ['delete_messages', { peer: group(), message_ids: [1, 1], mode: 'send' }, /message_ids/],
      ['delete_messages', { peer: group(), message_ids: Array.from({ length: 101 }, (_, i) => i + 1), mode: 'send' }, /message_ids/],
      ['forward_messages', { from_peer: group(), message_ids: [1], mode: 'send' }, /to_peer/],
      ['set_reaction', { peer: group(), message_id: 1, mode: 'send' }, /emoji/],
      ['pin_message', { peer: group(), message_id: 0, mode: 'send' }, /message_id/],
      ['send_media', { peer: group(), media_type: 'photo', mode: 'send' }, /file_path/],
      ['send_media', { peer: group(), media_type: 'gif', file_base64: 'AAAA', mode: 'send' }, /media_type/],
      ['send_media', { peer: group(), media_type: 'photo', file_base64: 'AAAA', file_url: 'https://e.example/a', mode: 'send' }, /file_url/],
    ];
    const before = world([group()]);
    for (const [tool, args, field] of cases) {
      const r = await call(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
      expect(textOf(r)).toMatch(/invalid_arguments/);
      expect(textOf(r)).toMatch(field);
    }
    expect(world([group()])).toBe(before);
    expect(asked).toHaveLength(0);
  });
});

describe('writes: dry runs and denials change nothing', () => {
  it('every write tool in dry_run mode asks nobody, audits dry_run and changes nothing', async () => {
    const peer = group();
    const own = sandbox.control.history(peer).find((m) => m.out)!;
    const any = sandbox.control.history(peer).at(-1)!;
    const photo = randomBytes(64).toString('base64');
    const calls: Array<[string, Structured]> = [
      ['mark_read', { peer }],
      ['edit_message', { peer, message_id: own.id, text: 'dry edit' }],
      ['delete_messages', { peer, message_ids: [any.id], revoke: true }],
      ['forward_messages', { from_peer: peer, message_ids: [any.id], to_peer: userPeer(2) }],
      ['set_reaction', { peer, message_id: any.id, emoji: '👍' }],
      ['pin_message', { peer, message_id: any.id }],
      ['send_media', { peer, media_type: 'document', file_base64: photo, file_name: 'a.bin' }],
    ];
    const before = world([peer, userPeer(2)]);
    for (const [tool, args] of calls) {
      const r = await ok<Structured>(tool, { ...args, mode: 'dry_run' });
      expect(r, tool).toMatchObject({ sent: false, status: 'dry_run', mode: 'dry_run' });
      expect(r.dry_reason).toMatch(/nothing was changed/);
      expect(await lastAudit()).toMatchObject({ tool, phase: 'result', status: 'dry_run' });
    }
    expect(world([peer, userPeer(2)])).toBe(before);
    expect(asked).toHaveLength(0);
  });

  it('a denial is an answer with the person’s reason, and nothing changes', async () => {
    const peer = group();
    const own = sandbox.control.history(peer).find((m) => m.out)!;
    const any = sandbox.control.history(peer).at(-1)!;
    const calls: Array<[string, Structured]> = [
      ['mark_read', { peer }],
      ['edit_message', { peer, message_id: own.id, text: 'denied edit' }],
      ['delete_messages', { peer, message_ids: [any.id] }],
      ['forward_messages', { from_peer: peer, message_ids: [any.id], to_peer: userPeer(2) }],
      ['set_reaction', { peer, message_id: any.id, emoji: '👍' }],
      ['pin_message', { peer, message_id: any.id }],
      ['send_media', { peer, media_type: 'document', file_base64: 'AAAA', file_name: 'a.bin' }],
    ];
    answer = deny;
    const before = world([peer, userPeer(2)]);
    for (const [tool, args] of calls) {
      const r = await ok<Structured>(tool, { ...args, mode: 'send' });
      expect(r, tool).toMatchObject({ sent: false, status: 'denied' });
      expect(r.reason).toContain('not this one');
      expect(await lastAudit()).toMatchObject({ tool, phase: 'result', status: 'denied', decided_by: 'person' });
    }
    expect(asked.map((a) => a.tool)).toEqual(calls.map(([t]) => t));
    expect(world([peer, userPeer(2)])).toBe(before);
  });

  it('an approval whose description the person edited does nothing (only content can be edited)', async () => {
    const peer = group();
    const any = sandbox.control.history(peer).at(-1)!;
    answer = (p) => void host.approvals.approve(p.callId, { text: 'Pin something else' });
    const before = world([peer]);
    const r = await ok<Structured>('pin_message', { peer, message_id: any.id, mode: 'send' });
    expect(r).toMatchObject({ sent: false, status: 'denied', ok: false });
    expect(r.reason).toMatch(/cannot be edited/);
    expect(world([peer])).toBe(before);
  });
});

describe('writes: approved', () => {
  it('mark_read asks the person (read receipts) and then marks the chat read', async () => {
    const peer = userPeer(3);
    expect(sandbox.control.unreadCount(peer)).toBeGreaterThan(0);
    answer = approve;
    const r = await ok<Structured>('mark_read', { peer, mode: 'send' });
    expect(r).toMatchObject({ sent: true, status: 'sent', peer });
    expect(asked[0]!.view.effect).toMatch(/^Mark all messages in ‹.*› as read \(the senders will see that you read them\)$/);
    expect(sandbox.control.unreadCount(peer)).toBe(0);
    const tail = (await readAuditEntries(auditPath)).slice(-2);
    expect(tail.map((e) => [e.tool, e.phase, e.status, e.decided_by])).toEqual([
      ['mark_read', 'intent', 'ok', 'person'],
      ['mark_read', 'result', 'ok', 'person'],
    ]);
  });

  it('edit_message shows old and new text, then really edits; someone else’s message is refused up front', async () => {
    const peer = userPeer(1);
    const own = sandbox.control.history(peer).filter((m) => m.out).at(-1)!;
    const text = `Edited ${randomBytes(3).toString('hex')}`;
    answer = approve;
    const r = await ok<Structured>('edit_message', { peer, message_id: own.id, text, mode: 'send' });
    expect(r).toMatchObject({ sent: true, message_id: own.id, text });
    expect(asked[0]!.view.messages![0]!.preview).toContain(own.text.split('\n')[0]!.slice(0, 20));
    expect(asked[0]!.view.text).toEqual({ shown: text, format: 'plain', editable: true });
    const now = sandbox.control.history(peer).find((m) => m.id === own.id)!;
    expect(now.text).toBe(text);
    expect(now.editDate).toBeDefined();

    asked.length = 0;
    const theirs = sandbox.control.history(peer).find((m) => !m.out)!;
    const bad = await call('edit_message', { peer, message_id: theirs.id, text: 'x', mode: 'send' });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/message_id: .*someone else/);
    expect(asked).toHaveLength(0);
  });

  it('delete_messages says "for everyone" only with revoke, lists the ids, and deletes exactly those', async () => {
    const peer = userPeer(2);
    const from = users()[2]!.id;
    const ids = [1, 2, 3].map((i) => sandbox.control.injectIncomingMessage({ fromUserId: from, text: `to delete ${i}` }).id);
    answer = approve;
    const r = await ok<Structured>('delete_messages', { peer, message_ids: ids, revoke: true, mode: 'send' });
    expect(r).toMatchObject({ sent: true, revoke: true, message_ids: ids });
    expect(asked[0]!.view.effect).toMatch(/^Delete 3 messages for everyone in ‹/);
    expect(asked[0]!.view.messages!.map((m) => [m.id, m.preview])).toEqual(ids.map((id, i) => [id, `to delete ${i + 1}`]));
    expect(asked[0]!.view.flags.map((f) => f.code)).toContain('for_everyone');
    expect(asked[0]!.view.rule).toMatchObject({ allowed: false });
    expect(r.action).toBe(`Delete 3 messages for everyone: #${ids[0]}, #${ids[1]}, #${ids[2]} (in ${peer})`);
    const left = sandbox.control.history(peer).map((m) => m.id);
    for (const id of ids) expect(left).not.toContain(id);
    expect(sandbox.control.deletions().at(-1)).toMatchObject({ ids, revoke: true });

    asked.length = 0;
    const one = sandbox.control.injectIncomingMessage({ fromUserId: from, text: 'only mine' }).id;
    await ok('delete_messages', { peer, message_ids: [one], mode: 'send' });
    expect(asked[0]!.view.effect).toMatch(/^Delete 1 message for you only in ‹/);
    expect(asked[0]!.view.rule).toMatchObject({ allowed: true });
    expect(sandbox.control.deletions().at(-1)).toMatchObject({ ids: [one], revoke: false });
  });

  it('delete_messages refuses ids that belong to another chat before asking (MTProto deletes by bare id)', async () => {
    const otherChatMessage = sandbox.control.history(group()).at(-1)!;
    const before = world([group(), userPeer(2)]);
    const r = await call('delete_messages', {
      peer: userPeer(2),
      message_ids: [otherChatMessage.id],
      revoke: true,
      mode: 'send',
    });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/message_ids: #\d+ is not a message of this chat/);
    expect(asked).toHaveLength(0);
    expect(world([group(), userPeer(2)])).toBe(before);
  });

  it('forward_messages forwards to the destination and returns the new ids', async () => {
    const from = group();
    const to = userPeer(1);
    const picked = sandbox.control.history(from).slice(0, 2).map((m) => m.id);
    answer = approve;
    const r = await ok<{ sent: boolean; new_message_ids: number[]; peer: string }>('forward_messages', {
      from_peer: from,
      message_ids: picked,
      to_peer: to,
      mode: 'send',
    });
    expect(r).toMatchObject({ sent: true, peer: to });
    expect(asked[0]!.view.peer.ref).toBe(to);
    expect(asked[0]!.view.source!.ref).toBe(from);
    expect(asked[0]!.view.effect).toMatch(/^Forward 2 messages from ‹.+› to ‹.+›$/);
    expect(asked[0]!.rule).toEqual({ tool: 'forward_messages', peerRef: to, sourceRef: from });
    expect(r.new_message_ids).toHaveLength(2);
    const arrived = sandbox.control.history(to).filter((m) => r.new_message_ids.includes(m.id));
    expect(arrived.map((m) => m.text)).toEqual(
      picked.map((id) => sandbox.control.history(from).find((m) => m.id === id)!.text),
    );
    expect(arrived.every((m) => m.forwardedFrom !== undefined)).toBe(true);
  });

  it('set_reaction puts the person’s reaction on and takes it off', async () => {
    const peer = group();
    const target = sandbox.control.history(peer).at(-2)!;
    answer = approve;
    await ok('set_reaction', { peer, message_id: target.id, emoji: '👍', mode: 'send' });
    expect(asked[0]!.view.effect).toMatch(new RegExp(`^React 👍 to message #${target.id} in ‹`));
    expect(sandbox.control.reactions(peer, target.id)).toContainEqual(
      expect.objectContaining({ emoji: '👍', mine: true }),
    );
    await ok('set_reaction', { peer, message_id: target.id, emoji: null, mode: 'send' });
    expect(sandbox.control.reactions(peer, target.id).some((r) => r.mine)).toBe(false);
  });

  it('pin_message pins silently and unpins', async () => {
    const peer = group();
    const target = sandbox.control.history(peer).find((m) => !m.out)!;
    answer = approve;
    const pinned = await ok<Structured>('pin_message', { peer, message_id: target.id, mode: 'send' });
    expect(pinned).toMatchObject({ ok: true, sent: true, unpin: false });
    expect(sandbox.control.pinned(peer)).toContain(target.id);
    const info = await ok<Structured>('get_chat_info', { peer });
    expect(info.pinned_message_id).toBe(target.id);
    const unpinned = await ok<Structured>('pin_message', { peer, message_id: target.id, unpin: true, mode: 'send' });
    expect(unpinned).toMatchObject({ ok: true, unpin: true });
    expect(sandbox.control.pinned(peer)).not.toContain(target.id);
  });
});

describe('supergroups and channels', () => {
  it('get_chat_info tells a supergroup from a broadcast channel, with the description wrapped', async () => {
    const sg = supergroup();
    const info = await ok<Structured>('get_chat_info', { peer: `channel:${sg.id}` });
    expect(info).toMatchObject({ type: 'supergroup', members_count: sg.memberIds.length });
    expect(info.about).toMatch(tagged);
    const bc = broadcast();
    const chan = await ok<Structured>('get_chat_info', { peer: `@${bc.username}` });
    expect(chan).toMatchObject({ peer: `channel:${bc.id}`, type: 'channel', username: bc.username });
  });

  it('unread messages of a supergroup, then mark_read through channels.readHistory', async () => {
    const peer = `channel:${supergroup().id}`;
    const unread = sandbox.control.unreadCount(peer);
    expect(unread).toBeGreaterThan(0);
    const r = await ok<{ messages: Array<{ text: string }> }>('get_unread_messages', { peer });
    expect(r.messages).toHaveLength(unread);
    answer = approve;
    await ok('mark_read', { peer, mode: 'send' });
    expect(sandbox.control.unreadCount(peer)).toBe(0);
  });

  it('delete_messages in a supergroup needs revoke: true (Telegram deletes for everyone there)', async () => {
    const sg = supergroup();
    const peer = `channel:${sg.id}`;
    const { id } = sandbox.control.injectIncomingMessage({ fromUserId: sg.memberIds.find((m) => m !== sandbox.control.account().id)!, channelId: sg.id, text: 'oops' });
    const refused = await call('delete_messages', { peer, message_ids: [id], mode: 'send' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/revoke: in supergroups and channels/);
    expect(asked).toHaveLength(0);
    answer = approve;
    await ok('delete_messages', { peer, message_ids: [id], revoke: true, mode: 'send' });
    expect(asked[0]!.view.effect).toMatch(/^Delete 1 message for everyone in ‹/);
    expect(sandbox.control.history(peer).some((m) => m.id === id)).toBe(false);
  });
});

describe('send_media sources (refused before the person is asked)', () => {
  it('a symlink in the media folder that points into ~/.ssh is refused, naming file_path', async () => {
    const r = await call('send_media', { peer: userPeer(0), media_type: 'photo', file_path: 'beach.jpg', mode: 'send' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/invalid_arguments\] file_path: refused: .*"\.ssh"/);
    expect(asked).toHaveLength(0);
    expect(await lastAudit()).toMatchObject({ tool: 'send_media', phase: 'result', status: 'error', error: 'invalid_arguments' });
  });

  it('a `..` escape out of the media folder is refused', async () => {
    const r = await call('send_media', {
      peer: userPeer(0),
      media_type: 'document',
      file_path: '../audit.jsonl',
      mode: 'dry_run',
    });
    expect(textOf(r)).toMatch(/file_path: the file is outside the media folder/);
  });

  it('a file_url that redirects to the cloud metadata address is refused before connecting there', async () => {
    const r = await call('send_media', {
      peer: userPeer(0),
      media_type: 'document',
      file_url: `http://127.0.0.1:${filesPort}/redirect`,
      mode: 'send',
    });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/file_url: .*169\.254\.169\.254.*link-local/);
    expect(asked).toHaveLength(0);
  });

  it('a dry run reads a file from the media folder and reports what would be sent', async () => {
    const bytes = randomBytes(2048);
    await writeFile(join(mediaDir, 'chart.png'), bytes);
    const r = await ok<Structured>('send_media', {
      peer: userPeer(0),
      media_type: 'photo',
      file_path: 'chart.png',
      caption: 'Q3 chart',
      mode: 'dry_run',
    });
    expect(r).toMatchObject({ sent: false, status: 'dry_run', file_name: 'chart.png', mime_type: 'image/png', size: 2048 });
    expect(r.action).toBe(`Send photo "chart.png" (2.0 KiB, image/png) to ${userPeer(0)} with a caption`);
  });
});

describe('media round trips', () => {
  it('send_media base64: the person sees name, size and caption; Telegram holds the exact bytes', async () => {
    const peer = userPeer(0);
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(50_000)]);
    answer = approve;
    const r = await ok<Structured>('send_media', {
      peer,
      media_type: 'document',
      file_base64: bytes.toString('base64'),
      file_name: 'minutes.pdf',
      caption: 'Minutes from today',
      mode: 'send',
    });
    expect(r).toMatchObject({ sent: true, status: 'sent', file_name: 'minutes.pdf', size: bytes.length });
    expect(asked[0]!.view).toMatchObject({
      effect: `Send a document to ‹${users()[0]!.firstName} ${users()[0]!.lastName}›`,
      peer: { username: users()[0]!.username },
      media: { kind: 'document', fileName: 'minutes.pdf', bytes: bytes.length },
      text: { shown: 'Minutes from today', format: 'plain', editable: false },
    });
    const stored = sandbox.control.media(peer, r.message_id as number)!;
    expect(sha256(stored.bytes)).toBe(sha256(bytes));
    expect(stored).toMatchObject({ fileName: 'minutes.pdf', mimeType: 'application/pdf' });
    expect(sandbox.control.history(peer).find((m) => m.id === r.message_id)!.text).toBe('Minutes from today');
  });

  it('send_media from the media folder and from an allowed URL upload the exact bytes', async () => {
    const peer = userPeer(0);
    const png = PNG_1x1;
    await writeFile(join(mediaDir, 'pixel.png'), png);
    answer = approve;
    const fromFile = await ok<Structured>('send_media', { peer, media_type: 'photo', file_path: 'pixel.png', mode: 'send' });
    expect(sha256(sandbox.control.media(peer, fromFile.message_id as number)!.bytes)).toBe(sha256(png));
    const fromUrl = await ok<Structured>('send_media', {
      peer,
      media_type: 'document',
      file_url: `http://127.0.0.1:${filesPort}/report.pdf`,
      mode: 'send',
    });
    expect(fromUrl).toMatchObject({ file_name: 'report.pdf', mime_type: 'application/pdf', size: PDF_BYTES.length });
    expect(sha256(sandbox.control.media(peer, fromUrl.message_id as number)!.bytes)).toBe(sha256(PDF_BYTES));
  });

  it('prepare_get_media → get_media returns the exact bytes once; the confirmation is single use and bound', async () => {
    const peer = userPeer(3);
    const bytes = randomBytes(70_000);
    const { id } = sandbox.control.injectIncomingMessage({
      fromUserId: users()[3]!.id,
      text: 'the slides',
      media: { kind: 'document', bytes, fileName: 'slides\u202efdp.exe', mimeType: 'application/octet-stream' },
    });
    const prep = await ok<Structured>('prepare_get_media', { peer, message_id: id });
    expect(prep).toMatchObject({ media_type: 'document', size: bytes.length });
    expect(prep.file_name).toMatch(tagged);
    expect(prep.file_name).not.toContain('\u202e');
    expect(Date.parse(prep.expires_at as string) - Date.now()).toBeGreaterThan(9 * 60_000);

    const wrong = await call('get_media', { peer, message_id: id - 1, confirmation_id: prep.confirmation_id });
    expect(textOf(wrong)).toMatch(/confirmation_id: was issued for another chat or message/);
    const got = await ok<Structured>('get_media', { peer, message_id: id, confirmation_id: prep.confirmation_id });
    expect(sha256(Buffer.from(got.data as string, 'base64'))).toBe(sha256(bytes));
    expect(got).toMatchObject({ size: bytes.length, mime_type: 'application/octet-stream' });
    const again = await call('get_media', { peer, message_id: id, confirmation_id: prep.confirmation_id });
    expect(textOf(again)).toMatch(/confirmation_id: is unknown or was already used/);

    const text = await call('prepare_get_media', { peer, message_id: sandbox.control.history(peer)[0]!.id });
    expect(textOf(text)).toMatch(/message_id: message #\d+ has no file/);
  });

  it('a photo downloads byte for byte', async () => {
    const peer = userPeer(3);
    const { id } = sandbox.control.injectIncomingMessage({ fromUserId: users()[3]!.id, text: '', media: { kind: 'photo' } });
    const stored = sandbox.control.media(peer, id)!;
    const prep = await ok<Structured>('prepare_get_media', { peer, message_id: id });
    expect(prep).toMatchObject({ media_type: 'photo', size: stored.size, file_name: null });
    const got = await ok<Structured>('get_media', { peer, message_id: id, confirmation_id: prep.confirmation_id });
    expect(sha256(Buffer.from(got.data as string, 'base64'))).toBe(sha256(stored.bytes));
  });
});

describe('media kinds and sizes', () => {
  it('each media_type arrives as that kind of media, byte for byte', async () => {
    const peer = userPeer(4);
    answer = approve;
    const kinds: Array<[string, Buffer, string, { type: string; kind?: string }]> = [
      ['photo', PNG_1x1, 'dot.png', { type: 'photo' }],
      ['video', randomBytes(4096), 'clip.mp4', { type: 'document', kind: 'video' }],
      ['animation', randomBytes(4096), 'loop.mp4', { type: 'document', kind: 'animation' }],
      ['voice', randomBytes(4096), 'note.ogg', { type: 'document', kind: 'voice' }],
      ['document', randomBytes(4096), 'data.csv', { type: 'document', kind: 'file' }],
    ];
    for (const [media_type, bytes, file_name, expected] of kinds) {
      const r = await ok<Structured>('send_media', {
        peer,
        media_type,
        file_base64: bytes.toString('base64'),
        file_name,
        mode: 'send',
      });
      const stored = sandbox.control.media(peer, r.message_id as number)!;
      expect(stored, media_type).toMatchObject(expected);
      expect(sha256(stored.bytes), media_type).toBe(sha256(bytes));
    }
  });

  it('a 10.5 MiB file goes up in big-file parts and comes back identical', async () => {
    const peer = userPeer(4);
    const bytes = randomBytes(10.5 * 1024 * 1024); // over 10 MiB: upload.saveBigFilePart
    answer = approve;
    const sent = await ok<Structured>('send_media', {
      peer,
      media_type: 'document',
      file_base64: bytes.toString('base64'),
      file_name: 'backup.zip',
      mode: 'send',
    });
    expect(sha256(sandbox.control.media(peer, sent.message_id as number)!.bytes)).toBe(sha256(bytes));
    const prep = await ok<Structured>('prepare_get_media', { peer, message_id: sent.message_id });
    const got = await ok<Structured>('get_media', {
      peer,
      message_id: sent.message_id,
      confirmation_id: prep.confirmation_id,
    });
    expect(sha256(Buffer.from(got.data as string, 'base64'))).toBe(sha256(bytes));
  });

  it('fixture media in a broadcast channel downloads too', async () => {
    const peer = `channel:${broadcast().id}`;
    const withMedia = sandbox.control.history(peer).find((m) => m.media)!;
    const stored = sandbox.control.media(peer, withMedia.id)!;
    const prep = await ok<Structured>('prepare_get_media', { peer, message_id: withMedia.id });
    const got = await ok<Structured>('get_media', { peer, message_id: withMedia.id, confirmation_id: prep.confirmation_id });
    expect(sha256(Buffer.from(got.data as string, 'base64'))).toBe(sha256(stored.bytes));
  });
});

/** A 1×1 PNG, for when the fixture has no picture to reuse. */
const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

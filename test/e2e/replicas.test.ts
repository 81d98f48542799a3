/**
 * Issue 11 acceptance: two relay replica PROCESSES (`tg-relay serve --database-url … --redis-url …` from the
 * build) on one PostgreSQL and one Redis, both real servers on loopback. The device (the real bridge engine
 * against the MTProto sandbox) dials through a loopback TCP balancer that sends it to replica B while it is
 * alive; the MCP SDK client talks to replica A, or to A and B request by request (a load balancer without
 * sticky sessions), through its `fetch`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { nextApproval, outcomeOf } from '../helpers/approvalEvents.js';
import { personApproves } from '../helpers/clientConsent.js';
import { type PostgresServer, startPostgres } from '../helpers/postgresServer.js';
import { type RedisServer, startRedis } from '../helpers/redisServer.js';
import { type ReplicaProcess, startReplica, waitFor } from '../helpers/relayReplicas.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';
import { startTcpBalancer, type TcpBalancer } from '../helpers/tcpBalancer.js';

let pg: PostgresServer;
let redis: RedisServer;
let sandbox: Sandbox;
let a: ReplicaProcess;
let b: ReplicaProcess;
let balancer: TcpBalancer;
let host: BridgeHost;
let home: string;
const mcpToken = randomBytes(24).toString('base64url');
const bridgeToken = randomBytes(24).toString('base64url');
const idleMcpToken = randomBytes(24).toString('base64url');
const open: Client[] = [];

type Pick = (message: string) => ReplicaProcess;

/** An MCP SDK client whose every HTTP request goes to the replica `pick` chooses from the JSON-RPC body. */
async function mcpClient(pick: Pick, token = mcpToken): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const via: typeof fetch = (input, init) => {
    const target = new URL(pick(typeof init?.body === 'string' ? init.body : '').url);
    const url = new URL(input instanceof Request ? input.url : String(input));
    url.host = target.host;
    return fetch(url, init);
  };
  const client = new Client({ name: 'replica-ai', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(a.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: via,
  });
  await client.connect(transport);
  open.push(client);
  return { client, transport };
}

const onA: Pick = () => a;

/** Status of a raw `tools/list` POST in session `sessionId` on `replica` with `token`. */
async function listToolsStatus(replica: ReplicaProcess, token: string, sessionId: string): Promise<number> {
  const res = await fetch(replica.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Session-Id': sessionId,
      'Mcp-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await res.body?.cancel();
  return res.status;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
}

beforeAll(async () => {
  const started = await startPostgres();
  if (typeof started === 'string') throw new Error(`the relay replica tests need PostgreSQL: ${started}`);
  pg = started;
  redis = await startRedis();
  home = await mkdtemp(join(tmpdir(), 'tgb-replicas-'));
  const config = join(home, 'users.json');
  await writeFile(
    config,
    JSON.stringify({
      users: [
        { id: 'person', mcpToken, bridgeToken },
        { id: 'nobody-online', mcpToken: idleMcpToken, bridgeToken: randomBytes(24).toString('base64url') },
      ],
    }),
    { mode: 0o600 },
  );
  sandbox = await startSandbox();
  // Both at once, as a deployment starts them (the config import must not collide in PostgreSQL), with the
  // balancer's address as their one public URL.
  balancer = await startTcpBalancer([], 'first_alive');
  const replica = (id: string) =>
    startReplica({ id, configPath: config, databaseUrl: pg.url, redisUrl: redis.url, publicUrl: balancer.url });
  [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);
  balancer.backends.push(b.port, a.port);
  host = await startBridgeHost({
    clientConsent: personApproves(),
    relayUrl: balancer.url,
    bridgeToken,
    gateway: sandboxGateway(sandbox),
    auditPath: join(home, 'audit.jsonl'),
    approvalTimeoutMs: 60_000,
    undoMs: 0, // approvals here are answered by the test; the undo window has its own tests
    link: { backoff: { initialMs: 100, maxMs: 400 } },
  });
  await host.waitConnected();
  await waitFor('the device on replica B', async () => (await b.health()).devices === 1);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  await host?.stop();
  await balancer?.stop();
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await sandbox?.stop();
  await redis?.stop();
  await pg?.stop();
  if (home) await rm(home, { recursive: true, force: true });
}, 60_000);

describe('two relay replicas on one PostgreSQL and one Redis', () => {
  it('each replica reports its id, Redis and the database as healthy; only B holds the device', async () => {
    expect(await a.health()).toMatchObject({ ok: true, replica: 'replica-a', redis: 'ok', db: 'ok', devices: 0 });
    expect(await b.health()).toMatchObject({ ok: true, replica: 'replica-b', redis: 'ok', db: 'ok', devices: 1 });
  });

  it('the client on A lists dialogs and reads messages of the device on B', async () => {
    const { client } = await mcpClient(onA);
    const listed = await client.callTool({ name: 'list_dialogs', arguments: { limit: 50 } });
    expect(listed.isError).toBeFalsy();
    const peers = (listed.structuredContent as { dialogs: Array<{ peer: string }> }).dialogs.map((d) => d.peer);
    const group = sandbox.control.chats()[0]!;
    expect(peers).toContain(`chat:${group.id}`);

    const stored = sandbox.control.history(`chat:${group.id}`);
    const read = await client.callTool({ name: 'get_messages', arguments: { peer: `chat:${group.id}`, limit: 5 } });
    expect(read.isError).toBeFalsy();
    const ids = (read.structuredContent as { messages: Array<{ id: number }> }).messages.map((m) => m.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(stored.map((m) => m.id)).toContain(id);
  });

  it('a send from A waits for the approval on B: progress reaches the client, the message arrives once', async () => {
    const { client } = await mcpClient(onA);
    const friend = sandbox.control.users()[1]!;
    const text = `across replicas ${randomBytes(4).toString('hex')}`;
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'send_message', arguments: { peer: `user:${friend.id}`, text, mode: 'send' } },
      undefined,
      {
        // The person approves once the client heard that the device waits for them.
        onprogress: (p) => {
          progress.push(p.message ?? '');
          for (const pending of host.approvals.pending()) host.approvals.approve(pending.callId, { by: 'person' });
        },
      },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatch(/approv/i);
    const s = result.structuredContent as { sent: boolean; message_id: number };
    expect(s.sent).toBe(true);
    const arrived = sandbox.control.sentMessages().filter((m) => m.text === text);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]!.id).toBe(s.message_id);
  });

  it('a client cancel sent to B reaches the device of a call started via A; nothing is sent', async () => {
    // The call goes to A, the cancel notification to B, as a balancer without sticky sessions may do.
    const { client } = await mcpClient((body) => (body.includes('notifications/cancelled') ? b : a));
    const friend = sandbox.control.users()[1]!;
    const text = `cancelled across replicas ${randomBytes(4).toString('hex')}`;
    const controller = new AbortController();
    const shown = nextApproval(host.approvals);
    const call = client
      .callTool({ name: 'send_message', arguments: { peer: `user:${friend.id}`, text, mode: 'send' } }, undefined, {
        signal: controller.signal,
      })
      .then(
        () => 'answered',
        (err: Error) => err.message,
      );
    const approval = await shown;
    const decided = outcomeOf(host.approvals, approval.callId);
    controller.abort('the person changed their mind in the AI app');
    expect(await decided).toMatchObject({ status: 'cancelled' });
    expect(await call).toMatch(/changed their mind|abort/i);
    // The device no longer offers it, and approving late sends nothing.
    expect(host.approvals.pending().find((p) => p.callId === approval.callId)).toBeUndefined();
    expect(sandbox.control.sentMessages().filter((m) => m.text === text)).toHaveLength(0);
  });

  it('an MCP session initialized on A continues on B, and ends on both when deleted on B', async () => {
    const { client, transport } = await mcpClient((body) => (body.includes('"initialize"') ? a : b));
    const listed = await client.callTool({ name: 'list_dialogs', arguments: { limit: 5 } });
    expect(listed.isError).toBeFalsy();
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await transport.terminateSession(); // DELETE, sent to B
    // A no longer serves the session either.
    await waitFor('the session to end on A', async () => (await listToolsStatus(a, mcpToken, sessionId)) === 404);
  });

  it("another user's token cannot continue someone's session on the other replica", async () => {
    const { transport } = await mcpClient(onA);
    expect(await listToolsStatus(b, idleMcpToken, transport.sessionId!)).toBe(404);
    // The owner's token is served there.
    expect(await listToolsStatus(b, mcpToken, transport.sessionId!)).toBe(200);
  });

  it('a call for an offline device fails clearly from either replica', async () => {
    for (const replica of [a, b]) {
      const { client } = await mcpClient(() => replica, idleMcpToken);
      const result = await client.callTool({ name: 'list_dialogs', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^\[device_offline\] .*not connected/);
    }
  });

  it('after kill -9 of B the device redials to A and the next call works', async () => {
    const { client } = await mcpClient(onA);
    await b.kill9();
    await waitFor('the device on replica A', async () => (await a.health()).devices === 1, 30_000);
    expect(balancer.connections.get(a.port)).toBeGreaterThan(0);
    const listed = await client.callTool({ name: 'list_dialogs', arguments: { limit: 5 } });
    expect(listed.isError).toBeFalsy();
    expect((listed.structuredContent as { dialogs: unknown[] }).dialogs.length).toBeGreaterThan(0);
  }, 60_000);
});

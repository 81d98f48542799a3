/**
 * MCP sessions shared by relay replicas (issue 11): a client initializes on one replica and its next request
 * may reach any other, with no sticky sessions.
 *
 * The session record (`tgr:mcp-session:<id>`, expiring after SESSION_IDLE_MS without use) holds who owns the
 * session (user, OAuth client, device-consent name) and the params of its `initialize` request. A replica that
 * gets a request for a session it does not have locally looks the record up and, when the caller owns it,
 * adopts the session: it builds a local MCP server and SDK transport for the same session id and replays the
 * `initialize` through the SDK's own request handling ({@link replayInitialize}), so the server knows the
 * client's name, capabilities and protocol version exactly as the first replica did. The MCP spec lets a
 * server keep session state however it likes; what a client sees is one session.
 *
 * What stays per replica, on purpose: the device consent asked once per session for a token caller (an
 * adopting replica asks the device again, which answers at once when the person already approved the
 * caller), and the per-user session cap (MAX_SESSIONS_PER_USER applies per replica).
 *
 * What travels as broadcasts ({@link ReplicaBus}): `notifications/cancelled` (the cancel may land on another
 * replica than the POST running the call: every replica holding that session delivers it to its server, which
 * aborts the call, which cancels on the device), and the end of a session (DELETE or a revoked client) so
 * that no replica keeps serving it.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { KEY_PREFIX, type ReplicaBus } from './replicaBus.js';

/** Who owns a shared MCP session, and how it was initialized. */
export interface McpSessionRecord {
  userId: string;
  oauthClientId?: string;
  deviceConsentName?: string;
  /** `params` of the session's `initialize` request (protocol version, capabilities, client info). */
  initialize: Record<string, unknown>;
}

const McpSessionRecordSchema = z.strictObject({
  userId: z.string().min(1),
  oauthClientId: z.string().optional(),
  deviceConsentName: z.string().optional(),
  initialize: z.record(z.string(), z.unknown()),
});

/** What the MCP endpoint hears from other replicas about its sessions. */
export interface McpSessionEvents {
  /** The session ended elsewhere: drop the local copy (without telling the others again). */
  closed(sessionId: string): void;
  /** The client cancelled request `requestId` of the session on another replica. */
  cancelled(sessionId: string, requestId: string | number, reason: string | undefined): void;
}

/** Where MCP sessions are shared between replicas (see the module comment). */
export interface McpSessionDirectory {
  /** Records a new session; resolves before the client learns its id. @throws when the store fails. */
  record(sessionId: string, record: McpSessionRecord): Promise<void>;
  /** The record of a session, or undefined (unknown, expired, or unreadable). @throws when the store fails. */
  find(sessionId: string): Promise<McpSessionRecord | undefined>;
  /** Extends a session's lifetime (it is in use). Failures are ignored. */
  touch(sessionId: string): void;
  /** Ends a session everywhere. */
  closed(sessionId: string): void;
  /** Tells the replicas holding the session that the client cancelled `requestId`. */
  cancelled(sessionId: string, requestId: string | number, reason: string | undefined): void;
  /** Sets who hears what other replicas report. */
  listen(events: McpSessionEvents): void;
}

const sessionKey = (id: string) => `${KEY_PREFIX}mcp-session:${id}`;

/** {@link McpSessionDirectory} in Redis, with broadcasts on the {@link ReplicaBus}. */
export class RedisSessionDirectory implements McpSessionDirectory {
  private events: McpSessionEvents | undefined;

  /** @param idleMs a session's lifetime after its last use, in ms (the endpoint's SESSION_IDLE_MS). */
  constructor(
    private readonly redis: Redis,
    private readonly bus: ReplicaBus,
    private readonly idleMs: number,
  ) {}

  async record(sessionId: string, record: McpSessionRecord): Promise<void> {
    await this.redis.set(sessionKey(sessionId), JSON.stringify(record), 'PX', this.idleMs);
  }

  async find(sessionId: string): Promise<McpSessionRecord | undefined> {
    const text = await this.redis.get(sessionKey(sessionId));
    if (text === null) return undefined;
    try {
      const parsed = McpSessionRecordSchema.safeParse(JSON.parse(text));
      return parsed.success ? (parsed.data as McpSessionRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  touch(sessionId: string): void {
    this.redis.pexpire(sessionKey(sessionId), this.idleMs).catch(() => undefined);
  }

  closed(sessionId: string): void {
    this.redis.del(sessionKey(sessionId)).catch(() => undefined);
    this.bus.broadcast({ kind: 'session_closed', sessionId });
  }

  cancelled(sessionId: string, requestId: string | number, reason: string | undefined): void {
    this.bus.broadcast({ kind: 'session_cancel', sessionId, requestId, ...(reason !== undefined ? { reason: reason.slice(0, 1_000) } : {}) });
  }

  listen(events: McpSessionEvents): void {
    this.events = events;
  }

  /** Delivers a session broadcast from another replica to the endpoint. */
  onBroadcast(message: { kind: 'session_closed'; sessionId: string } | { kind: 'session_cancel'; sessionId: string; requestId: string | number; reason?: string | undefined }): void {
    if (message.kind === 'session_closed') this.events?.closed(message.sessionId);
    else this.events?.cancelled(message.sessionId, message.requestId, message.reason);
  }
}

/**
 * Makes a fresh SDK transport (created with `sessionIdGenerator: () => sessionId`, its server already
 * connected) the session `sessionId`: runs the recorded `initialize` through the transport's own request
 * handling, with an in-process request and response nobody reads. Afterwards the transport accepts the
 * session's requests and the server knows the client as the first replica did.
 * @throws Error when the SDK did not take the replay (its answer is not 200 or the session id differs).
 */
export async function replayInitialize(
  transport: StreamableHTTPServerTransport,
  sessionId: string,
  initialize: Record<string, unknown>,
): Promise<void> {
  const req = new IncomingMessage(new Socket());
  req.method = 'POST';
  req.url = '/mcp';
  req.headers = { host: 'relay.invalid', 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  req.rawHeaders = Object.entries(req.headers).flatMap(([k, v]) => [k, String(v)]);
  req.push(null);
  const res = new ServerResponse(req);
  const sink = new PassThrough();
  sink.resume();
  res.assignSocket(sink as unknown as Socket);
  const finished = new Promise<void>((resolve) => res.once('finish', () => resolve()));
  await transport.handleRequest(req, res, { jsonrpc: '2.0', id: 'replica-adopt', method: 'initialize', params: initialize });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
  clearTimeout(timer);
  if (res.statusCode !== 200 || transport.sessionId !== sessionId) {
    throw new Error(`the MCP SDK refused to adopt session (HTTP ${res.statusCode})`);
  }
}

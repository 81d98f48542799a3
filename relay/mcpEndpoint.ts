/**
 * The MCP endpoint (`POST/GET/DELETE /mcp`, MCP Streamable HTTP via the SDK's
 * `StreamableHTTPServerTransport`). It serves the tools of `bridge/protocol` and forwards every valid
 * `tools/call` to the user's device through the {@link DeviceHub}.
 *
 * Sessions are stateful (an `Mcp-Session-Id` per `initialize`) so that an MCP client's
 * `notifications/cancelled` reaches the same server instance that runs the call, and becomes a `cancel`
 * frame for the device. Each session belongs to the user whose mcp token opened it; another user's token
 * cannot use it, nor can another OAuth client of the same user. A POST that runs a tool with a
 * `progressToken` answers as an SSE stream, so `notifications/progress` flow while the device waits for the
 * person; one without a progress token gets a plain JSON body ({@link JsonCallTransport}: the same answer, a
 * fraction of the relay's work).
 *
 * A call is withdrawn (the device gets `cancel`) when its MCP client goes away without cancelling (issue 8
 * §7): the HTTP response that would carry its result closes before the result is written (then
 * {@link JsonCallTransport} delivers a `notifications/cancelled` for it, as if the client had sent one), or the
 * session ends (DELETE, idle sweep, eviction). Nobody could receive the result any more, and an AI that retries must
 * not have its first write sent later.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from 'pino';
import { MAX_FRAME_BYTES, TOOLS, type ToolContract, ToolErrorCode, toolErrorText } from '../bridge/protocol/index.js';
import { createToolServer, type ToolServer } from '../bridge/protocol/node/mcpTools.js';
import type { CallRouter } from './callRouter.js';
import type { CallOutcome } from './deviceHub.js';
import type { RelayAuthExtra } from './oauth/tokenVerifier.js';
import { JsonCallTransport, readJsonBody } from './jsonCallTransport.js';
import { type McpSessionDirectory, replayInitialize } from './replicas/sharedSessions.js';
import { RELAY_VERSION } from './version.js';

/** A session unused for this long is closed; its client gets 404 and initializes again, in ms. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** Sessions one user may hold at once; opening one more closes that user's least recently used. */
export const MAX_SESSIONS_PER_USER = 32;
/** While a call waits for the person, progress notifications repeat at least this often, in ms (issue 10). */
export const PROGRESS_HEARTBEAT_MS = 10_000;
/** How often idle sessions are looked for, in ms. */
const SESSION_SWEEP_MS = 60_000;
/** A shared session's lifetime is extended at most this often per replica, in ms. */
const SESSION_TOUCH_MS = 60_000;

/** The params of a body that is one JSON-RPC `initialize` request, else undefined. */
function initializeParams(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const m = body as { method?: unknown; params?: unknown };
  if (m.method !== 'initialize' || typeof m.params !== 'object' || m.params === null || Array.isArray(m.params)) return undefined;
  return m.params as Record<string, unknown>;
}

/** Who is calling `/mcp`: the user, and the client the device's scopes key on (see RelayAuthExtra). */
export interface McpCaller {
  userId: string;
  oauthClientId?: string;
  /**
   * Set for a personal access or config token: before the session's first call, the device is asked about
   * this caller under this name (the device answers at once when the person already approved it).
   */
  deviceConsentName?: string;
}

/** The `/mcp` caller a verified token names (its {@link RelayAuthExtra}). */
export function callerOf(extra: RelayAuthExtra): McpCaller {
  return {
    userId: extra.userId,
    oauthClientId: extra.oauthClientId,
    ...(extra.deviceConsentName ? { deviceConsentName: extra.deviceConsentName } : {}),
  };
}

/** How a session asks the device about a token caller: the relay as the person knows it, and the wait in ms. */
export interface DeviceConsentSettings {
  relay: string;
  timeoutMs: number;
}

/**
 * Builds the MCP server for one session of user `userId`: the shared tool server (bridge/protocol/mcpTools)
 * whose calls go to that user's device through the {@link DeviceHub} (deadlines, cancellation, failures).
 */
export function createRelayToolServer(
  caller: McpCaller,
  router: CallRouter,
  logger: Logger,
  progressHeartbeatMs: number = PROGRESS_HEARTBEAT_MS,
  consent: DeviceConsentSettings = { relay: 'tg-relay', timeoutMs: 120_000 },
): ToolServer {
  // One device consent per session for a token caller; a refusal is asked again on the next call.
  let consented: Promise<CallOutcome | null> | undefined;
  const deviceConsent = (): Promise<CallOutcome | null> => {
    const name = caller.deviceConsentName;
    if (name === undefined || caller.oauthClientId === undefined) return Promise.resolve(null);
    consented ??= router
      .askClientConsent(caller.userId, { clientId: caller.oauthClientId, clientName: name, relay: consent.relay }, consent.timeoutMs)
      .then((outcome): CallOutcome | null => {
        if (outcome.approved) return null;
        consented = undefined;
        // Offline: the call itself then fails with the hub's usual device_offline answer.
        if (outcome.offline) return null;
        return {
          ok: false,
          error: toolErrorText(ToolErrorCode.notPermitted, `The person did not allow "${name}" on their device: ${outcome.reason}`),
        };
      });
    return consented;
  };
  return createToolServer({
    name: 'tg-relay',
    version: RELAY_VERSION,
    call: (name, args, { signal, onProgress, client }) => {
      const tool: ToolContract = TOOLS[name];
      // While the device waits for the person, repeat its last progress so the client hears from us at least
      // every `progressHeartbeatMs` (issue 10: every 10 s) and does not time the call out.
      let heartbeat: NodeJS.Timeout | undefined;
      const relayProgress = (message: string) => {
        onProgress(message);
        clearInterval(heartbeat);
        heartbeat = setInterval(() => onProgress(message), progressHeartbeatMs);
      };
      return deviceConsent()
        .then(
          (refused) =>
            refused ??
            router.call(caller.userId, name, args, {
              ...(tool.deadlineMs !== undefined ? { deadlineMs: tool.deadlineMs } : {}),
              signal,
              onProgress: relayProgress,
              ...(client ? { client } : {}),
              ...(caller.oauthClientId ? { oauthClient: caller.oauthClientId } : {}),
            }),
        )
        .finally(() => clearInterval(heartbeat));
    },
    onError: (message) => logger.debug({ err: message }, 'MCP server error'),
  });
}

interface McpSession {
  id: string;
  userId: string;
  oauthClientId: string | undefined;
  server: ToolServer['server'];
  transport: StreamableHTTPServerTransport;
  /** What `server` is connected to: JSON answers for progress-less tools/call, `transport` for the rest. */
  calls: JsonCallTransport;
  lastUsed: number;
  /** When this replica last extended the shared record's lifetime (ms since the epoch). */
  touchedAt: number;
}

/** Options of {@link McpEndpoint}. */
export interface McpEndpointOptions {
  router: CallRouter;
  /** Progress repeat interval while a call waits, in ms; default PROGRESS_HEARTBEAT_MS. */
  progressHeartbeatMs?: number;
  /** How a session asks the device about a personal access or config token caller. */
  deviceConsent?: DeviceConsentSettings;
  /** Shares sessions with other relay replicas (replicas/sharedSessions.ts); default this process only. */
  directory?: McpSessionDirectory;
  logger: Logger;
}

/** All MCP sessions of all users, and the request handling of `/mcp` after authentication. */
export class McpEndpoint {
  private readonly sessions = new Map<string, McpSession>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  /** Adoptions of sessions from other replicas under way, by session id (two requests adopt once). */
  private readonly adopting = new Map<string, Promise<McpSession | undefined>>();

  constructor(private readonly options: McpEndpointOptions) {
    this.sweepTimer = setInterval(() => this.sweep(), SESSION_SWEEP_MS);
    this.sweepTimer.unref();
    options.directory?.listen({
      closed: (id) => this.dropSession(id),
      cancelled: (id, requestId, reason) =>
        this.sessions.get(id)?.calls.deliver({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId, ...(reason !== undefined ? { reason } : {}) },
        }),
    });
  }

  /**
   * Handles one authenticated `/mcp` request of user `userId` (any method; the SDK transport answers
   * 405/406/415 itself). A request naming an unknown session, or a session of another user, gets 404 with a
   * JSON-RPC error, which tells MCP clients to initialize again. Bodies are capped at MAX_FRAME_BYTES.
   */
  async handle(req: IncomingMessage, res: ServerResponse, caller: McpCaller): Promise<void> {
    const { userId } = caller;
    if (this.closed) {
      writeJsonRpcError(res, 503, -32000, 'The relay is shutting down.');
      return;
    }
    const header = req.headers['mcp-session-id'];
    if (header !== undefined) {
      const session = typeof header === 'string' ? (this.sessions.get(header) ?? (await this.adopt(header, caller))) : undefined;
      if (session === undefined || session.userId !== userId || session.oauthClientId !== caller.oauthClientId) {
        writeJsonRpcError(res, 404, -32001, 'Session not found; initialize a new session.');
        return;
      }
      session.lastUsed = Date.now();
      if (this.options.directory && session.lastUsed - session.touchedAt > SESSION_TOUCH_MS) {
        session.touchedAt = session.lastUsed;
        this.options.directory.touch(session.id);
      }
      await (req.method === 'POST'
        ? session.calls.handlePost(req, res, MAX_FRAME_BYTES)
        : session.transport.handleRequest(req, res));
      // A DELETE ends the session on every replica, not only here.
      if (req.method === 'DELETE' && !this.sessions.has(session.id)) this.options.directory?.closed(session.id);
      return;
    }
    // No session yet: a fresh transport accepts only `initialize` and answers anything else with 400.
    let body: unknown;
    if (this.options.directory && req.method === 'POST') {
      // Read here so the initialize params can be shared before the client learns the session id.
      const read = await readJsonBody(req, res, MAX_FRAME_BYTES);
      if (!read.ok) return;
      body = read.body;
    }
    const session = this.openSession(caller, undefined, initializeParams(body));
    await session.server.connect(session.calls);
    this.shareCancels(session);
    await session.transport.handleRequest(req, res, body);
    if (session.transport.sessionId === undefined) await session.server.close();
  }

  /** Closes every session of a user's OAuth client (its access was revoked). @returns how many. */
  closeClientSessions(userId: string, oauthClientId: string): number {
    let closed = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.userId === userId && session.oauthClientId === oauthClientId) {
        this.dropSession(session.id);
        this.options.directory?.closed(session.id);
        closed += 1;
      }
    }
    return closed;
  }

  /** Number of open MCP sessions (for tests and health output). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Closes every session (ending open SSE streams) and stops the idle sweep. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((s) => s.server.close()));
  }

  /**
   * A new session for `caller`. @param adoptedId the id of a session another replica opened (adoption);
   * @param initialize the params of the `initialize` to share with other replicas (new sessions only).
   */
  private openSession(caller: McpCaller, adoptedId?: string, initialize?: Record<string, unknown>): McpSession {
    const { router, logger, directory } = this.options;
    const userId = caller.userId;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => adoptedId ?? randomUUID(),
      maxRequestBodySize: MAX_FRAME_BYTES,
      onsessioninitialized: async (id) => {
        session.id = id;
        this.evictOldest(userId);
        this.sessions.set(id, session);
        logger.debug({ userId, sessions: this.sessions.size, adopted: adoptedId !== undefined }, 'MCP session opened');
        if (directory && adoptedId === undefined && initialize) {
          // Without Redis the session still works on this replica; other replicas answer 404 and the client
          // initializes again there (the spec's answer to an unknown session).
          await directory
            .record(id, {
              userId,
              initialize,
              ...(caller.oauthClientId !== undefined ? { oauthClientId: caller.oauthClientId } : {}),
              ...(caller.deviceConsentName !== undefined ? { deviceConsentName: caller.deviceConsentName } : {}),
            })
            .catch((err: Error) => logger.warn({ err: err.message }, 'MCP session not shared with other replicas'));
        }
      },
    });
    const tools = createRelayToolServer(caller, router, logger, this.options.progressHeartbeatMs, this.options.deviceConsent);
    const session: McpSession = {
      id: '',
      userId,
      oauthClientId: caller.oauthClientId,
      server: tools.server,
      transport,
      calls: new JsonCallTransport(transport, tools.callTool),
      lastUsed: Date.now(),
      touchedAt: Date.now(),
    };
    session.server.onclose = () => {
      if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    };
    return session;
  }

  /**
   * Adopts session `id` that another replica opened, when the shared record says `caller` owns it.
   * @returns the local session, or undefined (no directory, unknown or expired id, another owner).
   */
  private adopt(id: string, caller: McpCaller): Promise<McpSession | undefined> {
    const { directory, logger } = this.options;
    if (!directory || this.closed) return Promise.resolve(undefined);
    let adoption = this.adopting.get(id);
    if (adoption === undefined) {
      adoption = (async () => {
        const record = await directory.find(id).catch((err: Error) => {
          logger.warn({ err: err.message }, 'MCP session lookup failed');
          return undefined;
        });
        if (!record || record.userId !== caller.userId || record.oauthClientId !== caller.oauthClientId) return undefined;
        const owner: McpCaller = {
          userId: record.userId,
          ...(record.oauthClientId !== undefined ? { oauthClientId: record.oauthClientId } : {}),
          ...(record.deviceConsentName !== undefined ? { deviceConsentName: record.deviceConsentName } : {}),
        };
        const session = this.openSession(owner, id);
        await session.server.connect(session.calls);
        this.shareCancels(session);
        try {
          await replayInitialize(session.transport, id, record.initialize);
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'MCP session adoption failed');
          this.dropSession(id);
          await session.server.close();
          return undefined;
        }
        return session;
      })().finally(() => this.adopting.delete(id));
      this.adopting.set(id, adoption);
    }
    return adoption;
  }

  /** Shares the client's `notifications/cancelled` with the other replicas holding the session. */
  private shareCancels(session: McpSession): void {
    const directory = this.options.directory;
    if (!directory) return;
    session.calls.onClientCancel = (requestId, reason) => {
      if (session.id) directory.cancelled(session.id, requestId, reason);
    };
  }

  /** Forgets and closes a local session (its record, if shared, is untouched). */
  private dropSession(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    void session.server.close();
  }

  /** Keeps a user below MAX_SESSIONS_PER_USER by closing their least recently used session. */
  private evictOldest(userId: string): void {
    const own = [...this.sessions.values()].filter((s) => s.userId === userId);
    if (own.length < MAX_SESSIONS_PER_USER) return;
    const oldest = own.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
    this.sessions.delete(oldest.id);
    void oldest.server.close();
  }

  private sweep(): void {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const session of [...this.sessions.values()]) {
      if (session.lastUsed < cutoff) {
        this.sessions.delete(session.id);
        void session.server.close();
      }
    }
  }
}

/** Writes a JSON-RPC error response with HTTP `status` (no id: it answers the HTTP request, not a message). */
export function writeJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

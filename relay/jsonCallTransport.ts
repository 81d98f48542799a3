/**
 * The cheap path for the relay's hottest request: a `tools/call` that asked for no progress, answered as one
 * JSON body instead of an SSE stream (issue 12).
 *
 * MCP Streamable HTTP lets the server answer a POSTed request with either `application/json` or an SSE stream
 * (the client must accept both; spec 2025-03-26+ "Sending Messages to the Server"). The SDK's
 * `StreamableHTTPServerTransport` picks one mode per transport and, for every request, converts Node's
 * request and response to Web-standard objects and back, opens a stream and validates the message with zod
 * again. Progress notifications during an approval need SSE, but the server only sends them when the request
 * carried `_meta.progressToken`; without one, nothing but the final response can ever belong to that request,
 * so a JSON body is exactly equivalent and costs far less.
 *
 * {@link JsonCallTransport} is the one transport the session's MCP `Server` is connected to. It owns the SDK
 * transport (initialize, GET streams, DELETE, notifications such as `notifications/cancelled`, and every
 * request it does not take itself go there unchanged, with the same validations and errors) and takes a POST
 * only when all of these hold; anything else falls through to the SDK:
 * - `Content-Type: application/json`, `Accept` listing both `application/json` and `text/event-stream`, and an
 *   `Mcp-Protocol-Version` header the SDK supports (the same checks the SDK applies);
 * - the body is one JSON-RPC request (not a batch), method `tools/call`, id a string or number not already in
 *   flight, `params` an object without `_meta.progressToken`.
 * - `params` passes `CallToolRequestSchema` and asks for no task (`params.task`: this server offers none, and
 *   the SDK answers such a request with its error).
 * Such a request runs the server's own `tools/call` handler directly ({@link DirectToolCall}): the same
 * argument checks, results and errors, and the same cancellation by `notifications/cancelled` (matched here,
 * by request id), without the SDK's generic dispatch, which re-validates every message against each JSON-RPC
 * shape and the handler's result against `CallToolResultSchema` (our results are built to that schema). A
 * handler that throws is answered with a JSON-RPC error as the SDK would (its `code` when it has one, else
 * -32603). A cancelled request gets no answer, as with the SDK.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { DirectToolCall } from '../bridge/protocol/node/mcpTools.js';
import { MCP_CLIENT_GONE_REASON } from './deviceHub.js';
import { writeJsonRpcError } from './mcpEndpoint.js';

/** A JSON-RPC message as parsed from a body, before any schema. */
type Loose = Record<string, unknown>;

/** The session's transport: JSON answers for progress-less `tools/call`, the SDK transport for the rest. */
export class JsonCallTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  /**
   * Called with each `notifications/cancelled` the client sent to this replica (`reason` as sent), so that
   * other replicas holding the session can cancel too; cancels they share come back through {@link deliver}.
   */
  onClientCancel?: (requestId: RequestId, reason: string | undefined) => void;
  /** Requests running on the direct path, by id: how to abort them, and the response they answer on. */
  private readonly direct = new Map<RequestId, { controller: AbortController; res: ServerResponse }>();

  /**
   * @param sdk the session's SDK transport (everything not taken here goes there).
   * @param callTool the server's `tools/call` handler, run directly for progress-less calls.
   */
  constructor(
    private readonly sdk: StreamableHTTPServerTransport,
    private readonly callTool: DirectToolCall,
  ) {}

  get sessionId(): string | undefined {
    return this.sdk.sessionId;
  }

  async start(): Promise<void> {
    this.sdk.onmessage = (message, extra) => this.receive(message, extra, true);
    this.sdk.onerror = (error) => this.onerror?.(error);
    this.sdk.onclose = () => {
      this.abortDirect(); // as the server aborts its own handlers when the transport closes
      this.onclose?.();
    };
    await this.sdk.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    await this.sdk.send(message, options);
  }

  async close(): Promise<void> {
    this.abortDirect();
    await this.sdk.close();
  }

  /**
   * Aborts every call running on the direct path (the session ended). Their responses, still open, get 404
   * with a JSON-RPC error, what the spec has a client hear for a session that no longer exists.
   */
  private abortDirect(): void {
    const running = [...this.direct.values()];
    this.direct.clear();
    for (const { controller, res } of running) {
      controller.abort();
      if (!res.headersSent && !res.destroyed) writeJsonRpcError(res, 404, -32001, 'The MCP session ended; initialize a new session.');
    }
  }

  /** Hands the server a message another replica shared (a cancel), as if the client had sent it here. */
  deliver(message: JSONRPCMessage): void {
    this.receive(message, undefined, false);
  }

  /**
   * Handles one POST of this session (already authenticated and matched to it). Runs it directly when it is a
   * progress-less `tools/call` (see the module docs) and answers 200 with the JSON-RPC response; otherwise
   * hands it to the SDK transport, with the body already read. Either way, when the response closes before it
   * was completely written (the client went away), every request the body carried is cancelled as if the
   * client had sent `notifications/cancelled` with reason {@link MCP_CLIENT_GONE_REASON} (issue 8 §7): the
   * call's signal aborts, the device gets `cancel`, and nothing is answered.
   * @param maxBodyBytes body cap; a larger body is answered 413 as the SDK would.
   */
  async handlePost(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<void> {
    if (!sdkReadsBody(req)) {
      await this.sdk.handleRequest(req, res); // the SDK answers 406 or 415 without reading the body
      return;
    }
    const read = await readJsonBody(req, res, maxBodyBytes);
    if (!read.ok) return;
    const parsed = read.body;
    const id = versionFits(req) ? progresslessToolCallId(parsed) : undefined;
    const request = id === undefined || this.direct.has(id) ? undefined : CallToolRequestSchema.safeParse(parsed);
    if (id === undefined || !request?.success) {
      const ids = requestIds(parsed);
      if (ids.length > 0) {
        res.once('close', () => {
          if (!res.writableFinished) for (const gone of ids) this.receive(clientGone(gone), undefined, false);
        });
      }
      await this.sdk.handleRequest(req, res, parsed);
      return;
    }
    const controller = new AbortController();
    this.direct.set(id, { controller, res });
    res.once('close', () => {
      if (this.direct.get(id)?.controller === controller) this.receive(clientGone(id), undefined, false);
    });
    let response: JSONRPCMessage;
    try {
      response = { jsonrpc: '2.0', id, result: await this.callTool(request.data, controller.signal) };
    } catch (err) {
      const { code, message, data } = err as { code?: unknown; message?: unknown; data?: unknown };
      response = {
        jsonrpc: '2.0',
        id,
        error: {
          code: Number.isSafeInteger(code) ? (code as number) : ErrorCode.InternalError,
          message: typeof message === 'string' ? message : 'Internal error',
          ...(data !== undefined ? { data } : {}),
        },
      };
    }
    if (this.direct.get(id)?.controller === controller) this.direct.delete(id);
    if (controller.signal.aborted || res.headersSent || res.destroyed) return; // cancelled: no answer, as the SDK does
    const text = JSON.stringify(response);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    };
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    res.writeHead(200, headers);
    res.end(text);
  }

  /**
   * One incoming message for the server. A `notifications/cancelled` also aborts the direct call it names, and
   * when it came from this replica's client (`fromClient`) it is shared through {@link onClientCancel}.
   */
  private receive(message: JSONRPCMessage, extra: MessageExtraInfo | undefined, fromClient: boolean): void {
    if ('method' in message && message.method === 'notifications/cancelled' && !('id' in message)) {
      const params = message.params as { requestId?: unknown; reason?: unknown } | undefined;
      const requestId = params?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') {
        const reason = typeof params?.reason === 'string' ? params.reason : undefined;
        const running = this.direct.get(requestId);
        if (running) {
          this.direct.delete(requestId);
          running.controller.abort(reason);
        }
        if (fromClient) this.onClientCancel?.(requestId, reason);
      }
    }
    this.onmessage?.(message, extra);
  }
}

/** The `notifications/cancelled` the relay delivers for request `id` when its client went away. */
function clientGone(id: RequestId): JSONRPCMessage {
  return { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: MCP_CLIENT_GONE_REASON } };
}

/**
 * Whether the SDK transport would read this POST's body: it accepts both `application/json` and
 * `text/event-stream` and sends `Content-Type: application/json` (otherwise the SDK answers 406 / 415).
 */
function sdkReadsBody(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return accept.includes('application/json') && accept.includes('text/event-stream') && type === 'application/json';
}

/** Whether the POST names an `Mcp-Protocol-Version` the SDK supports (the JSON path requires one). */
function versionFits(req: IncomingMessage): boolean {
  const version = req.headers['mcp-protocol-version'];
  return typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

/** Ids of the JSON-RPC requests (not notifications or responses) in a parsed body, single or batch. */
function requestIds(body: unknown): RequestId[] {
  const ids: RequestId[] = [];
  for (const m of Array.isArray(body) ? body : [body]) {
    if (typeof m !== 'object' || m === null) continue;
    const { id, method } = m as Loose;
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) ids.push(id);
  }
  return ids;
}

/** The id of a single JSON-RPC `tools/call` request without a progress token, else undefined. */
function progresslessToolCallId(msg: unknown): RequestId | undefined {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return undefined;
  const m = msg as Loose;
  if (m.jsonrpc !== '2.0' || m.method !== 'tools/call') return undefined;
  if (typeof m.id !== 'string' && !(typeof m.id === 'number' && Number.isInteger(m.id))) return undefined;
  const params = m.params;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const meta = (params as Loose)._meta;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || 'progressToken' in meta)) return undefined;
  if ('task' in params) return undefined;
  return m.id;
}

/**
 * Reads and parses a JSON request body, answering as the SDK transport would when it cannot: 413 with a JSON-RPC
 * error past `max` bytes, 400 with a parse error for a body that is not JSON.
 * @returns the parsed body, or `ok: false` once the error was answered.
 */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  max: number,
): Promise<{ ok: true; body: unknown } | { ok: false }> {
  const text = await readBody(req, max);
  if (text === 'too large') {
    writeJsonRpcError(res, 413, -32000, `Payload Too Large: request body exceeds ${max} bytes`);
    return { ok: false };
  }
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    writeJsonRpcError(res, 400, -32700, 'Parse error: Invalid JSON');
    return { ok: false };
  }
}

/** Reads a request body as UTF-8, or 'too large' past `max` bytes (then stops reading). */
function readBody(req: IncomingMessage, max: number): Promise<string | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

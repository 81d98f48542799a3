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
 * The `Server` still validates the request (CallToolRequestSchema) and runs it exactly as before: same handler,
 * same cancellation by `notifications/cancelled`, same errors. Notifications the server relates to such a
 * request are dropped, as the SDK does in JSON mode (none are sent without a progress token).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { MCP_CLIENT_GONE_REASON } from './deviceHub.js';
import { writeJsonRpcError } from './mcpEndpoint.js';

/** What {@link JsonCallTransport.handlePost} did with a request. */
export type PostOutcome = 'answered' | { fallThrough: unknown };

/** A JSON-RPC message as parsed from a body, before any schema. */
type Loose = Record<string, unknown>;

/** The session's transport: JSON answers for progress-less `tools/call`, the SDK transport for the rest. */
export class JsonCallTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  /** Requests taken by the JSON path, by id: how to deliver their response. */
  private readonly waiting = new Map<RequestId, (response: JSONRPCMessage) => void>();

  constructor(private readonly sdk: StreamableHTTPServerTransport) {}

  get sessionId(): string | undefined {
    return this.sdk.sessionId;
  }

  async start(): Promise<void> {
    this.sdk.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.sdk.onerror = (error) => this.onerror?.(error);
    this.sdk.onclose = () => this.onclose?.();
    await this.sdk.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isResponse = 'id' in message && ('result' in message || 'error' in message);
    const id = isResponse ? (message as { id: RequestId }).id : options?.relatedRequestId;
    const deliver = id === undefined ? undefined : this.waiting.get(id);
    if (deliver) {
      if (isResponse) {
        this.waiting.delete(id!);
        deliver(message);
      }
      return; // a notification related to a JSON-answered request: nowhere to send it (SDK JSON mode too)
    }
    await this.sdk.send(message, options);
  }

  async close(): Promise<void> {
    this.waiting.clear();
    await this.sdk.close();
  }

  /**
   * Handles one POST of this session (already authenticated and matched to it). Takes it when it is a
   * progress-less `tools/call` (see the module docs) and answers 200 with the JSON-RPC response; otherwise
   * hands it to the SDK transport, with the body already read. Either way, when the response closes before it
   * was completely written (the client went away), every request the body carried is cancelled as if the
   * client had sent `notifications/cancelled` with reason {@link MCP_CLIENT_GONE_REASON} (issue 8 §7): the
   * server aborts the handler's signal, the device gets `cancel`, and nothing is answered.
   * @param maxBodyBytes body cap; a larger body is answered 413 as the SDK would.
   */
  async handlePost(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<void> {
    if (!sdkReadsBody(req)) {
      await this.sdk.handleRequest(req, res); // the SDK answers 406 or 415 without reading the body
      return;
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too large') {
      writeJsonRpcError(res, 413, -32000, `Payload Too Large: request body exceeds ${maxBodyBytes} bytes`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      writeJsonRpcError(res, 400, -32700, 'Parse error: Invalid JSON');
      return;
    }
    const id = versionFits(req) ? progresslessToolCallId(parsed) : undefined;
    if (id === undefined || this.waiting.has(id) || !this.onmessage) {
      const ids = requestIds(parsed);
      if (ids.length > 0) this.cancelWhenGone(res, ids);
      await this.sdk.handleRequest(req, res, parsed);
      return;
    }
    const answer = new Promise<JSONRPCMessage>((resolve) => this.waiting.set(id, resolve));
    res.once('close', () => {
      if (this.waiting.delete(id)) this.cancel(id);
    });
    this.onmessage(parsed as JSONRPCMessage, { requestInfo: { headers: req.headers } });
    const response = JSON.stringify(await answer);
    if (res.destroyed) return;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(response),
    };
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    res.writeHead(200, headers);
    res.end(response);
  }

  /** Cancels requests `ids` when `res` closes before it was completely written (an SSE answer cut short). */
  private cancelWhenGone(res: ServerResponse, ids: RequestId[]): void {
    res.once('close', () => {
      if (!res.writableFinished) for (const id of ids) this.cancel(id);
    });
  }

  /** Delivers `notifications/cancelled` for request `id` to the server (a finished request ignores it). */
  private cancel(id: RequestId): void {
    this.onmessage?.({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason: MCP_CLIENT_GONE_REASON },
    });
  }
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
  return m.id;
}

/** Reads a request body as UTF-8, or 'too large' past `max` bytes (then stops reading). */
export function readBody(req: IncomingMessage, max: number): Promise<string | 'too large'> {
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

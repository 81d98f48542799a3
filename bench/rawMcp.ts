/**
 * A bare MCP Streamable HTTP client for benchmarks: fetch and JSON-RPC, nothing else, so what a benchmark
 * measures is the server and not a client library.
 */
import { Agent, request } from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

/** An initialized MCP session: where to POST and the headers that carry it. */
export interface Session {
  url: string;
  headers: Record<string, string>;
}

/** Initializes an MCP session over raw HTTP (initialize + notifications/initialized). */
export async function openSession(mcpUrl: string, token: string): Promise<Session> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await fetch(mcpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  });
  await init.text();
  const sessionId = init.headers.get('mcp-session-id');
  if (!sessionId) throw new Error(`initialize failed: HTTP ${init.status}`);
  const session = {
    url: mcpUrl,
    headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
  };
  const ack = await fetch(mcpUrl, {
    method: 'POST',
    headers: session.headers,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await ack.text();
  return session;
}

/**
 * Calls `tools/call` once (JSON answer: no progress token). @returns the tool result, or null when the HTTP
 * request failed or the answer is not a successful tool result (e.g. the device is not connected yet).
 */
export async function callTool(session: Session, id: number, name: string, args: Record<string, unknown>) {
  try {
    const res = await fetch(session.url, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
    });
    const body = (await res.json()) as { result?: { isError?: boolean; structuredContent?: unknown } };
    return body.result && !body.result.isError ? body.result : null;
  } catch {
    return null;
  }
}

/**
 * A bare MCP client on one kept-alive `node:http` connection: `tools/call` as a JSON-RPC POST (no progress
 * token, so the relay answers with one JSON body), the body parsed, nothing else. What a lean MCP client costs;
 * the round-trip benches print it next to the MCP SDK's client, whose own work is not the relay's.
 */
export class KeepAliveMcpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private nextId = 1;

  constructor(private readonly session: Session) {}

  /**
   * Calls tool `name` once. @returns the tool result. @throws Error when the HTTP status is not 200, the
   * answer is a JSON-RPC error, or the result is a tool error.
   */
  callTool(name: string, args: Record<string, unknown>): Promise<{ structuredContent?: unknown }> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method: 'tools/call', params: { name, arguments: args } });
    return new Promise((resolve, reject) => {
      const req = request(
        this.session.url,
        { method: 'POST', agent: this.agent, headers: { ...this.session.headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            try {
              if (res.statusCode !== 200) throw new Error(`tools/call answered HTTP ${res.statusCode}`);
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                result?: { isError?: boolean; structuredContent?: unknown };
                error?: { message: string };
              };
              if (!answer.result || answer.result.isError) throw new Error(`tools/call failed: ${answer.error?.message ?? 'tool error'}`);
              resolve(answer.result);
            } catch (err) {
              reject(err as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.agent.destroy();
  }
}

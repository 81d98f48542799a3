/**
 * The floor of a relayed MCP call, for the round-trip benches: an MCP Streamable HTTP endpoint that does nothing
 * but forward `tools/call` over one WebSocket to a "device" that runs it on a gateway and sends the result back.
 * No authentication, no schema checks, no sessions beyond a fixed id, no audit, no policy, no untrusted-content
 * boundary: just the http + ws hop every relayed design pays, answered as the relay answers (a JSON-RPC
 * response with the result as JSON text and as `structuredContent`). Enough of MCP for the SDK's `Client`
 * (initialize, notifications → 202, GET → 405), so a client library's own cost can be read off against it too.
 * Its results are whatever `run` returns (the round-trip bench sends the gateway's dialogs, unwrapped: ~3.7 KB
 * against the product's ~5.2 KB with the boundary tags and notice).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket, WebSocketServer } from 'ws';

/** A running floor endpoint: where an MCP client POSTs, and how to stop it. */
export interface PlainForwarder {
  /** `http://127.0.0.1:<port>/mcp` */
  mcpUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the floor on 127.0.0.1 (a free port) with its device connected.
 * @param run what the device does with a call: the tool's arguments in, its result (any JSON) out.
 */
export async function startPlainForwarder(run: (args: Record<string, unknown>) => Promise<unknown>): Promise<PlainForwarder> {
  const wss = new WebSocketServer({ noServer: true });
  const waiting = new Map<number, (resultJson: string) => void>();
  /** The relay's end of the device's socket: calls go out on it. */
  let toDevice: WebSocket | undefined;
  let nextId = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id?: number | string;
        method: string;
        params?: { name?: string; arguments?: Record<string, unknown> };
      };
      const answer = (body: string) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'mcp-session-id': 'floor',
        });
        res.end(body);
      };
      if (msg.id === undefined) {
        res.writeHead(202).end();
      } else if (msg.method === 'initialize') {
        answer(JSON.stringify({
          jsonrpc: '2.0',
          id: msg.id,
          result: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: { tools: {} }, serverInfo: { name: 'floor', version: '1' } },
        }));
      } else {
        const id = ++nextId;
        waiting.set(id, (resultJson) =>
          answer(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"content":[{"type":"text","text":${JSON.stringify(resultJson)}}],"structuredContent":${resultJson}}}`),
        );
        toDevice?.send(JSON.stringify({ type: 'call', id, args: msg.params?.arguments ?? {} }));
      }
    });
  });
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      toDevice = ws;
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { id: number; result: unknown };
        const done = waiting.get(frame.id);
        waiting.delete(frame.id);
        done?.(JSON.stringify(frame.result));
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const device = new WebSocket(`ws://127.0.0.1:${port}/bridge`);
  device.on('message', (data) => {
    const call = JSON.parse(String(data)) as { id: number; args: Record<string, unknown> };
    void run(call.args).then((result) => device.send(JSON.stringify({ type: 'response', id: call.id, result })));
  });
  await new Promise<void>((resolve, reject) => {
    device.once('open', () => resolve());
    device.once('error', reject);
  });
  return {
    mcpUrl: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      device.close();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The relay's one HTTP server: routing, bearer authentication, and the `/bridge` WebSocket upgrade.
 *
 * Routes (deny by default: anything else is 404):
 * - `GET /healthz` → `{"ok":true}` (no secrets, no auth);
 * - `POST|GET|DELETE /mcp` → MCP Streamable HTTP, `Authorization: Bearer <mcp token>`;
 * - `GET /bridge` + `Upgrade: websocket` → device socket, `Authorization: Bearer <bridge token>`
 *   (PROTOCOL.md "Transport"). A missing or wrong token gets 401 with `WWW-Authenticate: Bearer
 *   realm="tg-bridge"` and no upgrade.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../bridge/protocol/index.js';
import { bearerToken, type TokenIndex, WWW_AUTHENTICATE } from './auth.js';
import type { DeviceHub } from './deviceHub.js';
import type { McpEndpoint } from './mcpEndpoint.js';

/** What the HTTP server routes to. */
export interface RelayServerParts {
  tokens: TokenIndex;
  hub: DeviceHub;
  mcp: McpEndpoint;
  logger: Logger;
}

/** The HTTP server plus the WebSocket server it upgrades into. */
export interface RelayHttpServer {
  http: Server;
  wss: WebSocketServer;
}

/** JSON error body of every non-MCP error response: `{error: code, message: sentence}`. */
function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const UNAUTHORIZED_MCP = {
  error: 'unauthorized',
  message: 'Missing or invalid bearer token. Send "Authorization: Bearer <mcp token>" issued by this relay.',
};

/** Path of a request URL, or `undefined` when the URL cannot be parsed. */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://relay.invalid').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Creates (does not start) the relay's HTTP server with routing, authentication and the `/bridge` upgrade.
 * The WebSocket server is `noServer` with `maxPayload` = MAX_FRAME_BYTES.
 */
export function createRelayHttpServer(parts: RelayServerParts): RelayHttpServer {
  const { tokens, hub, mcp, logger } = parts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  const http = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error(
        { err: err instanceof Error ? err.message : String(err), path: pathOf(req) },
        'request failed',
      );
      if (!res.headersSent) writeJson(res, 500, { error: 'internal_error', message: 'The relay failed.' });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    logger.trace({ method: req.method, path }, 'http request');
    switch (path) {
      case '/healthz':
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          writeJson(res, 405, { error: 'method_not_allowed', message: 'Use GET.' }, { Allow: 'GET, HEAD' });
          return;
        }
        writeJson(res, 200, { ok: true });
        return;
      case '/mcp': {
        const userId = tokens.userFor('mcp', bearerToken(req.headers.authorization));
        if (userId === undefined) {
          logger.info({ path }, 'MCP request refused: missing or invalid token');
          writeJson(res, 401, UNAUTHORIZED_MCP, { 'WWW-Authenticate': WWW_AUTHENTICATE });
          return;
        }
        await mcp.handle(req, res, userId);
        return;
      }
      case '/bridge':
        writeJson(res, 426, {
          error: 'upgrade_required',
          message: 'This is the device endpoint; connect with a WebSocket.',
        });
        return;
      default:
        writeJson(res, 404, { error: 'not_found', message: 'Nothing here. The MCP endpoint is /mcp.' });
    }
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err: err.message }, 'upgrade socket error'));
    if (pathOf(req) !== '/bridge') {
      rejectUpgrade(socket, 404, { error: 'not_found', message: 'WebSocket endpoint is /bridge.' });
      return;
    }
    const userId = tokens.userFor('bridge', bearerToken(req.headers.authorization));
    if (userId === undefined) {
      logger.info('device refused: missing or invalid bridge token');
      rejectUpgrade(
        socket,
        401,
        {
          error: 'unauthorized',
          message: 'Missing or invalid bridge token. Pair this device with the relay again.',
        },
        { 'WWW-Authenticate': WWW_AUTHENTICATE },
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(userId, ws));
  });

  return { http, wss };
}

/** Answers an upgrade request with a plain HTTP error and closes the socket; no WebSocket is created. */
function rejectUpgrade(
  socket: Duplex,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/**
 * The relay's one HTTP server: routing, authentication, hardening, and the `/bridge` WebSocket upgrade.
 *
 * Routes (deny by default: anything else is 404 JSON):
 * - `GET /healthz` → `{"ok":true}` (no secrets, no auth); a replica adds its id and Redis/database status;
 * - OAuth 2.1 (the MCP SDK's `mcpAuthRouter` on our provider): `/.well-known/oauth-authorization-server`
 *   (RFC 8414), `/.well-known/oauth-protected-resource[/mcp]` (RFC 9728, both forms), `/register`
 *   (RFC 7591), `/authorize`, `/token`, `/revoke` (RFC 7009);
 * - pages: `/signin`, `/oauth/consent`, `/account`, `/pair` (see pages/);
 * - `POST|GET|DELETE|OPTIONS /mcp` → MCP Streamable HTTP behind Host/Origin allow-lists, CORS, a throttle on
 *   failed token checks per address (429 + Retry-After) and the SDK's bearer middleware (401 with
 *   `WWW-Authenticate: Bearer …, resource_metadata="…"`);
 * - `GET /bridge` + `Upgrade: websocket` → device socket, `Authorization: Bearer <bridge token>`
 *   (PROTOCOL.md "Transport"). A missing or wrong token gets 401 with `WWW-Authenticate: Bearer
 *   realm="tg-bridge"` and no upgrade.
 */
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../bridge/protocol/index.js';
import { bearerToken, hashToken, WWW_AUTHENTICATE } from './auth.js';
import { clientAddress, resolveClientAddress, type TrustedProxies } from './clientAddress.js';
import type { RelayClock } from './clock.js';
import type { DeviceHub } from './deviceHub.js';
import { originGuard, type OriginPolicy } from './httpGuards.js';
import { callerOf, type McpEndpoint } from './mcpEndpoint.js';
import { mcpFront } from './mcpFront.js';
import type { RelayAuthExtra } from './oauth/tokenVerifier.js';
import { RELAY_SCOPE, type RelayOAuthProvider } from './oauth/provider.js';
import { accountPages, type AccountPagesOptions } from './pages/accountPages.js';
import type { DevicePairing } from './pairing/devicePairing.js';
import type { RelayStore } from './store/relayStore.js';
import type { FailureThrottle } from './throttle.js';

/** What the HTTP server routes to. */
export interface RelayServerParts {
  store: RelayStore;
  clock: RelayClock;
  hub: DeviceHub;
  mcp: McpEndpoint;
  provider: RelayOAuthProvider;
  pairing: DevicePairing;
  pages: Omit<AccountPagesOptions, 'logger'>;
  /** Failed bearer-token checks on `/mcp` and `/bridge`, keyed `ip:<address>`. */
  tokenThrottle: FailureThrottle;
  policy: OriginPolicy;
  /** Public base URL, e.g. `https://relay.example`; the issuer and the `/mcp` resource derive from it. */
  publicUrl: URL;
  /**
   * Details `/healthz` adds for a relay replica (its id, Redis and database status; no secrets); `ok: false`
   * answers 503 so a load balancer stops sending to it. Default none: `{"ok":true}`.
   */
  health?: () => Promise<{ ok: boolean } & Record<string, unknown>>;
  /** Reverse proxies believed about the client address (`X-Forwarded-For`); see clientAddress.ts. */
  trustedProxies: TrustedProxies;
  logger: Logger;
}

/** Answers `status` with a JSON body (as express's `res.json` does) and `Cache-Control: no-store`. */
function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Cache-Control': 'no-store',
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Path of a request URL, or `undefined` when the URL cannot be parsed. */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://relay.invalid').pathname;
  } catch {
    return undefined;
  }
}

function addressOf(req: IncomingMessage): string {
  return clientAddress(req);
}

/**
 * Installs routing, authentication and the `/bridge` upgrade on a (listening or not) HTTP server.
 * The WebSocket server is `noServer` with `maxPayload` = MAX_FRAME_BYTES.
 */
export function installRelayRoutes(http: Server, parts: RelayServerParts): WebSocketServer {
  const { store, clock, hub, mcp, provider, pairing, tokenThrottle, policy, publicUrl, logger } = parts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const mcpUrl = new URL('/mcp', publicUrl);
  const resourceMetadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', publicUrl).href;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.all('/healthz', async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      writeJson(res, 405, { error: 'method_not_allowed', message: 'Use GET.' }, { Allow: 'GET, HEAD' });
      return;
    }
    if (!parts.health) {
      writeJson(res, 200, { ok: true });
      return;
    }
    const details = await parts.health();
    writeJson(res, details.ok ? 200 : 503, details);
  });

  const throttled = (req: Request, res: Response): boolean => {
    const wait = tokenThrottle.retryAfterSeconds([`ip:${addressOf(req)}`]);
    if (wait === 0) return false;
    writeJson(
      res,
      429,
      { error: 'too_many_requests', message: `Too many failed token checks from this address. Try again in ${wait} s.` },
      { 'Retry-After': String(wait) },
    );
    return true;
  };

  const bearer = requireBearerAuth({ verifier: provider, resourceMetadataUrl, expectedResource: mcpUrl });

  app.all('/mcp', originGuard(policy), (req, res, next) => {
    if (throttled(req, res)) return;
    if (req.headers.authorization === undefined) {
      // No credentials at all: the challenge names where to find the authorization server (RFC 9728 §5.1),
      // without an error code (RFC 6750 §3.1).
      writeJson(
        res,
        401,
        { error: 'unauthorized', message: 'Sign in: this relay uses OAuth 2.1 (see the resource metadata) or a personal access token.' },
        { 'WWW-Authenticate': `Bearer resource_metadata="${resourceMetadataUrl}"` },
      );
      return;
    }
    // A presented token that is refused counts against the address.
    res.once('finish', () => {
      if (res.statusCode === 401) tokenThrottle.fail([`ip:${addressOf(req)}`]);
    });
    bearer(req, res, (err?: unknown) => {
      if (err) {
        next(err);
        return;
      }
      const extra = req.auth?.extra as unknown as RelayAuthExtra | undefined;
      if (!extra) {
        writeJson(res, 401, { error: 'invalid_token', error_description: 'No user for this token' });
        return;
      }
      mcp.handle(req, res, callerOf(extra)).catch(next);
    });
  });

  // RFC 9728 at the root form too (the SDK serves the path form /.well-known/oauth-protected-resource/mcp).
  app.get('/.well-known/oauth-protected-resource', (_req, res) => {
    writeJson(res, 200, {
      resource: mcpUrl.href,
      authorization_servers: [publicUrl.href],
      scopes_supported: [RELAY_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: 'tg-bridge relay',
    });
  });
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl: publicUrl,
      resourceServerUrl: mcpUrl,
      scopesSupported: [RELAY_SCOPE],
      resourceName: 'tg-bridge relay',
    }),
  );
  app.use(originGuard({ ...policy, origins: new Set([publicUrl.origin]) }), accountPages({ ...parts.pages, logger }));
  app.use(pairing.routes());

  app.all('/bridge', (_req, res) => {
    writeJson(res, 426, { error: 'upgrade_required', message: 'This is the device endpoint; connect with a WebSocket.' });
  });
  app.use((_req, res) => {
    writeJson(res, 404, { error: 'not_found', message: 'Nothing here. The MCP endpoint is /mcp.' });
  });
  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    logger.error({ err: err instanceof Error ? err.message : String(err), path: pathOf(req) }, 'request failed');
    if (!res.headersSent) writeJson(res, 500, { error: 'internal_error', message: 'The relay failed.' });
    else res.destroy();
  };
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Body parsers: too large (413), malformed (400).
      if (!res.headersSent) writeJson(res, status, { error: 'bad_request', message: 'The request could not be read.' });
      return;
    }
    fail(req, res, err);
  });

  // Authorised MCP requests skip express (mcpFront.ts); everything else, refusals included, takes the app.
  const quickMcp = mcpFront({
    mcp,
    verifyAccessToken: (token) => provider.verifyAccessToken(token),
    resource: mcpUrl,
    policy,
    tokenThrottle,
    addressOf,
    fail,
  });
  http.on('request', (req, res) => {
    resolveClientAddress(req, parts.trustedProxies);
    if (pathOf(req) === '/mcp') quickMcp(req, res, () => app(req, res));
    else app(req, res);
  });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    resolveClientAddress(req, parts.trustedProxies);
    socket.on('error', (err) => logger.debug({ err: err.message }, 'upgrade socket error'));
    if (pathOf(req) !== '/bridge') {
      rejectUpgrade(socket, 404, { error: 'not_found', message: 'WebSocket endpoint is /bridge.' });
      return;
    }
    const address = addressOf(req);
    const wait = tokenThrottle.retryAfterSeconds([`ip:${address}`]);
    if (wait > 0) {
      rejectUpgrade(socket, 429, { error: 'too_many_requests', message: `Try again in ${wait} s.` }, { 'Retry-After': String(wait) });
      return;
    }
    const refuse = (message: string) => {
      tokenThrottle.fail([`ip:${address}`]);
      logger.info('device refused: missing or invalid bridge credential');
      rejectUpgrade(socket, 401, { error: 'unauthorized', message }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
    };
    void (async () => {
      const token = bearerToken(req.headers.authorization);
      if (token === undefined) {
        refuse('Missing bridge token. Pair this device with the relay: tg-bridge pair --relay <url>.');
        return;
      }
      const record = await store.findToken(hashToken(token), 'bridge', clock.now());
      if (!record) {
        refuse('Invalid or revoked bridge token. Pair this device with the relay again: tg-bridge pair --relay <url>.');
        return;
      }
      if (record.deviceId !== null) {
        const proof = await pairing.checkProof(req, record.deviceId);
        if (proof !== 'ok') {
          refuse(proof);
          return;
        }
        await store.touchDevice(record.deviceId, clock.now());
      }
      wss.handleUpgrade(req, socket, head, (ws) => hub.attach(record.userId, ws, record.deviceId ?? undefined));
    })().catch((err: unknown) => {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'device upgrade failed');
      rejectUpgrade(socket, 500, { error: 'internal_error', message: 'The relay failed.' });
    });
  });

  return wss;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket; no WebSocket is created. */
function rejectUpgrade(socket: Duplex, status: number, body: unknown, headers: Record<string, string> = {}): void {
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

/**
 * Guards in front of `/mcp` and the pages: Host and Origin allow-lists (DNS-rebinding protection: a page on
 * another site that resolves its name to this relay's address still sends its own Host/Origin), CORS for the
 * browser origins the person allowed, and per-address connection caps and timeouts against slow clients.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { TrustedProxies } from './clientAddress.js';

/** Headers a browser MCP client may send and read (MCP Streamable HTTP + OAuth). */
const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
const CORS_EXPOSE_HEADERS = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate';

/** Allow-lists of a relay: `hosts` as in the Host header (`name:port` or `name`), `origins` as URL origins. */
export interface OriginPolicy {
  hosts: ReadonlySet<string>;
  origins: ReadonlySet<string>;
}

function json(res: Response, status: number, error: string, message: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error, message });
}

/** Whether `req`'s Host is one of the relay's names and its Origin, when sent, is allowed. */
export function originAllowed(policy: OriginPolicy, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return policy.hosts.has((req.headers.host ?? '').toLowerCase()) && (origin === undefined || policy.origins.has(origin));
}

/** Adds the CORS headers of an allowed cross-origin request (none when `req` sent no Origin). */
export function addCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
  res.setHeader('Vary', 'Origin');
}

/**
 * Refuses a request whose Host is not one of the relay's names (421) or whose Origin, when sent, is not
 * allowed (403); answers CORS preflights (`OPTIONS`) for allowed origins with 204, and adds CORS headers to
 * allowed cross-origin requests.
 */
export function originGuard(policy: OriginPolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!policy.hosts.has((req.headers.host ?? '').toLowerCase())) {
      json(res, 421, 'misdirected_request', 'This relay does not serve that host name.');
      return;
    }
    if (!originAllowed(policy, req)) {
      json(res, 403, 'forbidden_origin', 'Requests from this web origin are not allowed by this relay.');
      return;
    }
    addCorsHeaders(req, res);
    if (req.method === 'OPTIONS') {
      res
        .status(204)
        .set({
          'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
          'Access-Control-Max-Age': '600',
        })
        .end();
      return;
    }
    next();
  };
}

/** Limits against slow or greedy clients. Durations in ms. */
export interface ConnectionLimits {
  /** Open connections per remote address (an MCP client may hold 100 calls in flight, each a stream). */
  perAddress: number;
  /** Open connections in total. */
  total: number;
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request (not the response: SSE streams stay open). */
  requestTimeoutMs: number;
  /** Idle keep-alive connections close after this. */
  keepAliveTimeoutMs: number;
}

/** Default {@link ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 256,
  total: 4_096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * How often Node checks its connections for an expired header or request timeout (ms). Node's default is
 * 30 s, which would let a slow client hold a connection up to 30 s past `headersTimeoutMs`; a quarter of the
 * shorter timeout (at least 50 ms, at most 1 s) keeps the cut-off close to the configured value.
 */
export function connectionsCheckingIntervalMs(limits: ConnectionLimits): number {
  return Math.min(1_000, Math.max(50, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

/**
 * Applies {@link ConnectionLimits} to a server: extra connections from one address are closed at once.
 * Connections from `trusted` proxies carry many clients and count only towards the total.
 */
export function limitConnections(server: Server, limits: ConnectionLimits, trusted?: TrustedProxies): void {
  server.maxConnections = limits.total;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (trusted?.has(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

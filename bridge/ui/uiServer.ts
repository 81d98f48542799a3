/**
 * The headless host's UI server (issue 9 "Headless host"): serves the built renderer and the device API on
 * 127.0.0.1 — `POST /api/<method>` (JSON in, JSON out) and a WebSocket at `/events` that pushes every
 * {@link DeviceEvent}.
 *
 * Access: the printed URL carries a per-run secret (`/?token=…`, 32 random bytes) that is exchanged ONCE for
 * an HttpOnly, SameSite=Strict session cookie; every other request needs that cookie. The Host header must
 * name this server (DNS rebinding), and API calls and the WebSocket must come from this origin (CSRF,
 * cross-site WebSocket hijacking). Responses carry a strict CSP and are never cached.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { isDeviceMethod } from '../protocol/index.js';
import { DeviceCallError, type DeviceService } from './deviceService.js';

/** Largest API request body, in bytes (64 KiB: a message is at most 4096 characters). */
export const MAX_API_BODY_BYTES = 64 * 1024;
/** Name of the session cookie. */
export const SESSION_COOKIE = 'tgb_ui';

/**
 * Where `npm run build:ui` puts the built renderer: `<package>/dist/renderer`. This module runs either from the
 * sources (`<package>/bridge/ui/`, tsx) or from the compiled build (`<package>/dist/bridge/ui/`, the installed
 * commands), so the folder is two or three levels up.
 */
export function builtUiDir(): string {
  const fromBuild = fileURLToPath(new URL('../../renderer', import.meta.url));
  const fromSources = fileURLToPath(new URL('../../dist/renderer', import.meta.url));
  return fileURLToPath(import.meta.url).includes(`${sep}dist${sep}bridge${sep}`) ? fromBuild : fromSources;
}

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  service: DeviceService;
  /** Folder of the built renderer (`index.html` and assets). */
  staticDir: string;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
}

/** A running UI server. */
export interface UiServer {
  /** The URL to open once: origin plus the one-time token. Print it, never log it elsewhere. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * Starts the UI server on 127.0.0.1.
 * @throws when the port is taken or `staticDir` has no `index.html` (build the renderer: `npm run build:ui`).
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const staticDir = await realpath(options.staticDir);
  await readFile(join(staticDir, 'index.html')).catch(() => {
    throw new Error(`no built UI in ${options.staticDir}: run \`npm run build:ui\` first`);
  });
  const urlToken = randomBytes(32).toString('base64url');
  let tokenUsed = false;
  const sessions = new Set<string>();
  let origin = '';
  let allowedHosts: string[] = [];

  const securityHeaders = (res: ServerResponse) => {
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; ` +
        `connect-src 'self' ${origin.replace('http:', 'ws:')}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
  };
  const plain = (res: ServerResponse, status: number, text: string) => {
    securityHeaders(res);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    securityHeaders(res);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const hostOk = (req: IncomingMessage) => allowedHosts.includes(req.headers.host ?? '');
  const originOk = (req: IncomingMessage) => req.headers.origin === origin;
  const sessionOf = (req: IncomingMessage): boolean => {
    const value = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return value !== undefined && sessions.has(value);
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req)) return plain(res, 421, 'This server answers only to its own address.');
    const url = new URL(req.url ?? '/', origin);
    const token = url.searchParams.get('token');
    if (req.method === 'GET' && url.pathname === '/' && token !== null) {
      if (tokenUsed || !sameSecret(token, urlToken)) {
        return plain(res, 403, 'This link was already used or is wrong. Restart `tg-bridge ui` for a new one.');
      }
      tokenUsed = true;
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      securityHeaders(res);
      res.writeHead(303, {
        Location: '/',
        'Set-Cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end();
      return;
    }
    if (!sessionOf(req)) return plain(res, 401, 'Open the link `tg-bridge ui` printed to use this page.');
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
      if (!originOk(req)) return json(res, 403, { error: 'cross-origin request refused' });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        return json(res, 415, { error: 'send JSON (Content-Type: application/json)' });
      }
      const method = url.pathname.slice('/api/'.length);
      if (!isDeviceMethod(method)) return json(res, 404, { error: `no method ${method.slice(0, 64)}` });
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req)) || '{}');
      } catch (err) {
        if (err instanceof BodyTooLarge) res.setHeader('Connection', 'close');
        return json(res, err instanceof BodyTooLarge ? 413 : 400, { error: (err as Error).message });
      }
      try {
        return json(res, 200, { result: await options.service.callUntrusted(method, body) });
      } catch (err) {
        if (err instanceof DeviceCallError) {
          const status = { bad_request: 400, unavailable: 503, conflict: 409 }[err.code];
          return json(res, status, { error: err.message });
        }
        return json(res, 500, { error: 'the bridge could not do that; see its log' });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    return serveStatic(url.pathname, res);
  }

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return plain(res, 400, 'bad path');
    }
    const file = resolve(staticDir, `.${rel}`);
    const inside = file === staticDir || file.startsWith(staticDir + sep);
    const target = !inside || rel === '/' || !extname(file) ? join(staticDir, 'index.html') : file;
    let data: Buffer;
    try {
      data = await readFile(target);
    } catch {
      return plain(res, 404, 'not found');
    }
    securityHeaders(res);
    res.writeHead(200, { 'Content-Type': TYPES[extname(target)] ?? 'application/octet-stream' });
    res.end(data);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/events' || !hostOk(req) || !originOk(req) || !sessionOf(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachEvents(ws));
  });
  const attachEvents = (ws: WebSocket) => {
    const off = options.service.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
    });
    ws.send(JSON.stringify({ type: 'status', status: options.service.status() }));
    ws.on('close', off);
    ws.on('error', off);
    // The event stream is one-way: anything the page sends is ignored.
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    url: `${origin}/?token=${urlToken}`,
    origin,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

class BodyTooLarge extends Error {
  constructor() {
    super(`request body over ${MAX_API_BODY_BYTES} bytes`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_API_BODY_BYTES) {
        // Answer 413 and drop the rest unread (the response closes the connection).
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * A minimal relay written from PROTOCOL.md alone (no relay/ code), speaking only the mctl frames: it checks
 * the Bearer token, records every frame, answers pings, and sends whatever a test asks. Never sends `welcome`.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export const TOKEN = 'test-bridge-token-0123456789';

export interface MiniRelay {
  url: string;
  port: number;
  frames: Array<Record<string, unknown>>;
  sockets: WebSocket[];
  headers: IncomingMessage['headers'][];
  next(type: string): Promise<Record<string, unknown>>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** A relay speaking only the mctl frames: it authenticates, records frames, and sends what a test asks. */
export async function miniRelay(opts: { port?: number; answerPings?: boolean; refuseWith?: number } = {}): Promise<MiniRelay> {
  const wss = new WebSocketServer({
    port: opts.port ?? 0,
    host: '127.0.0.1',
    verifyClient: (info, cb) =>
      opts.refuseWith !== undefined
        ? cb(false, opts.refuseWith)
        : info.req.headers.authorization === `Bearer ${TOKEN}`
          ? cb(true)
          : cb(false, 401, 'Unauthorized'),
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const frames: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (f: Record<string, unknown>) => void }> = [];
  const sockets: WebSocket[] = [];
  const headers: IncomingMessage['headers'][] = [];
  wss.on('connection', (ws, req) => {
    sockets.push(ws);
    headers.push(req.headers);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Record<string, unknown>;
      frames.push(f);
      if (f.type === 'ping' && opts.answerPings !== false)
        ws.send(JSON.stringify({ type: 'pong', id: 'ping' }));
      const i = waiters.findIndex((w) => w.type === f.type);
      if (i >= 0) {
        (f as { _taken?: boolean })._taken = true;
        waiters.splice(i, 1)[0]!.resolve(f);
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    frames,
    sockets,
    headers,
    next: (type) => {
      const seen = frames.find((f) => f.type === type && !(f as { _taken?: boolean })._taken);
      if (seen) {
        (seen as { _taken?: boolean })._taken = true;
        return Promise.resolve(seen);
      }
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
    send: (frame) => {
      for (const s of sockets) if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify(frame));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => resolve());
      }),
  };
}


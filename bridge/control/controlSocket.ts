/**
 * The engine's local control socket (ARCHITECTURE.md "One Telegram connection per account"): the running
 * engine owns the only gramjs client; other front doors on this computer (`tg-bridge mcp` over stdio, CLI
 * commands) send it calls here instead of opening a second Telegram connection (AUTH_KEY_DUPLICATED).
 *
 * Transport: a Unix domain socket (a named pipe on Windows) that only the owner can open — the socket lives
 * in the 0700 data directory and is chmod 0600. Wire: newline-delimited JSON, the same frames as the relay
 * link (`call` / `cancel` in; `response` / `error` / `progress` out), so one schema covers both.
 */
import { chmod, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  encodeFrame,
  type Frame,
  LogoutResult,
  MAX_FRAME_BYTES,
  parseFrame,
  ToolErrorCode,
  toolErrorText,
  ToolError,
} from '../protocol/index.js';
import { ensurePrivateDir } from '../storage/privateFile.js';

/** Where the control socket lives for a data directory (a named pipe on Windows). */
export function controlSocketPath(home: string): string {
  if (process.platform === 'win32')
    return `\\\\.\\pipe\\tg-bridge-${Buffer.from(home).toString('hex').slice(-32)}`;
  return join(home, 'engine.sock');
}

/** Runs one call for a local client: result, or a thrown ToolError. */
export type LocalCallHandler = (
  call: { id: string; tool: string; args: Record<string, unknown>; client: string },
  scope: { signal: AbortSignal; progress(message: string): void },
) => Promise<unknown>;

/**
 * Ends the Telegram session through the engine (a `logout` frame): resolves with what to tell the person; the
 * engine stops serving afterwards.
 */
export type LocalLogoutHandler = () => Promise<LogoutResult>;

/** A listening control socket. */
export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/**
 * Listens on `path` for local front doors. A stale socket file left by a crashed engine is replaced; a live
 * one (another engine answering) is an error.
 * @param onLogout runs a `logout` frame (absent: answered with an error saying this engine can't log out).
 * @throws Error "another engine is already running" when a live engine owns the socket.
 */
export async function startControlServer(
  path: string,
  onCall: LocalCallHandler,
  onLogout?: LocalLogoutHandler,
): Promise<ControlServer> {
  if (process.platform !== 'win32') {
    await ensurePrivateDir(join(path, '..'));
    if (await isAlive(path)) throw new Error(`another tg-bridge engine is already running (${path})`);
    await rm(path, { force: true });
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, onCall, onLogout);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') await chmod(path, 0o600);
  return {
    path,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (process.platform !== 'win32') await rm(path, { force: true });
    },
  };
}

function serveConnection(socket: Socket, onCall: LocalCallHandler, onLogout?: LocalLogoutHandler): void {
  const inFlight = new Map<string, AbortController>();
  const send = (frame: Frame) => {
    if (!socket.destroyed) socket.write(`${encodeFrame(frame)}\n`);
  };
  let client = 'local MCP client';
  const lines = createInterface({ input: socket, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    if (line.length > MAX_FRAME_BYTES) {
      socket.destroy();
      return;
    }
    const parsed = parseFrame(line);
    if (parsed.kind !== 'frame') {
      if (parsed.kind === 'invalid' && parsed.id) {
        send({
          type: 'error',
          id: parsed.id,
          error: toolErrorText(ToolErrorCode.invalidArguments, parsed.error),
        });
      }
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'hello') client = `${frame.app} ${frame.version}`.slice(0, 100);
    else if (frame.type === 'ping') send({ type: 'pong', id: 'ping' });
    else if (frame.type === 'cancel')
      inFlight.get(frame.id)?.abort(frame.reason || 'cancelled by the client');
    else if (frame.type === 'logout') {
      if (!onLogout) {
        send({ type: 'error', id: frame.id, error: toolErrorText(ToolErrorCode.internal, 'this engine cannot log out') });
        return;
      }
      onLogout().then(
        (result) => send({ type: 'response', id: frame.id, result }),
        () => send({ type: 'error', id: frame.id, error: toolErrorText(ToolErrorCode.internal, 'logging out failed in the engine') }),
      );
    }
    else if (frame.type === 'call' && !inFlight.has(frame.id)) {
      const ctl = new AbortController();
      inFlight.set(frame.id, ctl);
      onCall(
        { id: frame.id, tool: frame.tool, args: frame.args, client: frame.client ?? client },
        { signal: ctl.signal, progress: (message) => send({ type: 'progress', id: frame.id, message }) },
      )
        .then((result) => send({ type: 'response', id: frame.id, result: result ?? null }))
        .catch((err: unknown) =>
          send({
            type: 'error',
            id: frame.id,
            error:
              err instanceof ToolError
                ? err.toFrameText()
                : toolErrorText(ToolErrorCode.internal, 'an unexpected error happened in the engine'),
          }),
        )
        .finally(() => inFlight.delete(frame.id));
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    for (const ctl of inFlight.values()) ctl.abort('the local client disconnected');
    inFlight.clear();
  });
}

function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A front door's connection to the running engine. */
export interface ControlClient {
  /** Runs a call in the engine. Resolves `{ok, result}` or `{ok: false, error: "[code] message"}`. */
  call(
    tool: string,
    args: Record<string, unknown>,
    opts?: { signal?: AbortSignal; onProgress?: (message: string) => void; client?: string },
  ): Promise<{ ok: true; result: unknown } | { ok: false; error: string }>;
  /**
   * Asks the engine to end the Telegram session over its own connection (issue 8 §7). Resolves with what
   * Telegram said, or `{ok: false, error}` when the engine refused or stopped first.
   */
  logout(): Promise<{ ok: true; result: LogoutResult } | { ok: false; error: string }>;
  close(): void;
}

/**
 * Connects to the engine's control socket.
 * @param identity app name and version shown to the person in approval prompts ("asked by").
 * @throws Error "no tg-bridge engine is running" when nothing listens at `path`.
 */
export async function connectControl(
  path: string,
  identity: { app: string; version: string },
): Promise<ControlClient> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? new Error(
              'no tg-bridge engine is running: start it with `tg-bridge connect` (or the tray app) first',
            )
          : err,
      ),
    );
  });
  const pending = new Map<
    string,
    {
      resolve: (v: { ok: true; result: unknown } | { ok: false; error: string }) => void;
      onProgress?: (m: string) => void;
    }
  >();
  const send = (frame: Frame) => socket.write(`${encodeFrame(frame)}\n`);
  send({ type: 'hello', protocol: 'tgbridge/1', app: identity.app, version: identity.version, tools: [] });
  let seq = 0;
  const lines = createInterface({ input: socket, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    const parsed = parseFrame(line);
    if (parsed.kind !== 'frame') return;
    const f = parsed.frame;
    if (f.type === 'response') pending.get(f.id)?.resolve({ ok: true, result: f.result });
    else if (f.type === 'error') pending.get(f.id)?.resolve({ ok: false, error: f.error });
    else if (f.type === 'progress') pending.get(f.id)?.onProgress?.(f.message);
    if (f.type === 'response' || f.type === 'error') pending.delete(f.id);
  });
  socket.on('error', () => {});
  const stopped = () => ({
    ok: false as const,
    error: toolErrorText(ToolErrorCode.deviceOffline, 'the tg-bridge engine stopped'),
  });
  socket.on('close', () => {
    for (const p of pending.values()) p.resolve(stopped());
    pending.clear();
  });
  return {
    logout: () =>
      new Promise((resolve) => {
        if (socket.destroyed) {
          resolve(stopped());
          return;
        }
        seq += 1;
        const id = `logout-${process.pid}-${seq}`;
        pending.set(id, {
          resolve: (outcome) => {
            if (!outcome.ok) return resolve(outcome);
            const parsed = LogoutResult.safeParse(outcome.result);
            resolve(
              parsed.success
                ? { ok: true, result: parsed.data }
                : { ok: false, error: toolErrorText(ToolErrorCode.internal, 'the engine answered logout oddly') },
            );
          },
        });
        send({ type: 'logout', id });
      }),
    call: (tool, args, opts = {}) =>
      new Promise((resolve) => {
        if (socket.destroyed) {
          resolve(stopped());
          return;
        }
        seq += 1;
        const id = `local-${process.pid}-${seq}-${Date.now()}`;
        pending.set(id, { resolve, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
        opts.signal?.addEventListener(
          'abort',
          () => send({ type: 'cancel', id, reason: 'cancelled by the MCP client' }),
          {
            once: true,
          },
        );
        send({ type: 'call', id, tool, args, ...(opts.client ? { client: opts.client } : {}) });
      }),
    close: () => socket.end(),
  };
}

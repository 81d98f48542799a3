/**
 * The control API over HTTP, for a sandbox running as its own process (`npm run sandbox`): the same operations
 * as {@link SandboxControl}, as JSON on 127.0.0.1, behind a bearer token.
 *
 * Every request needs `Authorization: Bearer <token>` (else 401). Bodies are JSON objects checked with zod;
 * a bad body or a refused operation answers 400 `{ "error": "…" }`. Routes (see sandbox/README.md):
 *
 *   GET  /account · /users · /chats · /sent · /sessions · /history?peer=user:<id> · /login-code?phone=<phone>
 *   GET  /client-options                      what a gramjs client in another process needs (sandbox/remote.ts)
 *   POST /inject          {fromUserId, chatId?, text, replyTo?}
 *   POST /fail-next       {method, error, times?}
 *   POST /sessions/revoke {hash} | {all: true}
 *   POST /sessions/mint   {account?}          a StringSession already logged in as the (or that) account
 *   GET  /accounts                            every account that can log in (main first)
 *   POST /login-token/accept {token}          accept a QR login token (base64url) as the phone would
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { SANDBOX_API_HASH, SANDBOX_API_ID } from './client.js';
import type { SandboxControl } from './control.js';
import { serverRsaKey } from './mtproto/rsaKey.js';

/** Largest request body accepted, bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** What the HTTP control API needs from a running sandbox (a `Sandbox` fits). */
export interface ControlledSandbox {
  host: string;
  port: number;
  dcId: number;
  control: SandboxControl;
  mintSession(phoneOrUserId?: string | number): string;
}

/**
 * What `GET /client-options` answers: where the MTProto server is, the API id/hash it expects, and its RSA public
 * key (a gramjs client in another process must register it to run the auth key exchange). `n`/`e` are unsigned
 * big-endian hex; `fingerprint` the signed 64-bit fingerprint as a decimal string.
 */
export const ClientOptionsSchema = z.object({
  host: z.string(),
  port: z.number().int().min(1).max(32767),
  dcId: z.number().int(),
  apiId: z.number().int(),
  apiHash: z.string(),
  rsaKey: z.object({ fingerprint: z.string(), n: z.string(), e: z.string() }),
});

/** The JSON of `GET /client-options`. */
export type ClientOptions = z.infer<typeof ClientOptionsSchema>;

const InjectBody = z.strictObject({
  fromUserId: z.number().int().positive(),
  chatId: z.number().int().positive().optional(),
  text: z.string().min(1).max(4096),
  replyTo: z.number().int().positive().optional(),
});
const FailNextBody = z.strictObject({
  method: z.string().min(1),
  error: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a Telegram error identifier such as FLOOD_WAIT_5'),
  times: z.number().int().positive().max(1000).default(1),
});
const RevokeBody = z.union([
  z.strictObject({ hash: z.string().regex(/^-?\d+$/, 'a session hash: a decimal 64-bit integer') }),
  z.strictObject({ all: z.literal(true) }),
]);
const AcceptTokenBody = z.strictObject({ token: z.string().min(1) });
const MintBody = z.strictObject({ account: z.number().int().positive().optional() });

/** Options of {@link startControlHttp}. */
export interface ControlHttpOptions {
  /** Address to listen on; default '127.0.0.1' (the API controls the account: keep it local). */
  host?: string;
  /** Port; default 0 (any free port). */
  port?: number;
  /** The bearer token; default 32 random bytes, base64url. */
  token?: string;
}

/** A running HTTP control API. */
export interface ControlHttp {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The bearer token every request must carry. */
  token: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** A refusal with its HTTP status, answered as `{ "error": message }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text.length === 0) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, `invalid request body: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** Runs a control operation; its Error (unknown user, bad peer…) becomes a 400 naming the problem. */
function attempt<T>(operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

function sameToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

type Route = (url: URL, body: unknown) => unknown;

/**
 * Starts the HTTP control API for `sandbox`.
 * @throws the listen error (e.g. EADDRINUSE for an explicit port).
 */
export async function startControlHttp(
  sandbox: ControlledSandbox,
  options: ControlHttpOptions = {},
): Promise<ControlHttp> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const control = sandbox.control;
  const query = (url: URL, name: string) => {
    const value = url.searchParams.get(name);
    if (!value) throw new HttpError(400, `missing query parameter "${name}"`);
    return value;
  };
  const routes: Record<string, Record<string, Route>> = {
    '/account': { GET: () => control.account() },
    '/accounts': { GET: () => control.accounts() },
    '/users': { GET: () => control.users() },
    '/chats': { GET: () => control.chats() },
    '/sent': { GET: () => control.sentMessages() },
    '/sessions': { GET: () => control.sessions() },
    '/rpc-counts': {
      GET: () => control.rpcCounts(),
      DELETE: () => {
        control.resetRpcCounts();
        return { ok: true };
      },
    },
    '/history': { GET: (url) => attempt(() => control.history(query(url, 'peer'))) },
    '/login-code': {
      GET: (url) => {
        const phone = query(url, 'phone');
        const code = attempt(() => control.lastLoginCode(phone));
        if (code === undefined) throw new HttpError(404, `no login code was sent to ${phone} yet`);
        return { phone, code };
      },
    },
    '/client-options': {
      GET: (): ClientOptions => {
        const rsa = serverRsaKey();
        return {
          host: sandbox.host,
          port: sandbox.port,
          dcId: sandbox.dcId,
          apiId: SANDBOX_API_ID,
          apiHash: SANDBOX_API_HASH,
          rsaKey: {
            fingerprint: rsa.fingerprint.toString(),
            n: rsa.n.toString('hex'),
            e: rsa.e.toString('hex'),
          },
        };
      },
    },
    '/inject': {
      POST: (_url, body) => {
        const input = parse(InjectBody, body);
        return attempt(() => control.injectIncomingMessage(input));
      },
    },
    '/fail-next': {
      POST: (_url, body) => {
        const { method, error, times } = parse(FailNextBody, body);
        attempt(() => control.failNext(method, error, times));
        return { ok: true };
      },
    },
    '/sessions/revoke': {
      POST: (_url, body) => {
        const input = parse(RevokeBody, body);
        if ('all' in input) return { revoked: control.revokeAllSessions() };
        attempt(() => control.revokeSession(input.hash));
        return { revoked: 1 };
      },
    },
    '/sessions/mint': {
      POST: (_url, body) => {
        const { account } = parse(MintBody, body);
        return { session: attempt(() => sandbox.mintSession(account)) };
      },
    },
    '/login-token/accept': {
      POST: (_url, body) => {
        const { token: qrToken } = parse(AcceptTokenBody, body);
        attempt(() => control.acceptLoginToken(qrToken));
        return { ok: true };
      },
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (!sameToken(req.headers.authorization, token)) {
          res.setHeader('www-authenticate', 'Bearer');
          throw new HttpError(401, 'missing or wrong bearer token (Authorization: Bearer <control token>)');
        }
        const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
        const byMethod = routes[url.pathname];
        if (!byMethod) throw new HttpError(404, `no route ${url.pathname}`);
        const route = byMethod[req.method ?? 'GET'];
        if (!route) {
          res.setHeader('allow', Object.keys(byMethod).join(', '));
          throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
        }
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        send(res, 200, route(url, body));
      } catch (err) {
        if (err instanceof HttpError) send(res, err.status, { error: err.message });
        else send(res, 500, { error: `sandbox control failed: ${(err as Error).message}` });
      }
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reaching a sandbox that runs in another process (`npm run sandbox`) with an unmodified gramjs client. In the
 * same process the sandbox registers its RSA key in gramjs's key table itself (SANDBOX.md); from another process
 * the key must be fetched (`GET /client-options` of the control API) and registered before the client runs the
 * auth key exchange.
 *
 * ```ts
 * const client = await remoteSandboxClient('http://127.0.0.1:41234', token); // not logged in
 * await client.start({ phoneNumber: '+15550100001', phoneCode: async () => codeFromConsole, onError: … });
 * ```
 */
import { TelegramClient } from 'telegram';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { StringSession } from 'telegram/sessions/index.js';
import { sandboxClientParams } from './client.js';
import { type ClientOptions, ClientOptionsSchema } from './controlHttp.js';

/**
 * Fetches `GET /client-options` from a sandbox's control API.
 * @throws Error naming the status when the API refuses (401: wrong token) or answers something else.
 */
export async function fetchClientOptions(controlUrl: string, token: string): Promise<ClientOptions> {
  const res = await fetch(new URL('/client-options', controlUrl), {
    headers: { authorization: `Bearer ${token}` },
  });
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const reason = (body as { error?: string } | undefined)?.error ?? res.statusText;
    throw new Error(`sandbox control API answered ${res.status}: ${reason}`);
  }
  const parsed = ClientOptionsSchema.safeParse(body);
  if (!parsed.success) throw new Error('sandbox control API sent client options of an unexpected shape');
  return parsed.data;
}

/**
 * Registers a sandbox's RSA public key in this process's gramjs key table (`telegram/crypto/RSA` `_serverKeys`),
 * so gramjs accepts it in the auth key exchange. Idempotent.
 */
export function trustSandboxRsaKey(key: ClientOptions['rsaKey']): void {
  _serverKeys.set(key.fingerprint, {
    n: returnBigInt(BigInt(`0x${key.n}`)),
    e: Number(BigInt(`0x${key.e}`)),
  });
}

/**
 * An unconnected gramjs client for a sandbox in another process: fetches the client options, trusts the
 * sandbox's RSA key, and points a StringSession at it. `session` '' (default) = no auth key yet (log in with
 * `client.start` and the code from `GET /login-code`); or a saved StringSession string, e.g. from
 * `POST /sessions/mint`. Call `destroy()` when done.
 * @throws Error when the control API cannot be reached or refuses the token.
 */
export async function remoteSandboxClient(
  controlUrl: string,
  token: string,
  session = '',
): Promise<TelegramClient> {
  const options = await fetchClientOptions(controlUrl, token);
  trustSandboxRsaKey(options.rsaKey);
  const stringSession = new StringSession(session);
  if (session === '') stringSession.setDC(options.dcId, options.host, options.port);
  return new TelegramClient(stringSession, options.apiId, options.apiHash, sandboxClientParams(options.port));
}

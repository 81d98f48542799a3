/**
 * `tg-bridge login` / `logout` and how `connect` finds its Telegram credentials: a session from
 * `--session-file` / `$TG_BRIDGE_SESSION`, else the vault sealed with the person's passphrase.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Api, TelegramClient } from 'telegram';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import { type ControlClient, connectControl, controlSocketPath } from '../control/controlSocket.js';
import { type MtprotoEndpoint, parseEndpoint, pinnedPortConnection, trustServerKey } from '../telegram/endpoint.js';
import { login, type LoginPrompts, type LoginResult } from '../telegram/login.js';
import { PassphraseSecretBox } from '../vault/secretBox.js';
import { APP_VERSION } from '../version.js';
import { Vault } from '../vault/vault.js';
import type { Asker } from './terminalPrompts.js';

/** Vault file inside a data directory. */
export function vaultPathIn(home: string): string {
  return join(home, 'vault.bin');
}

/** Where CLI account commands print. */
export interface AccountIo {
  out(s: string): void;
  asker: Asker;
}

/** Options shared by login and connect for reaching Telegram. */
export interface TelegramAppOptions {
  home: string;
  apiId?: number;
  apiHash?: string;
  server?: string;
  /** PEM file with the RSA public key of a non-production `server` (the sandbox prints where it wrote it). */
  serverKey?: string;
}

/**
 * Opens the vault with `$TG_BRIDGE_PASSPHRASE` or a passphrase typed at the terminal.
 * @param create when true and no vault exists yet, asks twice and checks both match.
 * @throws Error on mismatch or a too-short passphrase; WrongPassphraseError (from load) when it doesn't open.
 */
export async function openVault(home: string, io: AccountIo, create: boolean): Promise<Vault> {
  const env = process.env.TG_BRIDGE_PASSPHRASE;
  const path = vaultPathIn(home);
  if (env) return new Vault(path, new PassphraseSecretBox(env));
  const probe = new Vault(path, new PassphraseSecretBox('placeholder-not-used'));
  const exists = await probe
    .load()
    .then(() => false)
    .catch(() => true);
  const pass = await io.asker.askSecret(exists ? 'Vault passphrase: ' : 'Choose a vault passphrase (8+ characters): ');
  if (!exists && create) {
    const again = await io.asker.askSecret('Type it again: ');
    if (again !== pass) throw new Error('the two passphrases differ; nothing was saved');
  }
  return new Vault(path, new PassphraseSecretBox(pass));
}

function appCredentials(opts: TelegramAppOptions, stored: { apiId?: number; apiHash?: string }) {
  const apiId = opts.apiId ?? (process.env.TG_API_ID ? Number(process.env.TG_API_ID) : stored.apiId);
  const apiHash = opts.apiHash ?? process.env.TG_API_HASH ?? stored.apiHash;
  if (!apiId || !Number.isInteger(apiId) || apiId <= 0) {
    throw new Error('no api_id: pass --api-id or set TG_API_ID (from my.telegram.org → API development tools)');
  }
  if (!apiHash) throw new Error('no api_hash: pass --api-hash or set TG_API_HASH (from my.telegram.org)');
  return { apiId, apiHash };
}

/** `tg-bridge login`: phone + code + 2FA, or QR; seals the session in the vault. @returns exit code. */
export async function loginCommand(opts: TelegramAppOptions & { qr?: boolean }, io: AccountIo): Promise<number> {
  const vault = await openVault(opts.home, io, true);
  const stored = await vault.load(); // a wrong passphrase fails here, before any login or write
  const { apiId, apiHash } = appCredentials(opts, stored);
  const endpoint = await endpointOf(opts);
  const result = await login({
    apiId,
    apiHash,
    method: opts.qr ? 'qr' : 'phone',
    ...(endpoint ? { endpoint } : {}),
    prompts: {
      phone: () => io.asker.ask('Phone number (international format, e.g. +15551234567): '),
      code: (viaApp) => io.asker.ask(`Login code (sent ${viaApp ? 'to your Telegram app' : 'by SMS'}): `),
      password: (hint) => io.asker.askSecret(`2FA password${hint ? ` (hint: ${hint})` : ''}: `),
      showQr: async (url, expiresAt) => {
        const { default: QRCode } = await import('qrcode'); // only `login --qr` needs it
        const art = await QRCode.toString(url, { type: 'terminal', small: true });
        const seconds = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
        io.out(`\n${art}\nScan this in Telegram on your phone: Settings → Devices → Link Desktop Device (valid ${seconds} s)\n`);
      },
      error: (message) => io.out(`  ${message}\n`),
    },
  });
  await vault.update({ session: result.session, apiId, apiHash });
  const who = result.user.username ? `${result.user.name} (@${result.user.username})` : result.user.name;
  io.out(`Logged in as ${who}. The session is sealed in ${vault.path} (owner-only).\n`);
  return 0;
}

/** Telegram credentials for `connect`: session + app id/hash (+ optional endpoint). */
export interface TelegramCredentials {
  session: string;
  apiId: number;
  apiHash: string;
  endpoint?: MtprotoEndpoint;
}

/**
 * Finds what `connect` needs: `$TG_BRIDGE_SESSION` / a session file when given (`sessionFromEnvOrFile`),
 * else the vault.
 * @throws Error telling the person to run `tg-bridge login` when there is no session anywhere.
 */
export async function loadCredentials(
  opts: TelegramAppOptions,
  io: AccountIo,
  sessionFromEnvOrFile: string | null,
): Promise<TelegramCredentials> {
  const found = await loadCredentialsOrLogin(opts, io, sessionFromEnvOrFile, false);
  if ('credentials' in found) return found.credentials;
  throw new Error('not logged in: run `tg-bridge login` first');
}

/** A login the UI's wizard runs (`tg-bridge ui` without a session): it seals the session in the vault. */
export interface VaultLogin {
  /** Logs in with the wizard's prompts and seals the session. @throws the login's errors (telegram/login.ts). */
  login(method: 'phone' | 'qr', prompts: LoginPrompts): Promise<LoginResult & { credentials: TelegramCredentials }>;
}

/**
 * Like {@link loadCredentials}, but when the vault holds no session yet (and `allowLogin`), returns a
 * {@link VaultLogin} bound to the vault and the app id/hash instead of failing. With `allowLogin` a vault is
 * created when there is none (the passphrase is asked twice).
 * @throws Error for missing app credentials, a wrong passphrase (WrongPassphraseError), or no session
 * without `allowLogin`.
 */
export async function loadCredentialsOrLogin(
  opts: TelegramAppOptions,
  io: AccountIo,
  sessionFromEnvOrFile: string | null,
  allowLogin: boolean,
): Promise<{ credentials: TelegramCredentials } | { pending: VaultLogin }> {
  const endpoint = await endpointOf(opts);
  if (sessionFromEnvOrFile) {
    return { credentials: { session: sessionFromEnvOrFile, ...appCredentials(opts, {}), ...(endpoint ? { endpoint } : {}) } };
  }
  const vault = await openVault(opts.home, io, allowLogin);
  const contents = await vault.load(); // a wrong passphrase fails here
  const app = appCredentials(opts, contents);
  const at = endpoint ? { endpoint } : {};
  if (contents.session) return { credentials: { session: contents.session, ...app, ...at } };
  if (!allowLogin) return { pending: { login: () => Promise.reject(new Error('not logged in')) } };
  return {
    pending: {
      async login(method, prompts) {
        const result = await login({ ...app, ...at, method, prompts });
        await vault.update({ session: result.session, ...app });
        return { ...result, credentials: { session: result.session, ...app, ...at } };
      },
    },
  };
}

/**
 * `tg-bridge logout`: ends the Telegram session (auth.logOut) and wipes it from the vault. When an engine is
 * running on this data folder it is asked to log out over its control socket, with ITS connection, and it stops
 * (issue 8 §7: never a second gramjs connection on the same auth key — Telegram kills both); an engine that
 * can't is reported and nothing is changed. Otherwise this command connects itself. @returns exit code.
 */
export async function logoutCommand(opts: TelegramAppOptions, io: AccountIo): Promise<number> {
  const control = await runningEngine(opts.home);
  if (control === 'unreachable') {
    io.out(
      'A tg-bridge engine seems to be running on this data folder but does not answer. Stop it (Ctrl-C in its ' +
        'terminal, or quit the app), then run `tg-bridge logout` again. Nothing was changed.\n',
    );
    return 1;
  }
  if (control) {
    try {
      return await logoutThroughEngine(control, opts, io);
    } finally {
      control.close();
    }
  }
  const vault = await openVault(opts.home, io, false);
  const contents = await vault.load();
  if (!contents.session) {
    io.out('Not logged in; nothing to do.\n');
    return 0;
  }
  const { apiId, apiHash } = appCredentials(opts, contents);
  const endpoint = await endpointOf(opts);
  const session = new StringSession(contents.session);
  const client = new TelegramClient(session, apiId, apiHash, {
    connectionRetries: 2,
    useWSS: false,
    baseLogger: new Logger(LogLevel.NONE),
    ...(endpoint ? { connection: pinnedPortConnection(endpoint.port) } : {}),
  });
  client.setLogLevel(LogLevel.NONE);
  let remote = 'Telegram ended the session.';
  try {
    await client.connect();
    await client.invoke(new Api.auth.LogOut());
  } catch (err) {
    remote =
      `Telegram could not be told (${(err as Error).message}); end the session from another device ` +
      '(Settings → Devices) to be sure.';
  } finally {
    await client.destroy();
  }
  await vault.update({ session: undefined });
  io.out(`${remote} The local copy is wiped from ${vault.path}.\n`);
  return 0;
}

/** The engine running on `home`, `null` when none runs, or `unreachable` when its socket exists but refuses us. */
async function runningEngine(home: string): Promise<ControlClient | null | 'unreachable'> {
  try {
    return await connectControl(controlSocketPath(home), { app: 'tg-bridge logout', version: APP_VERSION });
  } catch (err) {
    return (err as Error).message.startsWith('no tg-bridge engine is running') ? null : 'unreachable';
  }
}

/** Logout by the running engine: the vault passphrase is checked first, then the engine ends the session. */
async function logoutThroughEngine(control: ControlClient, opts: TelegramAppOptions, io: AccountIo): Promise<number> {
  const hasVault = await stat(vaultPathIn(opts.home)).then(
    () => true,
    () => false,
  );
  const vault = hasVault ? await openVault(opts.home, io, false) : null;
  const contents = vault ? await vault.load() : null; // a wrong passphrase fails here, before anything changes
  const answer = await control.logout();
  if (!answer.ok) {
    io.out(
      `A tg-bridge engine is running and could not log out (${answer.error}). Stop it (Ctrl-C in its terminal, ` +
        'or quit the app), then run `tg-bridge logout` again. Nothing was changed.\n',
    );
    return 1;
  }
  const remote =
    answer.result.telegram === 'ended'
      ? 'The running tg-bridge engine ended the Telegram session and stopped.'
      : `The running tg-bridge engine stopped, but Telegram could not be told (${answer.result.detail ?? 'no answer'}); ` +
        'end the session from another device (Settings → Devices) to be sure.';
  if (vault && contents?.session) {
    await vault.update({ session: undefined });
    io.out(`${remote} The local copy is wiped from ${vault.path}.\n`);
  } else {
    io.out(`${remote} No session was stored in the vault.\n`);
  }
  return 0;
}

/**
 * The non-production MTProto endpoint from `--server`, trusting its RSA key from `--server-key` when given.
 * @throws Error for a malformed endpoint, or a key file that is missing or not an RSA public key.
 */
export async function endpointOf(opts: TelegramAppOptions): Promise<MtprotoEndpoint | undefined> {
  if (opts.serverKey && !opts.server) throw new Error('--server-key goes with --server');
  if (!opts.server) return undefined;
  const endpoint = parseEndpoint(opts.server);
  if (opts.serverKey) {
    const pem = await readFile(opts.serverKey, 'utf8').catch(() => {
      throw new Error(`server key file not found: ${opts.serverKey}`);
    });
    trustServerKey(pem);
  }
  return endpoint;
}

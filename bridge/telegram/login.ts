/**
 * Telegram login as a person meets it (issue 5 "Vault and login"): phone number → code → 2FA password
 * (SRP, done by gramjs), or a QR code scanned from a phone that is already logged in. Produces the session
 * string the vault then seals; nothing here writes it anywhere.
 */
import { TelegramClient } from 'telegram';
import type { TelegramClientParams } from 'telegram/client/telegramBaseClient.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import { type MtprotoEndpoint, pinnedPortConnection } from './endpoint.js';

/** How the login asks the person. Each prompt resolves with what they typed. */
export interface LoginPrompts {
  phone(): Promise<string>;
  code(viaApp: boolean): Promise<string>;
  /** 2FA password; `hint` is the hint the person set in Telegram. */
  password(hint?: string): Promise<string>;
  /** Shows a QR login URL (`tg://login?token=…`) until `expiresAt` (ms); called again with a fresh one. */
  showQr?(url: string, expiresAt: number): Promise<void>;
  /** A recoverable error (wrong code, wrong password): tell the person; the flow asks again. */
  error(message: string): void;
}

/** Options of {@link login}. */
export interface LoginOptions {
  apiId: number;
  apiHash: string;
  method: 'phone' | 'qr';
  prompts: LoginPrompts;
  endpoint?: MtprotoEndpoint;
  clientParams?: Partial<TelegramClientParams>;
  /** Give up after this many failed attempts (wrong code/password), default 5. */
  maxAttempts?: number;
}

/** Result of a login: the session (secret) and who logged in (display only). */
export interface LoginResult {
  session: string;
  user: { id: string; name: string; username: string | null };
}

/** Errors a person can fix by typing again, mapped to plain words. */
const RETRYABLE: Record<string, string> = {
  PHONE_CODE_INVALID: 'that code is not right; check the code Telegram sent and type it again',
  PHONE_CODE_EMPTY: 'the code is empty; type the code Telegram sent',
  PASSWORD_HASH_INVALID: 'that 2FA password is not right; try again',
  PHONE_NUMBER_INVALID: 'that phone number is not valid; use the international format, e.g. +15551234567',
};

/**
 * Logs in and returns the session string.
 * @throws Error with a plain reason when the flow cannot finish (too many attempts, expired code, phone not
 *   registered, network failure); the partially created client is always destroyed.
 */
export async function login(options: LoginOptions): Promise<LoginResult> {
  const session = new StringSession('');
  if (options.endpoint) session.setDC(options.endpoint.dcId, options.endpoint.host, options.endpoint.port);
  const client = new TelegramClient(session, options.apiId, options.apiHash, {
    connectionRetries: 3,
    floodSleepThreshold: 0,
    useWSS: false,
    baseLogger: new Logger(LogLevel.NONE),
    ...(options.endpoint ? { connection: pinnedPortConnection(options.endpoint.port) } : {}),
    ...options.clientParams,
  });
  client.setLogLevel(LogLevel.NONE);
  const maxAttempts = options.maxAttempts ?? 5;
  let failures = 0;
  let fatal: Error | null = null;
  const onError = async (err: Error): Promise<boolean> => {
    const code = rpcCode(err);
    const retry = RETRYABLE[code];
    failures += 1;
    if (retry && failures < maxAttempts) {
      options.prompts.error(retry);
      return false;
    }
    fatal = new Error(explain(code, err, failures >= maxAttempts));
    return true;
  };
  try {
    await client.connect();
    if (options.method === 'qr') {
      const showQr = options.prompts.showQr;
      if (!showQr) throw new Error('this front end cannot show a QR code; use phone login');
      await client.signInUserWithQrCode(
        { apiId: options.apiId, apiHash: options.apiHash },
        {
          qrCode: async ({ token, expires }) =>
            showQr(`tg://login?token=${token.toString('base64url')}`, expires * 1000),
          password: (hint) => options.prompts.password(hint),
          onError,
        },
      );
    } else {
      await client.start({
        phoneNumber: () => options.prompts.phone(),
        phoneCode: (viaApp) => options.prompts.code(Boolean(viaApp)),
        password: (hint) => options.prompts.password(hint),
        onError,
      });
    }
    if (fatal) throw fatal;
    const me = await client.getMe();
    return {
      session: session.save(),
      user: {
        id: me.id.toString(),
        name: [me.firstName, me.lastName].filter(Boolean).join(' '),
        username: me.username ?? null,
      },
    };
  } catch (err) {
    throw fatal ?? new Error(explain(rpcCode(err), err as Error, false));
  } finally {
    await client.destroy();
  }
}

/**
 * The RPC error name of a gramjs error. gramjs turns `FLOOD_WAIT_42` into a FloodWaitError whose `errorMessage`
 * is only `FLOOD` and whose `seconds` holds the wait: put the number back so the person learns how long.
 */
function rpcCode(err: unknown): string {
  const e = err as { errorMessage?: string; seconds?: number };
  const code = e.errorMessage ?? '';
  return code === 'FLOOD' && typeof e.seconds === 'number' ? `FLOOD_WAIT_${e.seconds}` : code;
}

function explain(code: string, err: Error, exhausted: boolean): string {
  if (exhausted) return 'too many wrong attempts; wait a little and run `tg-bridge login` again';
  switch (code) {
    case 'PHONE_CODE_EXPIRED':
      return 'the login code expired; run `tg-bridge login` again to get a new one';
    case 'PHONE_NUMBER_UNOCCUPIED':
      return 'no Telegram account uses that phone number; sign up in a Telegram app first';
    case 'AUTH_TOKEN_EXPIRED':
      return 'the QR code expired before it was scanned; run `tg-bridge login --qr` again';
    case 'PHONE_NUMBER_BANNED':
      return 'Telegram has banned this phone number';
    default:
      if (code.startsWith('FLOOD_WAIT')) return `Telegram asks to wait before trying again (${code})`;
      return `login failed: ${code || err.message}`;
  }
}

/**
 * Logging in as a person meets it, driven by gramjs's own login code (`client.start`, `signInUserWithQrCode`):
 * phone code with wrong and expired codes, 2FA with SRP, QR login accepted by another device, logging out, and
 * listing and terminating sessions. Every client is destroyed after its test.
 */
import { Api, type TelegramClient } from 'telegram';
import { RPCError } from 'telegram/errors/index.js';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { computeCheck } from 'telegram/Password.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SRP_G, SRP_PRIME, type SrpChallenge, SrpPassword } from '../../sandbox/auth/srp.js';
import {
  createSandboxClient,
  defaultFixture,
  type Fixture,
  SANDBOX_API_HASH,
  SANDBOX_API_ID,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from '../../sandbox/index.js';
import { toTlLong } from '../../sandbox/mtproto/tlWire.js';

const API = { apiId: SANDBOX_API_ID, apiHash: SANDBOX_API_HASH };
const PASSWORD = 'correct horse battery staple';

let sandbox: Sandbox | undefined;
const clients: TelegramClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await sandbox?.stop();
  sandbox = undefined;
});

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox(options);
  return sandbox;
}

/** The default fixture with a 2FA password on the account. */
function twoFactorFixture(): Fixture {
  const f = defaultFixture();
  return { ...f, account: { ...f.account, password: PASSWORD, passwordHint: 'the xkcd one' } };
}

/** A connected client without a logged-in key (it ran the auth key exchange). */
async function freshClient(s: Sandbox): Promise<TelegramClient> {
  const client = createSandboxClient(s, '');
  clients.push(client);
  await client.connect();
  return client;
}

/** A connected client logged in through a minted session. */
async function loggedInClient(s: Sandbox): Promise<TelegramClient> {
  const client = createSandboxClient(s);
  clients.push(client);
  await client.connect();
  return client;
}

function rpcMessage(err: unknown): string {
  return err instanceof RPCError ? err.errorMessage : String(err);
}

/** The account's phone as a person types it. */
function typedPhone(s: Sandbox): string {
  return `+${s.control.account().phone}`;
}

describe('login with a phone code', () => {
  it('client.start with the code from the control API logs in; the saved session works later', async () => {
    const s = await start();
    const client = await freshClient(s);
    const errors: string[] = [];
    await client.start({
      phoneNumber: typedPhone(s),
      phoneCode: async () => s.control.lastLoginCode(typedPhone(s))!,
      onError: async (err) => {
        errors.push(rpcMessage(err));
        return true;
      },
    });
    expect(errors).toEqual([]);
    expect(await client.isUserAuthorized()).toBe(true);
    const me = await client.getMe();
    expect(me.username).toBe(s.control.account().username);

    const saved = client.session.save() as unknown as string;
    await client.destroy();
    const again = createSandboxClient(s, saved);
    clients.push(again);
    await again.connect();
    expect((await again.getMe()).id.toString()).toBe(String(s.control.account().id));
  });

  it('a wrong code gives PHONE_CODE_INVALID and the right one still works', async () => {
    const s = await start();
    const client = await freshClient(s);
    const errors: string[] = [];
    const typed: string[] = [];
    await client.start({
      phoneNumber: typedPhone(s),
      phoneCode: async () => {
        const right = s.control.lastLoginCode(typedPhone(s))!;
        const code = typed.length === 0 ? (right === '00000' ? '11111' : '00000') : right;
        typed.push(code);
        return code;
      },
      onError: async (err) => {
        errors.push(rpcMessage(err));
        return false;
      },
    });
    expect(errors).toEqual(['PHONE_CODE_INVALID']);
    expect(typed).toHaveLength(2);
    expect(await client.isUserAuthorized()).toBe(true);
  });

  it('an expired code gives PHONE_CODE_EXPIRED; a used or replaced one too', async () => {
    const s = await start({ loginCodeTtlMs: 150 });
    const client = await freshClient(s);
    const phoneNumber = typedPhone(s);
    const sent = (await client.invoke(
      new Api.auth.SendCode({ phoneNumber, ...API, settings: new Api.CodeSettings({}) }),
    )) as Api.auth.SentCode;
    expect(sent.type).toBeInstanceOf(Api.auth.SentCodeTypeSms);
    expect((sent.type as Api.auth.SentCodeTypeSms).length).toBe(5);
    const code = s.control.lastLoginCode(phoneNumber)!;
    expect(code).toMatch(/^\d{5}$/);
    await new Promise((r) => setTimeout(r, 200));
    const signIn = (hash: string, phoneCode: string) =>
      client.invoke(new Api.auth.SignIn({ phoneNumber, phoneCodeHash: hash, phoneCode }));
    await expect(signIn(sent.phoneCodeHash, code)).rejects.toThrow(/PHONE_CODE_EXPIRED/);

    // A new sendCode replaces the previous code.
    const first = (await client.sendCode(API, phoneNumber)).phoneCodeHash;
    const second = (await client.sendCode(API, phoneNumber)).phoneCodeHash;
    await expect(signIn(first, s.control.lastLoginCode(phoneNumber)!)).rejects.toThrow(/PHONE_CODE_EXPIRED/);
    const auth = (await signIn(second, s.control.lastLoginCode(phoneNumber)!)) as Api.auth.Authorization;
    expect((auth.user as Api.User).self).toBe(true);
    // …and works once.
    await expect(signIn(second, s.control.lastLoginCode(phoneNumber)!)).rejects.toThrow(/PHONE_CODE_EXPIRED/);
  });

  it('a number no account has gets a code, then PHONE_NUMBER_UNOCCUPIED; sign-up is refused', async () => {
    const s = await start();
    const client = await freshClient(s);
    const errors: string[] = [];
    const phoneNumber = '+1 555 010 9999';
    await expect(
      client.start({
        phoneNumber,
        phoneCode: async () => s.control.lastLoginCode(phoneNumber)!,
        onError: async (err) => {
          errors.push(rpcMessage(err));
          return true;
        },
      }),
    ).rejects.toThrow(/AUTH_USER_CANCEL/);
    expect(errors).toEqual(['PHONE_NUMBER_UNOCCUPIED']);
    const hash = (await client.sendCode(API, phoneNumber)).phoneCodeHash;
    await expect(
      client.invoke(new Api.auth.SignUp({ phoneNumber, phoneCodeHash: hash, firstName: 'New', lastName: '' })),
    ).rejects.toThrow(/SIGN_UP_NOT_SUPPORTED_SANDBOX/);
    await expect(client.sendCode(API, 'not a phone')).rejects.toThrow(/PHONE_NUMBER_INVALID/);
    expect(await client.isUserAuthorized()).toBe(false);
  });
});

describe('2FA with SRP', () => {
  it('signIn on a 2FA account asks for the password; a wrong one is PASSWORD_HASH_INVALID, the right one logs in', async () => {
    const s = await start({ fixture: twoFactorFixture() });
    const client = await freshClient(s);
    const errors: string[] = [];
    const hints: Array<string | undefined> = [];
    await client.start({
      phoneNumber: typedPhone(s),
      phoneCode: async () => s.control.lastLoginCode(typedPhone(s))!,
      password: async (hint) => {
        hints.push(hint);
        return hints.length === 1 ? 'Tr0ub4dor&3' : PASSWORD;
      },
      onError: async (err) => {
        errors.push(rpcMessage(err));
        return false;
      },
    });
    expect(errors).toEqual(['PASSWORD_HASH_INVALID']);
    expect(hints).toEqual(['the xkcd one', 'the xkcd one']);
    expect((await client.getMe()).self).toBe(true);
  });

  it('speaks Telegram’s algorithm: exact prime, g = 3, and SESSION_PASSWORD_NEEDED before the password', async () => {
    const s = await start({ fixture: twoFactorFixture() });
    const client = await freshClient(s);
    await expect(client.invoke(new Api.account.GetPassword())).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
    const phoneNumber = typedPhone(s);
    const { phoneCodeHash } = await client.sendCode(API, phoneNumber);
    const err = await client
      .invoke(
        new Api.auth.SignIn({ phoneNumber, phoneCodeHash, phoneCode: s.control.lastLoginCode(phoneNumber)! }),
      )
      .catch((e: unknown) => e);
    expect(rpcMessage(err)).toBe('SESSION_PASSWORD_NEEDED');
    expect((err as RPCError).code).toBe(401);
    // Not logged in yet.
    await expect(client.invoke(new Api.updates.GetState())).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);

    const pw = await client.invoke(new Api.account.GetPassword());
    expect(pw.hasPassword).toBe(true);
    const algo = pw.currentAlgo as Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow;
    expect(algo).toBeInstanceOf(Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow);
    expect(algo.g).toBe(3);
    expect(algo.p.toString('hex').startsWith('c71caeb9c6b1c9048e6c522f70f13f73')).toBe(true);
    expect(algo.p).toHaveLength(256);
    expect(pw.srp_B).toHaveLength(256);

    // A proof for a used srp_id is refused even with the right password.
    const check = await computeCheck(pw, PASSWORD);
    await client.invoke(new Api.auth.CheckPassword({ password: check }));
    await expect(client.invoke(new Api.auth.CheckPassword({ password: check }))).rejects.toThrow(/SRP_ID_INVALID/);
    expect((await client.getMe()).self).toBe(true);
  });

  it('an account without 2FA reports hasPassword false with a new_algo to set one', async () => {
    const s = await start();
    const client = await loggedInClient(s);
    const pw = await client.invoke(new Api.account.GetPassword());
    expect(pw.hasPassword).toBe(false);
    expect(pw.newAlgo).toBeInstanceOf(Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow);
    expect(pw.srp_B ?? undefined).toBeUndefined();
    expect(pw.currentAlgo ?? undefined).toBeUndefined();
  });

  it('the SRP verifier accepts exactly gramjs’s proof for the right password, once', async () => {
    const password = await SrpPassword.create('hunter2', 'pets');
    const asRequest = (challenge: SrpChallenge) =>
      new Api.account.Password({
        hasPassword: true,
        currentAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
          salt1: password.salt1,
          salt2: password.salt2,
          g: SRP_G,
          p: Buffer.from(SRP_PRIME.toString(16).padStart(512, '0'), 'hex'),
        }),
        srp_B: challenge.srpB,
        srpId: toTlLong(challenge.srpId),
        newAlgo: new Api.PasswordKdfAlgoUnknown(),
        newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(),
        secureRandom: Buffer.alloc(0),
      });
    const first = password.challenge();
    const right = await computeCheck(asRequest(first), 'hunter2');
    expect(password.check(first.srpId, right.A, right.M1)).toBe('ok');
    expect(password.check(first.srpId, right.A, right.M1)).toBe('unknown-srp-id');
    const second = password.challenge();
    const wrong = await computeCheck(asRequest(second), 'hunter3');
    expect(password.check(second.srpId, wrong.A, wrong.M1)).toBe('wrong');
    const third = password.challenge();
    const proof = await computeCheck(asRequest(third), 'hunter2');
    expect(password.check(third.srpId, Buffer.alloc(256), proof.M1)).toBe('wrong');
  });
});

describe('QR login', () => {
  it('signInUserWithQrCode logs in once the control API accepts the token (updateLoginToken is pushed)', async () => {
    const s = await start();
    const client = await freshClient(s);
    const shown: Array<{ token: Buffer; expires: number }> = [];
    const user = (await client.signInUserWithQrCode(API, {
      qrCode: async (qr) => {
        shown.push(qr);
        setTimeout(() => s.control.acceptLoginToken(qr.token.toString('base64url')), 20);
      },
      onError: async () => true,
    })) as Api.User;
    expect(shown).toHaveLength(1);
    expect(shown[0]!.token.length).toBeGreaterThanOrEqual(16);
    expect(shown[0]!.expires).toBeGreaterThan(Date.now() / 1000);
    expect(user.self).toBe(true);
    expect(await client.isUserAuthorized()).toBe(true);
  });

  it('another logged-in device accepts the token with auth.acceptLoginToken and sees the new session', async () => {
    const s = await start();
    const phone = await loggedInClient(s);
    const waiting = await freshClient(s);
    let accepted: Api.Authorization | undefined;
    await waiting.signInUserWithQrCode(API, {
      qrCode: async ({ token }) => {
        accepted = (await phone.invoke(new Api.auth.AcceptLoginToken({ token }))) as Api.Authorization;
      },
      onError: async () => true,
    });
    expect(accepted?.deviceModel).toBe('sandbox client');
    expect(accepted?.apiId).toBe(SANDBOX_API_ID);
    expect((await waiting.getMe()).self).toBe(true);
    // The token is used up.
    const reuse = await waiting
      .invoke(new Api.auth.ExportLoginToken({ ...API, exceptIds: [] }))
      .then((r) => (r as Api.auth.LoginToken).token);
    await phone.invoke(new Api.auth.AcceptLoginToken({ token: reuse }));
    await expect(phone.invoke(new Api.auth.AcceptLoginToken({ token: reuse }))).rejects.toThrow(
      /AUTH_TOKEN_ALREADY_ACCEPTED/,
    );
  });

  it('an expired token is refused with AUTH_TOKEN_EXPIRED; an unknown one with AUTH_TOKEN_INVALID', async () => {
    const s = await start({ loginTokenTtlMs: 100 });
    const phone = await loggedInClient(s);
    const waiting = await freshClient(s);
    const exported = (await waiting.invoke(
      new Api.auth.ExportLoginToken({ ...API, exceptIds: [] }),
    )) as Api.auth.LoginToken;
    await new Promise((r) => setTimeout(r, 150));
    await expect(phone.invoke(new Api.auth.AcceptLoginToken({ token: exported.token }))).rejects.toThrow(
      /AUTH_TOKEN_EXPIRED/,
    );
    expect(() => s.control.acceptLoginToken(exported.token)).toThrow(/AUTH_TOKEN_EXPIRED/);
    expect(() => s.control.acceptLoginToken(Buffer.alloc(32, 7))).toThrow(/AUTH_TOKEN_INVALID/);
    expect(await waiting.isUserAuthorized()).toBe(false);
  });

  it('QR login on a 2FA account continues with the password', async () => {
    const s = await start({ fixture: twoFactorFixture() });
    const client = await freshClient(s);
    const user = (await client.signInUserWithQrCode(API, {
      qrCode: async ({ token }) => {
        setTimeout(() => s.control.acceptLoginToken(token), 20);
      },
      password: async () => PASSWORD,
      onError: async () => true,
    })) as Api.User;
    expect(user.self).toBe(true);
    expect(await client.isUserAuthorized()).toBe(true);
  });
});

describe('logging out and sessions', () => {
  it('auth.logOut makes the key unauthorised: later calls get AUTH_KEY_UNREGISTERED, other sessions go on', async () => {
    const s = await start();
    const leaving = await loggedInClient(s);
    const staying = await loggedInClient(s);
    expect(s.control.sessions()).toHaveLength(2);
    const out = await leaving.invoke(new Api.auth.LogOut());
    expect(out).toBeInstanceOf(Api.auth.LoggedOut);
    await expect(leaving.getMe()).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
    expect(await leaving.isUserAuthorized()).toBe(false);
    expect((await staying.getMe()).self).toBe(true);
    expect(s.control.sessions()).toHaveLength(1);
  });

  it('account.getAuthorizations lists every session with device, app and dates; the caller is current', async () => {
    const s = await start();
    const a = await loggedInClient(s);
    const b = await loggedInClient(s);
    await b.getMe();
    const { authorizations, authorizationTtlDays } = await a.invoke(new Api.account.GetAuthorizations());
    expect(authorizationTtlDays).toBeGreaterThan(0);
    expect(authorizations).toHaveLength(2);
    const current = authorizations.filter((x) => x.current);
    expect(current).toHaveLength(1);
    expect(current[0]!.hash.toString()).toBe('0');
    for (const x of authorizations) {
      expect(x.deviceModel).toBe('sandbox client');
      expect(x.appVersion).toBe('1.0');
      expect(x.systemVersion).toBe(process.version);
      expect(x.apiId).toBe(SANDBOX_API_ID);
      expect(x.ip).toBe('127.0.0.1');
      expect(x.dateCreated).toBeGreaterThan(0);
      expect(x.dateActive).toBeGreaterThanOrEqual(x.dateCreated);
    }
    const other = authorizations.find((x) => !x.current)!;
    expect(s.control.sessions().map((x) => x.hash)).toContain(other.hash.toString());
  });

  it('account.resetAuthorization terminates another session: its next call gets AUTH_KEY_UNREGISTERED', async () => {
    const s = await start();
    const phone = await loggedInClient(s);
    const laptop = await loggedInClient(s);
    await laptop.getMe();
    const { authorizations } = await phone.invoke(new Api.account.GetAuthorizations());
    const other = authorizations.find((x) => !x.current)!;
    expect(await phone.invoke(new Api.account.ResetAuthorization({ hash: other.hash }))).toBe(true);
    await expect(laptop.getDialogs({})).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
    expect((await phone.getMe()).self).toBe(true);
    await expect(phone.invoke(new Api.account.ResetAuthorization({ hash: other.hash }))).rejects.toThrow(
      /HASH_INVALID/,
    );
    await expect(phone.invoke(new Api.account.ResetAuthorization({ hash: BigInt(0) as never }))).rejects.toThrow(
      /HASH_INVALID/,
    );
  });

  it('control.revokeSession terminates a session; it stops hearing updates', async () => {
    const s = await start();
    const revoked = await loggedInClient(s);
    const kept = await loggedInClient(s);
    await revoked.getMe();
    await kept.getMe();
    const [first] = s.control.sessions();
    s.control.revokeSession(first!.hash);
    expect(() => s.control.revokeSession(first!.hash)).toThrow(/no session/);
    expect(() => s.control.revokeSession('nope')).toThrow(/not a session hash/);
    const heard: NewMessageEvent[] = [];
    revoked.addEventHandler((e: NewMessageEvent) => void heard.push(e), new NewMessage({}));
    const keptHeard: NewMessageEvent[] = [];
    kept.addEventHandler((e: NewMessageEvent) => void keptHeard.push(e), new NewMessage({}));
    s.control.injectIncomingMessage({ fromUserId: s.control.users()[0]!.id, text: 'still there?' });
    await expect(revoked.getMe()).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
    for (let i = 0; i < 100 && keptHeard.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(keptHeard).toHaveLength(1);
    expect(heard).toHaveLength(0);
    expect(s.control.revokeAllSessions()).toBe(1);
    await expect(kept.getMe()).rejects.toThrow(/AUTH_KEY_UNREGISTERED/);
  });
});

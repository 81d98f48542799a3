/**
 * `tg-bridge login` / `connect` credentials / `logout` against the sandbox with unmodified gramjs: phone +
 * code + 2FA into the vault, a wrong code asked again, QR login, a wrong vault passphrase that changes
 * nothing, and logout ending the session in Telegram.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCredentials, loginCommand, logoutCommand, vaultPathIn } from '../../../bridge/cli/account.js';
import type { Asker } from '../../../bridge/cli/terminalPrompts.js';
import { GramjsGateway } from '../../../bridge/telegram/gateway.js';
import { defaultFixture, SANDBOX_API_HASH, SANDBOX_API_ID, type Sandbox, startSandbox } from '../../../sandbox/index.js';

const PASSWORD = 'correct horse battery staple';
let sandbox: Sandbox;
let home: string;
let printed: string[];
const savedEnv = { ...process.env };

beforeEach(async () => {
  const f = defaultFixture();
  sandbox = await startSandbox({ fixture: { ...f, account: { ...f.account, password: PASSWORD, passwordHint: 'xkcd' } } });
  home = await mkdtemp(join(tmpdir(), 'tgb-login-'));
  printed = [];
  process.env.TG_BRIDGE_PASSPHRASE = 'vault passphrase 1';
  process.env.TG_API_ID = String(SANDBOX_API_ID);
  process.env.TG_API_HASH = SANDBOX_API_HASH;
});
afterEach(async () => {
  process.env = { ...savedEnv };
  await sandbox.stop();
  await rm(home, { recursive: true, force: true });
});

/** Answers prompts by matching the question; each answer may be computed when asked. */
function scripted(answers: Array<[RegExp, () => string]>): Asker & { asked: string[] } {
  const asked: string[] = [];
  const answer = async (q: string) => {
    asked.push(q);
    const hit = answers.find(([re]) => re.test(q));
    if (!hit) throw new Error(`unexpected question: ${q}`);
    return hit[1]();
  };
  return { asked, ask: answer, askSecret: answer, close: () => {} };
}

/** The person at the terminal: types the account's phone, the code the sandbox sent, and the 2FA password. */
function personWithPhone() {
  const phone = sandbox.control.account().phone;
  return scripted([
    [/Phone number/, () => `+${phone}`],
    [/Login code/, () => sandbox.control.lastLoginCode(phone)!],
    [/2FA password/, () => PASSWORD],
  ]);
}

const server = () => `${sandbox.host}:${sandbox.port}`;
const io = (asker: Asker) => ({ out: (s: string) => void printed.push(s), asker });

describe('tg-bridge login / logout', () => {
  it('phone + code (a wrong one asked again) + 2FA seals a working session in the vault', async () => {
    const phone = sandbox.control.account().phone;
    let codeTries = 0;
    const asker = scripted([
      [/Phone number/, () => `+${phone}`],
      [/Login code/, () => (++codeTries === 1 ? '00000' : sandbox.control.lastLoginCode(phone)!)],
      [/2FA password \(hint: xkcd\)/, () => PASSWORD],
    ]);
    expect(await loginCommand({ home, server: server() }, io(asker))).toBe(0);
    expect(printed.join('')).toMatch(/code is not right/);
    expect(printed.join('')).toMatch(/Logged in as Dana/);
    const vaultBytes = await readFile(vaultPathIn(home));
    expect(vaultBytes.includes(Buffer.from(phone))).toBe(false);

    const creds = await loadCredentials({ home, server: server() }, io(scripted([])), null);
    const gateway = new GramjsGateway(creds);
    try {
      expect((await gateway.listDialogs({ limit: 3 })).length).toBe(3);
    } finally {
      await gateway.close();
    }
  }, 30_000);

  it('a wrong vault passphrase is a clear error and leaves the vault as it was', async () => {
    const asker = personWithPhone();
    await loginCommand({ home, server: server() }, io(asker));
    const before = await readFile(vaultPathIn(home));
    process.env.TG_BRIDGE_PASSPHRASE = 'not the passphrase';
    await expect(loginCommand({ home, server: server() }, io(asker))).rejects.toThrow(/wrong passphrase/);
    await expect(loadCredentials({ home }, io(asker), null)).rejects.toThrow(/wrong passphrase/);
    expect((await readFile(vaultPathIn(home))).equals(before)).toBe(true);
  }, 30_000);

  it('QR login: the code is drawn, accepted on the phone, then the 2FA password completes it', async () => {
    const asker = scripted([[/2FA password/, () => PASSWORD]]);
    const ioWithQr = {
      out: (s: string) => {
        printed.push(s);
        // The person scans the code on their phone, which accepts the login token.
        const token = lastQrUrl.split('token=')[1];
        if (s.includes('Scan this') && token) setTimeout(() => sandbox.control.acceptLoginToken(token), 50);
      },
      asker,
    };
    let lastQrUrl = '';
    const qrcode = await import('qrcode');
    const original = qrcode.default.toString;
    (qrcode.default as { toString: unknown }).toString = async (text: string, opts: unknown) => {
      lastQrUrl = text;
      return (original as (t: string, o: unknown) => Promise<string>)(text, opts);
    };
    try {
      expect(await loginCommand({ home, server: server(), qr: true }, ioWithQr)).toBe(0);
    } finally {
      (qrcode.default as { toString: unknown }).toString = original;
    }
    expect(lastQrUrl).toMatch(/^tg:\/\/login\?token=/);
    expect(printed.join('')).toMatch(/Logged in as Dana/);
  }, 30_000);

  it('logout ends the Telegram session and wipes the local copy', async () => {
    const asker = personWithPhone();
    await loginCommand({ home, server: server() }, io(asker));
    const sessionsBefore = sandbox.control.sessions().length;
    expect(await logoutCommand({ home, server: server() }, io(asker))).toBe(0);
    expect(printed.join('')).toMatch(/Telegram ended the session\. The local copy is wiped/);
    expect(sandbox.control.sessions().length).toBe(sessionsBefore - 1);
    await expect(loadCredentials({ home }, io(asker), null)).rejects.toThrow(/not logged in: run `tg-bridge login`/);
  }, 30_000);
});

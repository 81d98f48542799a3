/**
 * `npm run sandbox` as a person uses it: a separate process seeded from a fixture file that prints where it
 * listens, the control token and each login code; an unmodified gramjs client in this process (which never
 * started a sandbox itself, so it must fetch and trust the server's RSA key) logs in with the printed code and
 * the fixture's 2FA password; SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelegramClient } from 'telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultFixture } from '../../sandbox/fixture.js';
import { remoteSandboxClient } from '../../sandbox/remote.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const children: ChildProcess[] = [];
const clients: TelegramClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Starts `tsx sandbox/cli.ts …args`; `output()` is everything printed so far. */
function runCli(args: string[]): { child: ChildProcess; output: () => string; errors: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { child, output: () => out, errors: () => err };
}

async function waitFor<T>(read: () => T | undefined, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting for the sandbox process');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm run sandbox', () => {
  it('serves a fixture file; a gramjs client logs in with the printed code and 2FA password; SIGTERM exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    dirs.push(dir);
    const base = defaultFixture();
    const fixturePath = join(dir, 'world.json');
    await writeFile(
      fixturePath,
      JSON.stringify({ ...base, account: { ...base.account, password: 'open sesame', passwordHint: 'ali baba' } }),
    );
    const cli = runCli(['--fixture', fixturePath]);
    const banner = await waitFor(() => {
      if (cli.child.exitCode !== null) throw new Error(`the sandbox exited: ${cli.errors()}`);
      return cli.output().includes('Ctrl-C stops') ? cli.output() : undefined;
    });
    expect(banner).toMatch(/MTProto {6}127\.0\.0\.1:\d+ \(DC 2/);
    expect(banner).toMatch(/2FA password set/);
    const url = /control API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!;
    const token = /token {8}(\S+)/.exec(banner)![1]!;
    expect(banner).toContain(`remoteSandboxClient('${url}', '${token}')`);

    const client = await remoteSandboxClient(url, token);
    clients.push(client);
    await client.start({
      phoneNumber: `+${base.account.phone}`,
      phoneCode: () =>
        waitFor(() => new RegExp(`login code for \\+${base.account.phone}: (\\d{5})`).exec(cli.output())?.[1]),
      password: async (hint) => (hint === 'ali baba' ? 'open sesame' : 'no hint?'),
      onError: async () => true,
    });
    expect((await client.getMe()).username).toBe(base.account.username);
    await client.destroy();

    cli.child.kill('SIGTERM');
    expect(await exited(cli.child)).toBe(0);
  });

  it('refuses a bad fixture or port with a message and exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    dirs.push(dir);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ account: { id: 1 } }));
    const withBadFixture = runCli(['--fixture', bad]);
    expect(await exited(withBadFixture.child)).toBe(1);
    expect(withBadFixture.errors()).toMatch(/invalid sandbox fixture .*bad\.json/);
    const withBadPort = runCli(['--port', '40000']);
    expect(await exited(withBadPort.child)).not.toBe(0);
    expect(withBadPort.errors()).toMatch(/port must be an integer 0–32767/);
  });
});

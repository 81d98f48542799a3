/** `tg-relay` CLI: config validation, and a real `serve` process that prints its URLs and stops on SIGINT. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRelayConfig, type RelayCliIo, runRelayCli } from '../../relay/cli.js';
import { RELAY_VERSION } from '../../relay/version.js';
import { testUsers } from './helpers.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-relay-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

describe('loadRelayConfig', () => {
  it('reads a valid file', async () => {
    const { alice } = testUsers();
    const path = await configFile('ok.json', JSON.stringify({ users: [alice] }));
    expect(await loadRelayConfig(path)).toEqual({ users: [alice] });
  });

  it('says what is wrong with a bad file, without echoing tokens', async () => {
    await expect(loadRelayConfig(join(dir, 'absent.json'))).rejects.toThrow(
      /cannot read config file .*ENOENT/,
    );
    await expect(loadRelayConfig(await configFile('bad.json', '{users:'))).rejects.toThrow(/not valid JSON/);
    const short = 'tiny-token';
    const path = await configFile(
      'short.json',
      JSON.stringify({ users: [{ id: 'a', mcpToken: short, bridgeToken: 'x'.repeat(20) }] }),
    );
    const err = await loadRelayConfig(path).catch((e: Error) => e);
    expect(String(err)).toMatch(/users\.0\.mcpToken: a token must have at least 16 characters/);
    expect(String(err)).not.toContain(short);
    await expect(loadRelayConfig(await configFile('empty.json', '{"users":[]}'))).rejects.toThrow(/users/);
  });
});

describe('tg-relay serve', () => {
  it('prints the MCP and bridge URLs, serves, and exits 0 on SIGINT', async () => {
    const { alice } = testUsers();
    const path = await configFile('serve.json', JSON.stringify({ users: [alice] }));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'relay/cli.ts', 'serve', '--port', '0', '--config', path, '--log-level', 'silent', '--data-dir', join(dir, 'data')],
      { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/Bridge endpoint:/.test(out) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const mcpUrl = /MCP endpoint:\s+(\S+)/.exec(out)?.[1];
    expect(mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(out).toMatch(/Bridge endpoint:\s+ws:\/\/127\.0\.0\.1:\d+\/bridge/);
    // The URLs a person pastes into Claude and ChatGPT, and how to pair.
    expect(out).toContain(`Claude (claude.ai or Claude Desktop): Settings → Connectors → Add custom connector → URL: ${mcpUrl}`);
    expect(out).toContain(`MCP Server URL: ${mcpUrl}, Authentication: OAuth`);
    expect(out).toMatch(/tg-bridge pair --relay http:\/\/127\.0\.0\.1:\d+\n/);
    expect((await fetch(mcpUrl!.replace(/\/mcp$/, '/healthz'))).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 40_000);
});

/** Runs the CLI in process with `stdin` as standard input; collects what it wrote. */
async function run(args: string[], stdin = '') {
  let out = '';
  let err = '';
  const io: RelayCliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin };
  const code = await runRelayCli(['node', 'tg-relay', ...args], io);
  return { code, out, err };
}

describe('tg-relay commands', () => {
  it('prints its version; usage errors exit 2 on stderr', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, out: `${RELAY_VERSION}\n`, err: '' });
    const unknown = await run(['serve', '--port', 'eighty']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toBe('');
    expect(unknown.err).toMatch(/port must be an integer/);
    const noCommand = await run(['frobnicate']);
    expect(noCommand.code).toBe(2);
    expect(noCommand.err).toMatch(/unknown command 'frobnicate'/);
    expect((await run(['user', 'add', 'bad name!'])).code).toBe(2);
  });

  it('adds (argon2id, optional TOTP), lists and removes accounts; creates personal access tokens', async () => {
    const dataDir = join(dir, 'accounts');
    const weak = await run(['user', 'add', 'zoe', '--data-dir', dataDir], 'short\n');
    expect(weak.code).toBe(2);
    expect(weak.err).toMatch(/at least 10 characters/);
    const added = await run(['user', 'add', 'zoe', '--totp', '--data-dir', dataDir], 'a long enough password\n');
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^user zoe added\nadd this to your authenticator app: otpauth:\/\/totp\/tg-relay:zoe\?/);
    const token = await run(['token', 'create', '--user', 'zoe', '--label', 'laptop cli', '--data-dir', dataDir]);
    expect(token.out).toMatch(/^tgr_pat_[A-Za-z0-9_-]{43}\n$/);
    const listed = await run(['user', 'list', '--data-dir', dataDir]);
    expect(listed.out).toMatch(/^zoe\tpassword \+ TOTP\tcreated /);
    expect(listed.out).not.toContain('argon2');
    expect(await run(['user', 'remove', 'zoe', '--data-dir', dataDir])).toMatchObject({ code: 0, out: 'user zoe removed\n' });
  }, 60_000);
});

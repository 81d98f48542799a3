/** `tg-relay` CLI: config validation, and a real `serve` process that prints its URLs and stops on SIGINT. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRelayConfig } from '../../relay/cli.js';
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
      ['--import', 'tsx', 'relay/cli.ts', 'serve', '--port', '0', '--config', path, '--log-level', 'silent'],
      { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 10_000;
    while (!/Bridge endpoint:/.test(out) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const mcpUrl = /MCP endpoint:\s+(\S+)/.exec(out)?.[1];
    expect(mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(out).toMatch(/Bridge endpoint:\s+ws:\/\/127\.0\.0\.1:\d+\/bridge/);
    expect((await fetch(mcpUrl!.replace(/\/mcp$/, '/healthz'))).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 15_000);
});

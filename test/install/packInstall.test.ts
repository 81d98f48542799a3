/**
 * The package as people install it (issue 12): `npm pack` gives a tarball holding only what runs (the bin
 * entries and the compiled build; no sources, tests or tooling), it installs into an empty prefix without a
 * checkout or tsx, and the installed commands work from any folder: `tg-bridge --help`, `tg-relay --help`,
 * and `tg-bridge mcp` as a local MCP client starts it, against a running engine.
 *
 * Offline: npm's cache holds every dependency tarball (from `npm ci`), but not the registry's metadata, so the
 * prefix gets a lockfile naming each runtime dependency exactly as this checkout's lockfile pins it (what an
 * `npm-shrinkwrap.json` would give) and `npm ci --offline` installs the tarball and those from the cache.
 */
import { execFile } from 'node:child_process';
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSocketPath } from '../../bridge/control/controlSocket.js';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { sandboxGateway } from '../helpers/sandboxGateway.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const npmCli = process.env.npm_execpath?.endsWith('.js') ? process.env.npm_execpath : undefined;

/** Runs npm (the one running this test when known, else `npm` on PATH). */
function npm(args: string[], cwd: string) {
  const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  return npmCli
    ? run(process.execPath, [npmCli, ...args], { cwd, env, maxBuffer: 16 << 20 })
    : run('npm', args, { cwd, env, maxBuffer: 16 << 20 });
}

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [k: string]: unknown;
}

let work: string;
let prefix: string;
let packed: { filename: string; files: { path: string }[] };
let elsewhere: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tgb-pack-'));
  prefix = join(work, 'prefix');
  elsewhere = join(work, 'some-folder');
  await mkdir(prefix);
  await mkdir(elsewhere);
  // The build is fresh (vitest global set-up); --ignore-scripts keeps prepack from rebuilding dist/ under
  // the other test files that are running it.
  const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root);
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  const tarball = join(work, packed.filename);

  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, unknown> = {
    '': { dependencies: { 'tg-bridge': `file:${tarball}` } },
    'node_modules/tg-bridge': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev && !entry.link) packages[path] = entry;
  }
  await writeFile(join(prefix, 'package.json'), JSON.stringify({ dependencies: { 'tg-bridge': `file:${tarball}` } }));
  await writeFile(
    join(prefix, 'package-lock.json'),
    JSON.stringify({ name: 'prefix', lockfileVersion: 3, requires: true, packages }),
  );
  await npm(['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], prefix);
}, 180_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const installedBin = (name: string) => join(prefix, 'node_modules/.bin', name);

describe('npm pack', () => {
  it('holds only what runs: the bin entries, the compiled build, the built UI, README and package.json', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('bin/tg-bridge.js');
    expect(paths).toContain('bin/tg-relay.js');
    expect(paths).toContain('dist/bridge/cli/main.js');
    expect(paths).toContain('dist/relay/cli.js');
    // `tg-bridge ui` serves the UI Vite built (HTML, CSS, JS bundles); never the renderer's sources.
    expect(paths).toContain('dist/renderer/index.html');
    const stray = paths.filter(
      (p) =>
        !/^(bin\/[\w-]+\.js|dist\/(bridge|relay)\/.+\.js(\.map)?|dist\/renderer\/(index\.html|assets\/[\w-]+\.(js|css))|README\.md|package\.json)$/.test(p) ||
        /(^|\/)(test|sandbox|bench|scripts|main)\//.test(p),
    );
    expect(stray).toEqual([]);
    expect(paths.some((p) => p.endsWith('.ts'))).toBe(false);
  });
});

describe('the installed package, run from a folder that is not a checkout', () => {
  it('tg-bridge --help and tg-relay --help work', async () => {
    const bridge = await run(installedBin('tg-bridge'), ['--help'], { cwd: elsewhere });
    expect(bridge.stdout).toMatch(/Usage: tg-bridge/);
    expect(bridge.stdout).toMatch(/connect/);
    const relay = await run(installedBin('tg-relay'), ['--help'], { cwd: elsewhere });
    expect(relay.stdout).toMatch(/Usage: tg-relay/);
  });

  it('tg-bridge mcp --help prints a client entry with absolute paths of this install', async () => {
    const { stdout } = await run(installedBin('tg-bridge'), ['mcp', '--help'], { cwd: elsewhere });
    const entry = JSON.parse(/(\{"command".*\})/.exec(stdout)![1]!) as { command: string; args: string[] };
    expect(entry.command).toBe(process.execPath);
    expect(entry.args).toEqual([installedBin('tg-bridge'), 'mcp']);
    expect(stdout).not.toMatch(/npx/);
  });

  describe('tg-bridge mcp against a running engine', () => {
    let sandbox: Sandbox;
    let host: BridgeHost;
    let home: string;

    beforeAll(async () => {
      sandbox = await startSandbox();
      home = join(work, 'home');
      host = await startBridgeHost({
        controlSocketPath: controlSocketPath(home),
        gateway: sandboxGateway(sandbox),
        auditPath: join(home, 'audit.jsonl'),
      });
    });

    afterAll(async () => {
      await host.stop();
      await sandbox.stop();
    });

    it('lists the tools and runs a read through the engine (audited there)', async () => {
      const client = new Client({ name: 'pack-test', version: '1' });
      // The entry `tg-bridge mcp --help` prints, as a desktop MCP client would start it.
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [installedBin('tg-bridge'), 'mcp', '--home', home],
          cwd: elsewhere,
          stderr: 'pipe',
        }),
      );
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toContain('list_dialogs');
        const result = await client.callTool({ name: 'list_dialogs', arguments: { limit: 5 } });
        expect(result.isError).toBeFalsy();
        const title = sandbox.control.chats()[0]!.title;
        expect(JSON.stringify(result.content)).toContain(title);
      } finally {
        await client.close();
      }
      const audit = await readFile(join(home, 'audit.jsonl'), 'utf8');
      expect(audit).toMatch(/"tool":"list_dialogs"/);
    });
  });
});

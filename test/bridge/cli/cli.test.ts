/** The tg-bridge CLI without Telegram: help, usage errors, audit verify/export, clear setup errors. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain } from '../../../bridge/audit/auditChain.js';
import { main } from '../../../bridge/cli/main.js';

let dir: string;
let out: string[];
const io = () => ({
  out: (s: string) => void out.push(s),
  err: (s: string) => void out.push(s),
  untilStopped: async () => 'SIGINT',
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgb-cli-'));
  out = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => main(['node', 'tg-bridge', ...args], io());

describe('tg-bridge CLI', () => {
  it('lists its commands in --help', async () => {
    expect(await run('--help')).toBe(0);
    const text = out.join('');
    for (const cmd of ['connect', 'mcp', 'login', 'logout', 'audit']) expect(text).toContain(cmd);
  });

  it('usage errors exit 2 with a message', async () => {
    expect(await run('frobnicate')).toBe(2);
    expect(out.join('')).toMatch(/unknown command/);
  });

  it('connect refuses an undo window that is not whole seconds from 0 to 60 (exit 2)', async () => {
    for (const bad of ['61', '-1', '2.5', 'soon']) {
      out = [];
      expect(await run('connect', '--home', dir, '--undo-window', bad), bad).toBe(2);
      expect(out.join(''), bad).toMatch(/--undo-window.*expected whole seconds from 0 to 60/s);
    }
  });

  it('audit verify reports a missing chain clearly (exit 2)', async () => {
    expect(await run('audit', 'verify', '--file', join(dir, 'none.jsonl'))).toBe(2);
    expect(out.join('')).toMatch(/no audit chain at/);
  });

  it('audit export writes a verified 0600 copy', async () => {
    const path = join(dir, 'audit.jsonl');
    const chain = await AuditChain.open(path);
    await chain.append({ call_id: 'a', tool: 'list_dialogs', phase: 'intent', status: 'ok' });
    await chain.close();
    const copy = join(dir, 'copy.jsonl');
    expect(await run('audit', 'export', copy, '--file', path)).toBe(0);
    expect(await readFile(copy, 'utf8')).toBe(await readFile(path, 'utf8'));
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
  });

  it('connect without credentials says what is missing, and refuses a world-readable token file', async () => {
    const saved = { ...process.env };
    try {
      delete process.env.TG_BRIDGE_TOKEN;
      expect(await run('connect', '--relay', 'http://127.0.0.1:9', '--home', dir)).toBe(2);
      expect(out.join('')).toMatch(/no bridge token: set TG_BRIDGE_TOKEN/);
      out = [];
      const tokenFile = join(dir, 'token');
      await (await import('node:fs/promises')).writeFile(tokenFile, 'x'.repeat(32), { mode: 0o644 });
      expect(await run('connect', '--relay', 'http://127.0.0.1:9', '--home', dir, '--token-file', tokenFile)).toBe(2);
      expect(out.join('')).toMatch(/readable by others; run: chmod 600/);
    } finally {
      process.env = saved;
    }
  });
});

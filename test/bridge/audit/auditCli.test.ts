/**
 * `tg-bridge audit verify` / `export` with the device key: what the person reads when the chain is checked with
 * the key, without it (an exported copy, `--no-key`), and when entries were cut from its end.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain, deviceKeyPathFor, loadDeviceKey } from '../../../bridge/audit/auditChain.js';
import { main } from '../../../bridge/cli/main.js';

let dir: string;
let out: string[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgb-audit-cli-'));
  out = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const io = () => ({
  out: (s: string) => void out.push(s),
  err: (s: string) => void out.push(s),
  untilStopped: async () => 'SIGINT',
});
const run = (...args: string[]) => main(['node', 'tg-bridge', ...args], io());

/** A keyed chain of `n` entries with its device.key beside it, as `tg-bridge connect` leaves it. */
async function deviceChain(n: number): Promise<string> {
  const path = join(dir, 'home', 'audit.jsonl');
  const deviceKey = (await loadDeviceKey(deviceKeyPathFor(path), { create: true }))!;
  const chain = await AuditChain.open(path, { deviceKey, fsync: false });
  for (let i = 0; i < n; i++) await chain.append({ call_id: `c${i}`, tool: 'list_dialogs', phase: 'result', status: 'ok' });
  await chain.close();
  return path;
}

describe('tg-bridge audit with the device key', () => {
  it('verify uses device.key beside the chain and says what it proved', async () => {
    const path = await deviceChain(4);
    expect(await run('audit', 'verify', '--file', path)).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/^audit chain: ok — 4 entries verified\n/);
    expect(text).toContain("checked with this device's key: entry MACs and the head record");
    out = [];
    expect(await run('audit', 'verify', '--file', path, '--json')).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ ok: true, verified: 4, keyed: true, head_seq: 4 });
  });

  it('--no-key and an exported copy elsewhere are checked for consistency only, and say so', async () => {
    const path = await deviceChain(3);
    expect(await run('audit', 'verify', '--file', path, '--no-key')).toBe(0);
    expect(out.join('')).toMatch(/checked WITHOUT the device key: internal consistency only/);
    out = [];
    const copy = join(dir, 'copy.jsonl');
    expect(await run('audit', 'export', copy, '--file', path)).toBe(0);
    expect(out.join('')).toMatch(/carries no key: checked elsewhere it proves internal consistency only/);
    out = [];
    expect(await run('audit', 'verify', '--file', copy, '--json')).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ ok: true, verified: 3, keyed: false });
  });

  it('entries cut from the end: exit 1, with the seq this device recorded', async () => {
    const path = await deviceChain(5);
    const lines = (await readFile(path, 'utf8')).split('\n');
    await writeFile(path, `${lines.slice(0, 3).join('\n')}\n`);
    expect(await run('audit', 'verify', '--file', path)).toBe(1);
    expect(out.join('')).toMatch(
      /^audit chain: BROKEN at entry 4 — the chain ends at seq 3; this device recorded seq 5 \(the last 2 entries were deleted/,
    );
    out = [];
    expect(await run('audit', 'verify', '--file', path, '--no-key')).toBe(0);
    expect(await run('audit', 'export', join(dir, 'x.jsonl'), '--file', path)).toBe(2);
    expect(out.join('')).toMatch(/not exporting/);
  });

  it('a --key-file that does not exist is a usage error', async () => {
    const path = await deviceChain(1);
    expect(await run('audit', 'verify', '--file', path, '--key-file', join(dir, 'nope.key'))).toBe(2);
    expect(out.join('')).toMatch(/no device key at/);
  });
});

/** `npm run demo -- --yes` runs the whole product with no input and exits 0 (issue 3 acceptance). */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function runDemo(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('npm run demo', () => {
  it('--yes lists, reads, sends with an automatic approval and ends with a verified audit chain', async () => {
    const { code, out } = await runDemo(['--yes']);
    expect(out).toMatch(/AI → list_dialogs/);
    expect(out).toMatch(/result: sent, message id \d+/);
    expect(out).toMatch(/#\d+ → user:\d+: Hi! Running a bit late/);
    expect(out).toMatch(/^audit chain: ok — \d+ entries verified/m);
    expect(code).toBe(0);
  }, 60_000);
});

/**
 * `npm run demo` as a person runs it (issue 3): `--yes` with no input, answering the approval at the
 * terminal, and `--serve` for the person's own MCP client, stopped by a signal.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { startDemo, waitFor } from '../helpers/demoProcess.js';

describe('npm run demo', () => {
  it('--yes lists, reads, sends with an automatic approval and ends with a verified audit chain', async () => {
    const demo = startDemo(['--yes']);
    demo.child.stdin.end();
    const code = await demo.exited;
    const out = demo.output();
    expect(out).toMatch(/AI → list_dialogs/);
    expect(out).toMatch(/result: sent, message id \d+/);
    expect(out).toMatch(/#\d+ → user:\d+: Hi! Running a bit late/);
    expect(out).toMatch(/^audit chain: ok — \d+ entries verified/m);
    expect(code).toBe(0);
  }, 60_000);

  it('asks at the terminal; a denial with a reason reaches the AI and nothing is sent', async () => {
    const demo = startDemo([]);
    // First the device asks about the demo's AI itself (once), then about its write.
    await waitFor(demo.output, /New AI app: "Command-line client \(relay config token\)"/);
    demo.child.stdin.write('w\n');
    await waitFor(demo.output, /Which chats\?/);
    demo.child.stdin.write('\n');
    await waitFor(demo.output, /Approve\? \[y\]es/);
    demo.child.stdin.write('n\n');
    await waitFor(demo.output, /Reason for the AI/);
    demo.child.stdin.write('I will call her instead\n');
    const code = await demo.exited;
    const out = demo.output();
    expect(out).toMatch(/result: not sent \(denied\) — the person denied it: I will call her instead/);
    expect(out).toMatch(/nothing — no message left this account/);
    expect(out).toMatch(/^audit chain: ok/m);
    expect(code).toBe(0);
  }, 60_000);

  it('--serve prints the endpoint and token, serves an outside MCP client, and stops cleanly on SIGTERM', async () => {
    const demo = startDemo(['--serve', '--yes']);
    const [, url] = await waitFor(demo.output, /^MCP endpoint: (\S+)$/m);
    const [, token] = await waitFor(demo.output, /^MCP token: (\S+)$/m);
    const client = new Client({ name: 'person-own-client', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url!), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
    );
    const r = await client.callTool({ name: 'list_dialogs', arguments: { limit: 2 } });
    expect((r.structuredContent as { dialogs: unknown[] }).dialogs).toHaveLength(2);
    await client.close();
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/^audit chain: ok — \d+ entries verified/m);
  }, 60_000);
});

/**
 * `npm run demo -- --serve --ui` as a person runs it (issue 9): it prints `UI: <url>`; a write the AI asks for
 * shows in the browser and in the terminal; approving it in the browser sends it, and the terminal says it was
 * answered elsewhere (the first decision wins).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { startDemo, waitFor } from '../helpers/demoProcess.js';
import { launchChromium, openUi } from '../helpers/uiHarness.js';

describe('npm run demo -- --serve --ui', () => {
  it('prints UI: <url>; a send approved in the browser is sent, and the terminal hears of it', async () => {
    const { child, output, exited } = startDemo(['--serve', '--ui']);
    const out = () => output();
    const browser = await launchChromium();
    try {
      const uiUrl = (await waitFor(out, /^UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m))[1]!;
      const mcpUrl = (await waitFor(out, /^MCP endpoint: (\S+)$/m))[1]!;
      const mcpToken = (await waitFor(out, /^MCP token: (\S+)$/m))[1]!;
      const { page } = await openUi(browser, uiUrl);
      await page.getByRole('status', { name: 'Bridge state' }).filter({ hasText: 'Connected' }).waitFor();

      const ai = new Client({ name: 'demo-ui-test', version: '1' });
      await ai.connect(
        new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } } }),
      );
      // The device asks the person about the new AI app once, in the demo's terminal.
      const listing = ai.callTool({ name: 'list_dialogs', arguments: { limit: 10 } });
      await waitFor(out, /New AI app: "Command-line client \(relay config token\)"/);
      child.stdin.write('w\n');
      await waitFor(out, /Which chats\?/);
      child.stdin.write('\n');
      const dialogs = (await listing).structuredContent as {
        dialogs: Array<{ peer: string; type: string }>;
      };
      const peer = dialogs.dialogs.find((d) => d.type === 'user')!.peer;
      const sending = ai.callTool({ name: 'send_message', arguments: { peer, text: 'From the demo UI', mode: 'send' } });
      await waitFor(out, /Approve\? \[y\]es/);
      const card = page.getByRole('article');
      await card.getByText('From the demo UI', { exact: true }).waitFor();
      await card.getByRole('button', { name: 'Approve' }).click();
      expect((await sending).structuredContent).toMatchObject({ sent: true });
      await waitFor(out, /answered elsewhere \(approved there/);
      await ai.close();
    } finally {
      await browser.close();
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out()).toMatch(/audit chain: ok — \d+ entries verified/);
  }, 90_000);
});

/**
 * The gateway after Telegram goes away: a call during the outage fails fast and clearly, and once the server
 * is back (same auth keys, same address) the next call works without restarting the bridge — the gramjs
 * client is recreated when the old one has given up (SANDBOX.md: recreate after a long network loss).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GramjsGateway } from '../../../bridge/telegram/gateway.js';
import { type Sandbox, startSandbox } from '../../../sandbox/index.js';
import { sandboxGateway } from '../../helpers/sandboxGateway.js';

let sandbox: Sandbox | null = null;
let gateway: GramjsGateway | null = null;
afterEach(async () => {
  await gateway?.close();
  await sandbox?.stop();
  gateway = null;
  sandbox = null;
});

describe('gateway across a Telegram outage', () => {
  it('fails clearly while the server is down and works again once it is back', async () => {
    sandbox = await startSandbox();
    const { port, authKeys } = sandbox;
    gateway = sandboxGateway(sandbox, { connectTimeoutMs: 3_000, callTimeoutMs: 3_000 });
    expect((await gateway.listDialogs({ limit: 2 })).length).toBe(2);
    const firstClient = gateway.telegramClient;
    await sandbox.stop();
    sandbox = null;
    const t0 = Date.now();
    await expect(gateway.listDialogs({ limit: 2 })).rejects.toMatchObject({ code: 'telegram_unavailable' });
    expect(Date.now() - t0).toBeLessThan(15_000);
    sandbox = await startSandbox({ port, authKeys });
    expect((await gateway.listDialogs({ limit: 2 })).length).toBe(2);
    expect(gateway.telegramClient).not.toBe(firstClient); // a fresh client over the same session
  }, 40_000);
});

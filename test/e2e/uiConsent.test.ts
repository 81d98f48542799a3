/**
 * A new AI app asking for access, answered in the UI in real headless Chromium (custody rule 7; issue 10:
 * "read-only or read + ask-to-write, and all chats or chosen chats … listed and revocable on the device"):
 * the request shows who asks (hidden characters visible), the person picks one chat from their own list and
 * allows read-only; the AI then sees only that chat, cannot write, and the app is listed in Settings, where
 * Revoke stops it. Deny answers the app; a hostile app name shows its hidden characters. Screenshots go to
 * test-artifacts/ui/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserWorld, type UiWorld } from '../helpers/uiHarness.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'ui');

type Dialogs = { dialogs: Array<{ peer: string; title: string; type: string }> };

describe('a new AI app asks for access in the UI', () => {
  let world: UiWorld;
  let page: Page;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    ({ world, page, stop } = await startBrowserWorld({ loggedIn: true, consent: 'ui' }));
  }, 60_000);
  afterAll(() => stop?.());

  it('pick one chat, allow read-only: the AI sees only that chat and cannot write; Settings lists it; Revoke stops it', async () => {
    const everything = (await world.host().gateway.listDialogs({ limit: 50 })).map((d) => d.peer);
    const chosen = everything.find((p) => p.kind === 'user')!;
    expect(everything.length).toBeGreaterThan(2);

    const listing = world.ai.callTool({ name: 'list_dialogs', arguments: { limit: 50 } }, undefined, { timeout: 60_000 });
    const card = page.getByRole('region', { name: /wants to use your Telegram$/ });
    await card.waitFor();
    expect(await card.getByRole('heading').textContent()).toMatch(/^‹.+› wants to use your Telegram$/);
    await card.getByLabel('Only the chats I pick').check();
    await card.getByLabel('Find a chat').fill(chosen.title);
    await card.getByRole('checkbox', { name: new RegExp(chosen.title) }).check();
    await card.getByText(`Picked: ${chosen.title}`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'consent-chosen-chats.png'), fullPage: true });
    await card.getByRole('button', { name: 'Allow' }).click();
    await card.waitFor({ state: 'detached' });

    const seen = ((await listing).structuredContent as Dialogs).dialogs.map((d) => d.peer);
    expect(seen).toEqual([chosen.ref]);
    const write = await world.ai.callTool({ name: 'send_message', arguments: { peer: chosen.ref, text: 'hi', mode: 'send' } });
    expect(write.isError).toBe(true);
    expect(JSON.stringify(write.content)).toMatch(/not_permitted/);
    expect(world.sandbox.control.sentMessages().map((m) => m.text)).not.toContain('hi');

    await page.getByRole('link', { name: 'Settings' }).click();
    const row = page.getByRole('listitem').filter({ hasText: /read only, 1 chosen chat/ });
    await row.getByText(/read only, 1 chosen chat/).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'settings-ai-apps.png'), fullPage: true });
    await row.getByRole('button', { name: /Revoke AI app/ }).click();
    await page.getByText(/^Revoked: .+ cannot use your Telegram/).waitFor();
    expect(world.host().clientScopes.list()).toEqual([]);
  }, 90_000);

  it('Deny answers the app; a hostile name shows its hidden characters and a warning', async () => {
    await page.getByRole('link', { name: 'Approvals' }).click();
    const answer = world.consentDesk!.prompt({
      clientId: 'oauth-client-7',
      clientName: 'Claude\u202Egnp.exe\u200B',
      relay: 'https://relay.example',
    });
    const card = page.getByRole('region', { name: /wants to use your Telegram$/ });
    await card.waitFor();
    const heading = (await card.getByRole('heading').textContent()) ?? '';
    expect(heading).not.toMatch(/[\u202E\u200B]/);
    expect(heading).toMatch(/^‹Claude.+gnp\.exe.+› wants to use your Telegram$/);
    await card.getByRole('note').getByText(/hidden characters/).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'consent-hidden-characters.png'), fullPage: true });
    await card.getByRole('button', { name: 'Deny' }).click();
    expect(await answer).toEqual({ approved: false, reason: 'The person denied it on their device.' });
    await card.waitFor({ state: 'detached' });
  });
});

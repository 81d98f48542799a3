/**
 * Device pairing from the connection screen in real headless Chromium (issue 9: "connection screen (relay URL,
 * token or pairing…)"): the person types the relay's address, presses Pair, sees a code, confirms it on the
 * relay while signed in (in their browser), and the screen shows the device connected as their relay account;
 * Forget this relay then disconnects it. Screenshots go to test-artifacts/ui/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserWorld, type UiWorld } from '../helpers/uiHarness.js';
import { addAccount, TestBrowser } from '../relay/oauthHelpers.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'ui');
const PASSWORD = 'pairing from the ui 1';

describe('pairing from the connection screen', () => {
  let world: UiWorld;
  let page: Page;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    ({ world, page, stop } = await startBrowserWorld({ loggedIn: true }));
  }, 60_000);
  afterAll(() => stop?.());

  it('type the relay address, Pair, confirm the code on the relay: connected as the relay account', async () => {
    const { relay } = world;
    await addAccount(relay.store, 'casey', PASSWORD);
    await page.getByRole('link', { name: 'Connection' }).click();
    await page.getByLabel('Relay address').fill(relay.url);
    await page.getByRole('button', { name: 'Pair', exact: true }).click();
    const code = (await page.getByLabel('Pairing code').textContent())?.trim() ?? '';
    expect(code).toMatch(/^[B-Z]{4}-[B-Z]{4}$/);
    const link = page.getByRole('link', { name: 'Open the pairing page' });
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toContain('/pair');
    expect(await link.getAttribute('rel')).toContain('noopener');
    await page.getByText(/the code expires in \d+ min \d\d s/).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'connection-pairing-code.png'), fullPage: true });

    // The person, in their own browser: signs in on the relay and confirms the code shown by the app.
    const person = new TestBrowser();
    const signin = await person.request(`${relay.url}/signin`);
    await person.request(`${relay.url}/signin`, {
      form: { csrf: TestBrowser.field(signin.body, 'csrf'), next: '/account', user: 'casey', password: PASSWORD },
    });
    const pairPage = await person.request(href.replace(/^https?:\/\/[^/]+/, relay.url));
    const confirmed = await person.request(`${relay.url}/pair`, {
      form: { csrf: TestBrowser.field(pairPage.body, 'csrf'), user_code: code },
    });
    expect(confirmed.status).toBe(200);

    await page.getByText(/^Paired with .+ as casey\./).waitFor();
    await page.getByText('casey (paired device)').waitFor();
    await page.getByText('Connected — AI tool calls reach this computer').waitFor();
    expect(relay.connectedDevices()).toMatchObject([{ userId: 'casey' }]);
    await page.screenshot({ path: join(ARTIFACTS, 'connection-paired.png'), fullPage: true });

    await page.getByRole('button', { name: 'Forget this relay' }).click();
    await page.getByText('No relay set up yet').waitFor();
    await page.getByText(/^Forgot the relay/).waitFor();
  }, 60_000);

  it('a relay address that is not https is refused in words', async () => {
    await page.getByLabel('Relay address').fill('http://relay.example');
    await page.getByRole('button', { name: 'Pair', exact: true }).click();
    await page.getByText(/Use https:\/\/ for a relay on another computer/).waitFor();
  });
});

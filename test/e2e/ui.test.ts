/**
 * The app UI in real headless Chromium against the headless host, the relay and the MTProto sandbox
 * (issue 9 acceptance): log in with code + 2FA and connect; approve a send and see it in the sandbox; deny with
 * a reason and the AI receives it; a withdrawn request disappears; verify the audit chain; approve with the
 * keyboard only. Screenshots of every screen, light and dark, go to test-artifacts/ui/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtUi,
  launchChromium,
  openUi,
  SANDBOX_2FA,
  startUiWorld,
  type UiWorld,
} from '../helpers/uiHarness.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'ui');

let browser: Browser;
let ui: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  ui = await builtUi();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ui?.remove();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

type SendResult = { sent: boolean; status: string; reason?: string; message_id?: number };

/** The AI asks to send `text` to the first user dialog; resolves with the tool's structured result. */
async function aiSends(world: UiWorld, text: string, signal?: AbortSignal): Promise<SendResult> {
  const dialogs = (await world.ai.callTool({ name: 'list_dialogs', arguments: { limit: 10 } })).structuredContent as {
    dialogs: Array<{ peer: string; type: string }>;
  };
  const friend = dialogs.dialogs.find((d) => d.type === 'user');
  if (!friend) throw new Error('no user dialog in the sandbox');
  const result = await world.ai.callTool(
    { name: 'send_message', arguments: { peer: friend.peer, text, mode: 'send' } },
    undefined,
    signal ? { signal, timeout: 60_000 } : { timeout: 60_000 },
  );
  return result.structuredContent as SendResult;
}

describe('the UI against a logged-in device', () => {
  let world: UiWorld;
  let page: Page;

  beforeAll(async () => {
    world = await startUiWorld({ staticDir: ui.dir, loggedIn: true, undoMs: 4_000 });
    await world.host().waitConnected();
    ({ page } = await openUi(browser, world.ui.url));
  }, 60_000);
  afterAll(async () => {
    await page?.context().close();
    await world?.stop();
  });

  it('approve a send from the UI: it arrives in the sandbox with the exact text', async () => {
    await page.getByRole('status', { name: 'Bridge state' }).filter({ hasText: 'Connected' }).waitFor();
    const text = 'See you at 7 — approved in the browser';
    const sending = aiSends(world, text);
    const card = page.getByRole('article');
    await card.getByText(text, { exact: true }).waitFor();
    expect(await card.getByRole('heading').textContent()).toMatch(/^Send a message to ‹.+›$/);
    await shot(page, 'approvals-light');
    await card.getByRole('button', { name: 'Approve' }).click();
    // The undo window: the approval shows a countdown and Undo until it sends.
    await page.getByText(/^Approved: Send a message to ‹.+› — sends in \d s$/).waitFor();
    expect(world.sandbox.control.sentMessages().map((m) => m.text)).not.toContain(text);
    const result = await sending;
    expect(result).toMatchObject({ sent: true, status: 'sent' });
    expect(world.sandbox.control.sentMessages().map((m) => m.text)).toContain(text);
    await page.getByText('Nothing is waiting for you.').waitFor();
  });

  it('Undo inside the undo window: nothing is sent and the AI learns it was undone', async () => {
    const before = world.sandbox.control.sentMessages().length;
    const sending = aiSends(world, 'Sent by mistake');
    const card = page.getByRole('article');
    await card.getByText('Sent by mistake', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('button', { name: 'Undo' }).click();
    const result = await sending;
    expect(result).toMatchObject({ sent: false, status: 'undone' });
    expect(world.sandbox.control.sentMessages()).toHaveLength(before);
    // The held card leaves when the UI hears the decision, which can land just after the AI's answer.
    await page.getByRole('button', { name: 'Undo' }).waitFor({ state: 'detached' });
    await page.getByText('Nothing is waiting for you.').waitFor();
  });

  it('approve with a standing rule; the rule is listed in Settings and revoked there', async () => {
    const sending = aiSends(world, 'First of many');
    const card = page.getByRole('article');
    await card.getByText('First of many', { exact: true }).waitFor();
    await card.getByLabel(/^Also allow without asking: /).check();
    await card.getByRole('button', { name: 'Approve' }).click();
    expect(await sending).toMatchObject({ sent: true });
    expect(world.host().engine.rules.list()).toHaveLength(1);
    // The rule lets the next send through without asking.
    expect(await aiSends(world, 'Second, no question asked')).toMatchObject({ sent: true });
    await page.getByRole('link', { name: 'Settings' }).click();
    const revoke = page.getByRole('button', { name: /^Revoke rule: / });
    await revoke.waitFor();
    await shot(page, 'settings-rule-light');
    await revoke.click();
    await page.getByText('No standing rules: every write asks you.').waitFor();
    expect(world.host().engine.rules.list()).toHaveLength(0);
    await page.getByRole('link', { name: 'Approvals' }).click();
  });

  it('deny with a reason: nothing is sent and the AI reads the reason', async () => {
    const before = world.sandbox.control.sentMessages().length;
    const sending = aiSends(world, 'Please send this');
    const card = page.getByRole('article');
    await card.getByText('Please send this', { exact: true }).waitFor();
    await card.getByLabel('Reason for denying (optional, sent to the AI)').fill('I will call her instead');
    await card.getByRole('button', { name: 'Deny' }).click();
    const result = await sending;
    expect(result.sent).toBe(false);
    expect(result.status).toBe('denied');
    expect(result.reason).toMatch(/I will call her instead/);
    expect(world.sandbox.control.sentMessages()).toHaveLength(before);
  });

  it('a request the AI withdraws disappears from the list', async () => {
    const abort = new AbortController();
    const sending = aiSends(world, 'This one gets withdrawn', abort.signal).catch((err: unknown) => err);
    await page.getByRole('article').getByText('This one gets withdrawn', { exact: true }).waitFor();
    abort.abort();
    await sending;
    await page.getByText('Nothing is waiting for you.').waitFor();
    expect(world.host().approvals.pending()).toHaveLength(0);
  });

  it('hostile text is shown as text: no markup runs, hidden characters are made visible and flagged', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1">Hi \u202eevil\u202c <b>bold</b>\u200b';
    const sending = aiSends(world, hostile);
    const card = page.getByRole('article');
    await card.locator('pre.exact-text').waitFor();
    const shown = await card.locator('pre.exact-text').textContent();
    expect(shown).toBe('<img src=x onerror="window.__pwned=1">Hi ⟨U+202E⟩evil⟨U+202C⟩ <b>bold</b>⟨U+200B⟩');
    expect(await card.locator('img, b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await card.getByText(/hidden characters/).waitFor();
    await card.getByRole('button', { name: 'Deny' }).click();
    expect((await sending).status).toBe('denied');
  });

  it('editing a formatted (HTML) text shows what Telegram will show, links included; an edit that shows nothing cannot be approved', async () => {
    const dialogs = (await world.ai.callTool({ name: 'list_dialogs', arguments: { limit: 10 } })).structuredContent as {
      dialogs: Array<{ peer: string; type: string }>;
    };
    const peer = dialogs.dialogs.find((d) => d.type === 'user')!.peer;
    const sending = world.ai.callTool(
      { name: 'send_message', arguments: { peer, text: '<b>Hello</b> there', format: 'html', mode: 'send' } },
      undefined,
      { timeout: 60_000 },
    );
    const card = page.getByRole('article');
    await card.getByText('<b>Hello</b> there', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Edit' }).click();
    const box = card.getByLabel('Text to send (read as HTML)');
    await box.fill('<b>new</b> <a href="https://evil.example">x</a>');
    const preview = card.getByRole('region', { name: 'Telegram will show' });
    await preview.locator('pre').getByText('new x', { exact: true }).waitFor();
    await preview.getByText('link "x" → https://evil.example').waitFor();
    await shot(page, 'approval-edit-preview');
    await box.fill('<b></b>');
    await preview.getByText(/this text shows nothing/).waitFor();
    expect(await card.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    // The device refuses it too, whatever a page sends.
    const callId = world.host().approvals.pending()[0]!.callId;
    expect(await world.service.call('approvals.approve', { callId, text: '<b></b>' })).toMatchObject({ ok: false });
    await box.fill('<b>Hi</b> again');
    await preview.locator('pre').getByText('Hi again', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Approve' }).click();
    const result = (await sending).structuredContent as { sent: boolean };
    expect(result.sent).toBe(true);
    expect(world.sandbox.control.sentMessages().map((m) => m.text)).toContain('Hi again');
    await page.getByText('Nothing is waiting for you.').waitFor();
  });

  it('the popup view: one request alone; Escape denies it (the AI is told), and the popup never approves', async () => {
    const sending = aiSends(world, 'Popup request');
    await page.getByRole('article').getByText('Popup request', { exact: true }).waitFor();
    const callId = world.host().approvals.pending()[0]!.callId;
    const popup = await page.context().newPage();
    await popup.goto(`${world.ui.origin}/#/popup/${encodeURIComponent(callId)}`);
    const card = popup.getByRole('article');
    await card.getByText('Popup request', { exact: true }).waitFor();
    expect(await popup.getByRole('navigation').count()).toBe(0);
    await popup.emulateMedia({ colorScheme: 'dark' });
    await shot(popup, 'popup-dark');
    await popup.keyboard.press('Escape');
    const result = await sending;
    expect(result).toMatchObject({ sent: false, status: 'denied' });
    expect(result.reason).toMatch(/the person closed the approval window/);
    await popup.getByText('This request is no longer waiting.').waitFor();
    await popup.close();
  });

  it('keyboard only: Tab to Approve and press Enter', async () => {
    const text = 'Approved with the keyboard only';
    const sending = aiSends(world, text);
    const heading = page.getByRole('article').getByRole('heading');
    await page.getByRole('article').getByText(text, { exact: true }).waitFor();
    // Start from the page's top and walk with Tab only until Approve has focus.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 30 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Approve';
    }
    expect(reached).toBe(true);
    expect(await heading.textContent()).toMatch(/Send a message/);
    await page.keyboard.press('Enter');
    expect(await sending).toMatchObject({ sent: true });
    expect(world.sandbox.control.sentMessages().map((m) => m.text)).toContain(text);
  });

  it('verifies the audit chain and explains the result in plain words', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Verify' }).click();
    const verdict = page.getByText(/entries check out: nothing in the audit chain was changed/);
    await verdict.waitFor();
    const rows = await page.locator('.audit-table tbody tr').count();
    expect(rows).toBeGreaterThan(3);
    await page.getByLabel('Outcome').selectOption('denied');
    await page.locator('.audit-table tbody tr').first().getByText('denied').waitFor();
    for (const row of await page.locator('.audit-table tbody tr').all()) {
      await expect(row.textContent()).resolves.toMatch(/denied/);
    }
    await page.getByLabel('Outcome').selectOption('');
    await shot(page, 'audit-light');
  });

  it('Disconnect pauses the bridge and Connect brings it back, from the connection screen', async () => {
    await page.getByRole('link', { name: 'Connection' }).click();
    const state = page.getByRole('status', { name: 'Bridge state' });
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await state.filter({ hasText: 'Paused' }).waitFor();
    await page.getByText('Disconnected', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await state.filter({ hasText: 'Connected' }).waitFor();
    await world.host().waitConnected();
  });

  it('screenshots every screen in light and dark', async () => {
    const sending = aiSends(world, 'A pending request for the screenshots');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const section of ['approvals', 'connection', 'login', 'audit', 'settings']) {
        await page.evaluate(`location.hash = '#/${section}'`);
        await page.locator('h1').first().waitFor();
        if (section === 'approvals') await page.getByRole('article').waitFor();
        await shot(page, `${section}-${scheme}`);
      }
    }
    await page.evaluate(`location.hash = '#/approvals'`);
    await page.getByRole('article').getByRole('button', { name: 'Deny' }).click();
    await sending;
  });
});

/** A fresh device that needs a login, for one describe block. */
function useLoginWorld(): () => UiWorld {
  let world: UiWorld | undefined;
  beforeAll(async () => {
    world = await startUiWorld({ staticDir: ui.dir, loggedIn: false });
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });
  return () => world!;
}

describe('the login wizard', () => {
  const loginWorld = useLoginWorld();

  it('phone → wrong code (clear error) → right code → 2FA password; then the device connects', async () => {
    const world = loginWorld();
    const { page } = await openUi(browser, world.ui.url);
    await page.getByRole('status', { name: 'Bridge state' }).filter({ hasText: 'Needs login' }).waitFor();
    await page.getByRole('link', { name: 'Account' }).click();
    await shot(page, 'login-start-light');
    await page.getByRole('button', { name: 'Log in with phone number' }).click();
    const phone = `+${world.sandbox.control.account().phone}`;
    await page.getByLabel('Phone number').fill(phone);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Login code').waitFor();
    await page.getByLabel('Login code').fill('00000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    await shot(page, 'login-code-error-light');
    const code = world.sandbox.control.lastLoginCode(phone.slice(1));
    if (!code) throw new Error('the sandbox sent no code');
    await page.getByLabel('Login code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('2FA password').waitFor();
    expect(await page.getByText('Your hint: horse').count()).toBe(1);
    await page.getByLabel('2FA password').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'That 2FA password is not right' }).waitFor();
    await page.getByLabel('2FA password').fill(SANDBOX_2FA);
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'login-password-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(/^Logged in as /).waitFor();
    await page.getByRole('status', { name: 'Bridge state' }).filter({ hasText: 'Connected' }).waitFor();
    await world.host().waitConnected();
    await page.context().close();
  });
});

describe('the login wizard: flood wait and QR login', () => {
  const loginWorld = useLoginWorld();

  it('a flood wait is said in words; then a live QR code is scanned and the 2FA password completes the login', async () => {
    const world = loginWorld();
    const { page } = await openUi(browser, `${world.ui.url}`);
    await page.getByRole('status', { name: 'Bridge state' }).filter({ hasText: 'Needs login' }).waitFor();
    await page.getByRole('link', { name: 'Account' }).click();

    world.sandbox.control.failNext('auth.sendCode', 'FLOOD_WAIT_90');
    await page.getByRole('button', { name: 'Log in with phone number' }).click();
    await page.getByLabel('Phone number').fill(`+${world.sandbox.control.account().phone}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'Telegram asks you to wait 90 seconds before trying again' }).waitFor();

    let qrUrl = '';
    world.service.subscribe((e) => {
      if (e.type === 'login.step' && e.step.step === 'qr') qrUrl = e.step.url;
    });
    await page.getByRole('button', { name: 'Log in with QR code' }).click();
    const qr = page.getByRole('img', { name: 'QR code to scan with Telegram' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.getByText(/^A new code appears in \d+ s$/).waitFor();
    await shot(page, 'login-qr-light');
    expect(qrUrl).toMatch(/^tg:\/\/login\?token=/);
    world.sandbox.control.acceptLoginToken(qrUrl.split('token=')[1]!);
    await page.getByLabel('2FA password').fill(SANDBOX_2FA);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(/^Logged in as /).waitFor();
    await world.host().waitConnected();
    await page.context().close();
  });
});

/**
 * The main process entry (main/app.ts) with `vi.mock('electron')`: single-instance lock, the tgbridge://
 * scheme, session hardening before any window, the real window options, closing to the tray, the tray's
 * first state, the IPC handlers, settings in electron-store with mode 0600, and the Linux basic_text refusal
 * at start-up (quit, or opt in and relaunch).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TO_MAIN } from '../../main/ipcChannels.js';
import { app, FakeBrowserWindow, FakeTray, FakeWebContents, recorded, resetElectronMock } from './electronMock.js';

vi.mock('electron', async () => (await import('./electronMock.js')).electronMock());

const stores: Array<{ options: Record<string, unknown>; data: Record<string, unknown> }> = [];
vi.mock('electron-store', () => ({
  default: class {
    data: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      this.data = structuredClone(options.defaults as Record<string, unknown>);
      stores.push({ options, data: this.data });
    }
    get(key: string) {
      return this.data[key];
    }
    set(key: string, value: unknown) {
      this.data[key] = value;
    }
  },
}));

let userData: string;
beforeAll(async () => {
  userData = await mkdtemp(join(tmpdir(), 'tg-app-'));
  process.env.TG_TEST_USERDATA = userData;
});
afterAll(async () => {
  delete process.env.TG_TEST_USERDATA;
  await rm(userData, { recursive: true, force: true });
});
beforeEach(() => {
  resetElectronMock();
  stores.length = 0;
});

let run = 0;
/** Loads a fresh copy of main/app.ts (its top level is the app's start-up); electron stays the same mock. */
async function startApp(): Promise<void> {
  run += 1;
  await import(/* @vite-ignore */ `../../main/app.ts?run=${run}`);
}

describe('main/app.ts', () => {
  it('a second instance quits at once and touches nothing', async () => {
    recorded.singleInstance = false;
    await startApp();
    expect(recorded.quit).toBe(1);
    expect(recorded.protocolClients).toEqual([]);
    expect(FakeBrowserWindow.all).toEqual([]);
  });

  it('starts hardened: policy first, then one secure window on the login screen, the tray, the IPC handlers', async () => {
    await startApp();
    await vi.waitFor(() => expect(FakeTray.last?.tooltip).toBe('tg-bridge — Needs login'));
    expect(recorded.protocolClients).toEqual(['tgbridge']);
    expect(recorded.permissionRequestHandler).not.toBeNull();
    expect([...recorded.ipcHandlers.keys()]).toEqual([TO_MAIN.deviceCall]);
    expect(FakeBrowserWindow.all).toHaveLength(1);
    const win = FakeBrowserWindow.all[0]!;
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webviewTag: false,
    });
    expect(String((win.options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
    expect(win.loaded).toMatch(/^file:\/\/.*\/renderer\/index\.html#\/login$/);
    expect(FakeTray.last!.menu.map((i) => i.label)).toContain('Log in…');
    // Start at login follows the stored setting (off by default).
    expect(recorded.loginItem).toEqual([{ openAtLogin: false }]);
    // Settings live in electron-store, owner-only.
    expect(stores[0]!.options).toMatchObject({ name: 'settings', configFileMode: 0o600, clearInvalidConfig: false });
  });

  it('start at login is registered with the OS when the person turns it on in Settings', async () => {
    await startApp();
    await vi.waitFor(() => expect(FakeTray.last).not.toBeNull());
    const win = FakeBrowserWindow.all[0]!;
    const call = recorded.ipcHandlers.get(TO_MAIN.deviceCall)!;
    const event = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
    await call(event, { method: 'settings.set', params: { startAtLogin: true } });
    expect(recorded.loginItem.at(-1)).toEqual({ openAtLogin: true });
    expect(stores[0]!.data.device).toMatchObject({ startAtLogin: true });
  });

  it('hardens every web contents Electron creates', async () => {
    await startApp();
    await vi.waitFor(() => expect(FakeTray.last).not.toBeNull());
    const contents = new FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    const e = { preventDefault: vi.fn() };
    contents.emit('will-navigate', e, 'https://evil.example');
    expect(e.preventDefault).toHaveBeenCalled();
    expect(contents.windowOpenHandler!({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
  });

  it('a tgbridge://pair link opens the connection screen with the relay filled in; it starts nothing', async () => {
    await startApp();
    await vi.waitFor(() => expect(FakeTray.last).not.toBeNull());
    const win = FakeBrowserWindow.all[0]!;
    const sent = win.webContents.sent;
    const e = { preventDefault: vi.fn() };
    app.emit('open-url', e, 'tgbridge://pair?relay=https%3A%2F%2Frelay.example');
    expect(e.preventDefault).toHaveBeenCalled();
    const events = sent.map((m) => m.args[0]);
    expect(events).toContainEqual({ type: 'pairing.step', step: { step: 'idle', suggestedRelayUrl: 'https://relay.example' } });
    expect(events.some((ev) => (ev as { step?: { step?: string } }).step?.step === 'starting')).toBe(false);
    // A link to anything else is ignored.
    const before = sent.length;
    app.emit('open-url', { preventDefault: vi.fn() }, 'tgbridge://pair?relay=http%3A%2F%2Frelay.example');
    expect(sent.length).toBe(before);
  });

  it('closing the window keeps the app in the tray; Quit really quits', async () => {
    await startApp();
    await vi.waitFor(() => expect(FakeTray.last).not.toBeNull());
    const win = FakeBrowserWindow.all[0]!;
    win.emit('ready-to-show');
    expect(win.visible).toBe(true);
    win.close();
    expect(win.destroyed).toBe(false);
    expect(win.visible).toBe(false);
    FakeTray.last!.menu.find((i) => i.label === 'Open tg-bridge')!.click!();
    expect(win.visible).toBe(true);
    app.emit('before-quit');
    win.close();
    expect(win.destroyed).toBe(true);
  });

  it('Linux without a keyring: explains and quits unless the person opts in; the opt-in is stored and the app relaunches', async () => {
    if (process.platform !== 'linux') return;
    recorded.backend = 'basic_text';
    recorded.messageBoxResponse = 0;
    await startApp();
    await vi.waitFor(() => expect(recorded.quit).toBe(1));
    expect(recorded.messageBoxes[0]).toMatchObject({ buttons: ['Quit', 'Store it anyway (not protected)'] });
    expect(String((recorded.messageBoxes[0] as { detail: string }).detail)).toMatch(/no keyring/);
    expect(FakeBrowserWindow.all).toEqual([]);

    resetElectronMock();
    stores.length = 0;
    recorded.backend = 'basic_text';
    recorded.messageBoxResponse = 1;
    await startApp();
    await vi.waitFor(() => expect(app.relaunch).toHaveBeenCalled());
    expect(stores[0]!.data.allowBasicText).toBe(true);
    expect(FakeBrowserWindow.all).toEqual([]);
  });
});


/**
 * The IPC boundary (issue 9): the channel list split by direction, the sender check (our window, its top
 * frame, our app URL), zod validation of payloads, and the device method's own parameter validation.
 */
import { describe, expect, it, vi } from 'vitest';
import { TO_MAIN, TO_RENDERER } from '../../main/ipcChannels.js';
import { isTrustedFrame, registerIpc } from '../../main/ipcRouter.js';
import { DeviceService, memorySettings } from '../../bridge/ui/deviceService.js';
import { electronMock, FakeWebContents, recorded, resetElectronMock } from './electronMock.js';

const APP_URL = 'file:///opt/tg-bridge/resources/app.asar/dist/renderer/index.html';

function setup() {
  resetElectronMock();
  const ours = new FakeWebContents();
  ours.mainFrame.url = `${APP_URL}#/approvals`;
  const service = new DeviceService({ settings: memorySettings() });
  const callUntrusted = vi.spyOn(service, 'callUntrusted');
  const closeWindowOf = vi.fn();
  registerIpc({
    ipcMain: electronMock().ipcMain as never,
    service,
    isOurWindow: (c) => c === (ours as never),
    appUrl: APP_URL,
    closeWindowOf,
  });
  const invoke = (sender: FakeWebContents, frame: unknown, payload: unknown) =>
    Promise.resolve().then(() => recorded.ipcHandlers.get(TO_MAIN.deviceCall)!({ sender, senderFrame: frame }, payload));
  return { ours, invoke, callUntrusted, closeWindowOf };
}

describe('the channel list', () => {
  it('has exactly these channels, each in one direction', () => {
    expect(Object.values(TO_MAIN).sort()).toEqual(['device:call', 'window:close']);
    expect(Object.values(TO_RENDERER)).toEqual(['device:event']);
    const all = [...Object.values(TO_MAIN), ...Object.values(TO_RENDERER)];
    expect(new Set(all).size).toBe(all.length);
  });

  it('main listens on exactly the renderer → main channels', () => {
    setup();
    expect([...recorded.ipcHandlers.keys()]).toEqual([TO_MAIN.deviceCall]);
    expect([...recorded.ipcListeners.keys()]).toEqual([TO_MAIN.closeWindow]);
  });
});

describe('the sender check', () => {
  it('serves our window’s top frame showing our app', async () => {
    const { ours, invoke, callUntrusted } = setup();
    const result = await invoke(ours, ours.mainFrame, { method: 'status.get', params: {} });
    expect(result).toMatchObject({ state: 'needs_login' });
    expect(callUntrusted).toHaveBeenCalledWith('status.get', {});
  });

  it('refuses another webContents, an iframe, and a frame showing another page', async () => {
    const { ours, invoke, callUntrusted } = setup();
    const stranger = new FakeWebContents();
    stranger.mainFrame.url = APP_URL;
    await expect(invoke(stranger, stranger.mainFrame, { method: 'status.get' })).rejects.toThrow(/may not talk/);
    const iframe = { url: APP_URL, parent: ours.mainFrame };
    await expect(invoke(ours, iframe, { method: 'status.get' })).rejects.toThrow(/may not talk/);
    for (const url of ['https://evil.example/', 'file:///tmp/evil.html', 'data:text/html,hi', 'about:blank']) {
      await expect(invoke(ours, { url, parent: null }, { method: 'status.get' })).rejects.toThrow(/may not talk/);
    }
    await expect(invoke(ours, null, { method: 'status.get' })).rejects.toThrow(/may not talk/);
    expect(callUntrusted).not.toHaveBeenCalled();
  });

  it('a close request from a stranger closes nothing', () => {
    const { ours, closeWindowOf } = setup();
    const stranger = new FakeWebContents();
    recorded.ipcListeners.get(TO_MAIN.closeWindow)!({ sender: stranger, senderFrame: stranger.mainFrame });
    expect(closeWindowOf).not.toHaveBeenCalled();
    recorded.ipcListeners.get(TO_MAIN.closeWindow)!({ sender: ours, senderFrame: ours.mainFrame });
    expect(closeWindowOf).toHaveBeenCalledWith(ours);
  });

  it('dev server URLs are compared by origin', () => {
    expect(isTrustedFrame({ url: 'http://localhost:5173/#/audit', parent: null } as never, 'http://localhost:5173/')).toBe(true);
    expect(isTrustedFrame({ url: 'http://localhost:5174/', parent: null } as never, 'http://localhost:5173/')).toBe(false);
  });
});

describe('payload validation', () => {
  it('refuses malformed payloads, unknown methods and bad parameters before anything runs', async () => {
    const { ours, invoke, callUntrusted } = setup();
    for (const payload of [null, 'status.get', [], { method: 7 }, { method: 'status.get', extra: 1 }]) {
      await expect(invoke(ours, ours.mainFrame, payload)).rejects.toThrow(/malformed/);
    }
    for (const method of ['constructor', '__proto__', 'toString', 'nope']) {
      await expect(invoke(ours, ours.mainFrame, { method })).rejects.toThrow(/no method/);
    }
    expect(callUntrusted).not.toHaveBeenCalled();
    await expect(
      invoke(ours, ours.mainFrame, { method: 'approvals.deny', params: { callId: 42 } }),
    ).rejects.toThrow(/callId/);
  });
});

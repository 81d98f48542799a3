/**
 * The IPC boundary in main: handlers for exactly the channels in ipcChannels.ts. A message is served only
 * when its sender is one of our windows AND the sending frame is that window's top frame showing our app
 * (not an iframe, not a page it was somehow navigated to); its payload must pass the zod schema; the device
 * method's own parameters are then validated by the device service. Everything else is dropped.
 */
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { z } from 'zod';
import { isDeviceMethod } from '../bridge/protocol/index.js';
import type { DeviceService } from '../bridge/ui/deviceService.js';
import { TO_MAIN } from './ipcChannels.js';

/** Payload of `device:call`. */
export const DeviceCallPayload = z.strictObject({
  method: z.string().max(64),
  params: z.unknown().optional(),
});

/** What {@link registerIpc} needs. */
export interface IpcDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'on' | 'removeHandler' | 'removeListener'>;
  service: Pick<DeviceService, 'callUntrusted'>;
  /** Whether `contents` belongs to one of our windows. */
  isOurWindow(contents: WebContents): boolean;
  /** The URL our pages load from (file:// of index.html, or the dev server's origin). */
  appUrl: string;
  /** Closes the window showing `contents` (a popup after a decision). */
  closeWindowOf(contents: WebContents): void;
}

/** Whether `frame` is the top frame and shows our app. */
export function isTrustedFrame(frame: WebFrameMain | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  let url: URL;
  let app: URL;
  try {
    url = new URL(frame.url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return url.protocol === 'file:' && url.pathname === app.pathname;
  return url.origin === app.origin;
}

/** An error the renderer receives (a sentence; no stack). */
export class IpcRefused extends Error {}

/**
 * Registers the handlers. @returns a function that removes them.
 */
export function registerIpc(deps: IpcDeps): () => void {
  const trusted = (event: IpcMainEvent | IpcMainInvokeEvent) =>
    deps.isOurWindow(event.sender) && isTrustedFrame(event.senderFrame, deps.appUrl);

  deps.ipcMain.handle(TO_MAIN.deviceCall, async (event, payload: unknown) => {
    if (!trusted(event)) throw new IpcRefused('refused: this page may not talk to the bridge');
    const parsed = DeviceCallPayload.safeParse(payload);
    if (!parsed.success) throw new IpcRefused('refused: malformed device call');
    const { method, params } = parsed.data;
    if (!isDeviceMethod(method)) throw new IpcRefused(`refused: no method ${method}`);
    try {
      return await deps.service.callUntrusted(method, params ?? {});
    } catch (err) {
      throw new IpcRefused((err as Error).message);
    }
  });
  const onClose = (event: IpcMainEvent) => {
    if (trusted(event)) deps.closeWindowOf(event.sender);
  };
  deps.ipcMain.on(TO_MAIN.closeWindow, onClose);
  return () => {
    deps.ipcMain.removeHandler(TO_MAIN.deviceCall);
    deps.ipcMain.removeListener(TO_MAIN.closeWindow, onClose);
  };
}

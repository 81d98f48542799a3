/**
 * The preload (sandboxed, context-isolated): exposes `window.tgBridge` with three functions and nothing else —
 * never `ipcRenderer` itself. Payloads are checked again in main; this file only forwards.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { TO_MAIN, TO_RENDERER } from './ipcChannels.js';

contextBridge.exposeInMainWorld('tgBridge', {
  call: (method: string, params: unknown): Promise<unknown> =>
    ipcRenderer.invoke(TO_MAIN.deviceCall, { method, params }),
  onEvent: (listener: (event: unknown) => void): (() => void) => {
    const handler = (_e: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on(TO_RENDERER.deviceEvent, handler);
    return () => {
      ipcRenderer.removeListener(TO_RENDERER.deviceEvent, handler);
    };
  },
  closeWindow: (): void => ipcRenderer.send(TO_MAIN.closeWindow),
});

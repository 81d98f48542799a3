/**
 * The device API over Electron IPC: the preload exposes `window.tgBridge` (main/preload.ts) with exactly
 * `call` and `onEvent`; main validates every payload and the sender frame. Results and events are validated
 * here again against the shared schemas.
 */
import {
  DEVICE_METHODS,
  DeviceEvent,
  type DeviceApi,
  type DeviceMethod,
  type DeviceParams,
  type DeviceResult,
} from '../../../bridge/protocol/index.js';

/** What the preload exposes (see main/preload.ts). */
export interface PreloadBridge {
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
  /** Closes this window (popups close after a decision). */
  closeWindow(): void;
}

declare global {
  interface Window {
    tgBridge?: PreloadBridge;
  }
}

/** A device API over the preload bridge. */
export function ipcDeviceApi(bridge: PreloadBridge): DeviceApi {
  return {
    async call<M extends DeviceMethod>(method: M, params: DeviceParams<M>): Promise<DeviceResult<M>> {
      const result = await bridge.call(method, params ?? {});
      return DEVICE_METHODS[method].result.parse(result) as DeviceResult<M>;
    },
    subscribe(listener, onLive) {
      const off = bridge.onEvent((raw) => {
        const parsed = DeviceEvent.safeParse(raw);
        if (parsed.success) listener(parsed.data);
      });
      // IPC delivers from the moment the listener is registered: live at once.
      if (onLive) queueMicrotask(onLive);
      return off;
    },
  };
}

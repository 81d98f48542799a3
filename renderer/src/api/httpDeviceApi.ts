/**
 * The device API over HTTP + WebSocket to the headless host (`tg-bridge ui`): `POST /api/<method>` with the
 * session cookie the one-time link set, and `/events` for pushed events. Results and events are validated
 * against the shared schemas before the UI sees them; the event socket reconnects after a drop, and each
 * subscriber's `onLive` runs whenever the socket (re)opens, so the UI reloads what it may have missed.
 */
import {
  DEVICE_METHODS,
  DeviceEvent,
  type DeviceApi,
  type DeviceMethod,
  type DeviceParams,
  type DeviceResult,
} from '../../../bridge/protocol/index.js';

/** Delay before the event socket reconnects, in ms. */
const RECONNECT_MS = 1_000;

/** A device API talking to the page's own origin. */
export function httpDeviceApi(): DeviceApi {
  const listeners = new Set<(event: DeviceEvent) => void>();
  const liveListeners = new Set<() => void>();
  let socket: WebSocket | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const open = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events`);
    socket = ws;
    ws.onopen = () => {
      for (const l of [...liveListeners]) l();
    };
    ws.onmessage = (msg) => {
      let data: unknown;
      try {
        data = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      const parsed = DeviceEvent.safeParse(data);
      if (!parsed.success) return;
      for (const l of [...listeners]) l(parsed.data);
    };
    ws.onclose = () => {
      socket = null;
      if (listeners.size > 0) retry = setTimeout(open, RECONNECT_MS);
    };
  };

  return {
    async call<M extends DeviceMethod>(method: M, params: DeviceParams<M>): Promise<DeviceResult<M>> {
      const res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(params ?? {}),
      });
      const body = (await res.json().catch(() => ({}))) as { result?: unknown; error?: string };
      if (!res.ok) throw new Error(body.error ?? `the bridge answered HTTP ${res.status}`);
      return DEVICE_METHODS[method].result.parse(body.result) as DeviceResult<M>;
    },
    subscribe(listener, onLive) {
      listeners.add(listener);
      if (onLive) liveListeners.add(onLive);
      if (!socket && !retry) open();
      else if (onLive && socket?.readyState === WebSocket.OPEN) queueMicrotask(onLive);
      return () => {
        listeners.delete(listener);
        if (onLive) liveListeners.delete(onLive);
        if (listeners.size === 0) {
          if (retry) clearTimeout(retry);
          retry = null;
          socket?.close();
          socket = null;
        }
      };
    },
  };
}

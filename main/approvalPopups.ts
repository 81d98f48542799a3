/**
 * Approval popups (issue 9): one small always-on-top window per pending write, showing the renderer's popup
 * route (`#/popup/<callId>`) — the approval view with Approve, Deny (optional reason) and Edit. Escape or
 * closing the window denies. This module can only deny: it never calls approve, so a popup never approves on
 * its own (custody rule 2: only the person's click in the page approves, through the device API).
 */
import type { BrowserWindow, Input } from 'electron';
import type { DeviceEvent } from '../bridge/protocol/index.js';
import type { DeviceService } from '../bridge/ui/deviceService.js';

/** The reason the AI reads when the person closes the popup or presses Escape. */
export const CLOSED_REASON = 'the person closed the approval window';

/** Popup window size, in CSS pixels. */
export const POPUP_SIZE = { width: 440, height: 560 } as const;

/** What the popups need. */
export interface PopupDeps {
  /** Creates the (hidden) popup window for one call, loading `#/popup/<callId>`. */
  createWindow(callId: string): Pick<BrowserWindow, 'on' | 'once' | 'show' | 'close' | 'isDestroyed' | 'webContents'>;
  service: Pick<DeviceService, 'call'>;
}

type PopupWindow = ReturnType<PopupDeps['createWindow']>;

/** Opens and closes popups as approvals come and go. */
export class ApprovalPopups {
  readonly #open = new Map<string, PopupWindow>();
  /** Calls settled elsewhere (UI, terminal, expiry): closing their window must not deny anything. */
  readonly #settled = new Set<string>();

  constructor(private readonly deps: PopupDeps) {}

  /** Feed every device event here. */
  onEvent(event: DeviceEvent): void {
    if (event.type === 'approval.added') this.#show(event.view.callId);
    if (event.type === 'approval.decided' || event.type === 'approval.expired') this.#settle(event.callId);
  }

  /** Call ids with an open popup. */
  get openCallIds(): string[] {
    return [...this.#open.keys()];
  }

  #show(callId: string): void {
    if (this.#open.has(callId)) return;
    const win = this.deps.createWindow(callId);
    this.#open.set(callId, win);
    win.once('ready-to-show', () => win.show());
    win.webContents.on('before-input-event', (event: { preventDefault(): void }, input: Input) => {
      if (input.type === 'keyDown' && input.key === 'Escape') {
        event.preventDefault();
        this.#deny(callId);
        win.close();
      }
    });
    win.on('closed', () => {
      this.#open.delete(callId);
      this.#deny(callId);
    });
  }

  #deny(callId: string): void {
    if (this.#settled.has(callId)) return;
    this.#settled.add(callId);
    void this.deps.service.call('approvals.deny', { callId, reason: CLOSED_REASON }).catch(() => undefined);
  }

  #settle(callId: string): void {
    this.#settled.add(callId);
    const win = this.#open.get(callId);
    if (win && !win.isDestroyed()) win.close();
    if (this.#settled.size > 1024) this.#settled.delete(this.#settled.values().next().value as string);
  }
}

/**
 * Popups (issue 9): one small always-on-top window per pending write (`#/popup/<callId>`: the approval view
 * with Approve, Deny with an optional reason, and Edit) and per new AI app asking for access
 * (`#/consent/<id>`: read-only or read + ask-to-write, all chats or chosen ones). Escape or closing the window
 * denies. This module can only deny: it never approves or allows, so a popup never says yes on its own
 * (custody rules 2 and 7: only the person's click in the page does, through the device API).
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
  /** Creates the (hidden) popup window for one request id, loading its route (`#/popup/<id>` or `#/consent/<id>`). */
  createWindow(id: string): Pick<BrowserWindow, 'on' | 'once' | 'show' | 'close' | 'isDestroyed' | 'webContents'>;
  service: Pick<DeviceService, 'call'>;
}

type PopupWindow = ReturnType<PopupDeps['createWindow']>;

/** One window per waiting request; subclasses say which events open and settle them and how to deny. */
abstract class RequestPopups {
  readonly #open = new Map<string, PopupWindow>();
  /** Requests settled elsewhere (UI, terminal, expiry): closing their window must not deny anything. */
  readonly #settled = new Set<string>();

  constructor(protected readonly deps: PopupDeps) {}

  /** Feed every device event here. */
  abstract onEvent(event: DeviceEvent): void;

  /** Denies one request (Escape, or its window closed before an answer). Never rejects. */
  protected abstract denyRequest(id: string): Promise<unknown>;

  /** Request ids with an open popup. */
  get openIds(): string[] {
    return [...this.#open.keys()];
  }

  protected show(id: string): void {
    if (this.#open.has(id) || this.#settled.has(id)) return;
    const win = this.deps.createWindow(id);
    this.#open.set(id, win);
    win.once('ready-to-show', () => win.show());
    win.webContents.on('before-input-event', (event: { preventDefault(): void }, input: Input) => {
      if (input.type === 'keyDown' && input.key === 'Escape') {
        event.preventDefault();
        this.#deny(id);
        win.close();
      }
    });
    win.on('closed', () => {
      this.#open.delete(id);
      this.#deny(id);
    });
  }

  protected settle(id: string): void {
    this.#settled.add(id);
    const win = this.#open.get(id);
    if (win && !win.isDestroyed()) win.close();
    if (this.#settled.size > 1024) this.#settled.delete(this.#settled.values().next().value as string);
  }

  #deny(id: string): void {
    if (this.#settled.has(id)) return;
    this.#settled.add(id);
    void this.denyRequest(id).catch(() => undefined);
  }
}

/** Opens and closes approval popups as write approvals come and go. */
export class ApprovalPopups extends RequestPopups {
  onEvent(event: DeviceEvent): void {
    if (event.type === 'approval.added') this.show(event.view.callId);
    if (event.type === 'approval.decided' || event.type === 'approval.expired') this.settle(event.callId);
  }

  /** Call ids with an open popup. */
  get openCallIds(): string[] {
    return this.openIds;
  }

  protected denyRequest(callId: string): Promise<unknown> {
    return this.deps.service.call('approvals.deny', { callId, reason: CLOSED_REASON });
  }
}

/** Opens and closes consent popups as new AI apps ask for access and get their answer (or time out). */
export class ConsentPopups extends RequestPopups {
  onEvent(event: DeviceEvent): void {
    if (event.type === 'consent.added') this.show(event.request.id);
    if (event.type === 'consent.settled') this.settle(event.id);
  }

  protected denyRequest(id: string): Promise<unknown> {
    return this.deps.service.call('consent.decide', { id, approved: false });
  }
}

/**
 * The tray icon (issue 9): its image and tooltip follow the device state (connected / connecting / offline /
 * needs login / paused); its menu offers one-click Connect or Disconnect, the pending approvals count, Open
 * and Quit.
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { DeviceStatus, TrayState } from '../bridge/protocol/index.js';
import { trayIconPng } from './trayIcon.js';

/** Words for each state (tooltip and the menu's first line). */
export const TRAY_WORDS: Record<TrayState, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  offline: 'Offline',
  needs_login: 'Needs login',
  paused: 'Paused',
};

/** What the tray's menu items do. */
export interface TrayActions {
  connect(): void;
  disconnect(): void;
  /** Shows the main window, on a section when given. */
  open(section?: 'approvals' | 'login' | 'connection'): void;
  quit(): void;
}

/** The Electron pieces the tray uses (injected: tests pass mocks). */
export interface TrayDeps {
  tray: Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'on'>;
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  image: (png: Buffer) => NativeImage;
  actions: TrayActions;
}

/** The menu for a status (exported so tests can read it without Electron). */
export function trayMenuTemplate(status: DeviceStatus, actions: TrayActions): MenuItemConstructorOptions[] {
  const n = status.pendingCount;
  const items: MenuItemConstructorOptions[] = [
    { label: `tg-bridge — ${TRAY_WORDS[status.state]}`, enabled: false },
    {
      label: n === 0 ? 'No pending approvals' : `${n} pending approval${n === 1 ? '' : 's'}…`,
      enabled: n > 0,
      click: () => actions.open('approvals'),
    },
    { type: 'separator' },
  ];
  switch (status.state) {
    case 'needs_login':
      items.push({ label: 'Log in…', click: () => actions.open('login') });
      break;
    case 'connected':
    case 'connecting':
      items.push({ label: 'Disconnect', click: () => actions.disconnect() });
      break;
    default:
      items.push(
        status.link.state === 'unconfigured'
          ? { label: 'Set up the relay…', click: () => actions.open('connection') }
          : { label: 'Connect', click: () => actions.connect() },
      );
  }
  items.push(
    { type: 'separator' },
    { label: 'Open tg-bridge', click: () => actions.open() },
    { label: 'Quit', click: () => actions.quit() },
  );
  return items;
}

/** Keeps the tray in step with the device. */
export class TrayController {
  #state: TrayState | null = null;

  constructor(private readonly deps: TrayDeps) {
    deps.tray.on('click', () => deps.actions.open());
  }

  /** Applies a status: icon (only when the state changed), tooltip and menu. */
  update(status: DeviceStatus, warning?: string): void {
    if (status.state !== this.#state) {
      this.deps.tray.setImage(this.deps.image(trayIconPng(status.state)));
      this.#state = status.state;
    }
    const pending = status.pendingCount > 0 ? ` · ${status.pendingCount} waiting` : '';
    this.deps.tray.setToolTip(`tg-bridge — ${TRAY_WORDS[status.state]}${pending}${warning ? `\n${warning}` : ''}`);
    this.deps.tray.setContextMenu(this.deps.buildMenu(trayMenuTemplate(status, this.deps.actions)));
  }
}

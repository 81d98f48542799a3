/**
 * The tray (issue 9): icon and tooltip per state (connected / connecting / offline / needs login / paused),
 * the pending count, one-click Connect / Disconnect, Open and Quit.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { DeviceStatus, TrayState } from '../../bridge/protocol/index.js';
import { TrayController } from '../../main/tray.js';
import { TRAY_ICON_SIZE, trayIconPng } from '../../main/trayIcon.js';
import { FakeTray } from './electronMock.js';

function status(state: TrayState, pendingCount = 0, link: DeviceStatus['link']['state'] = 'connected'): DeviceStatus {
  return {
    state,
    pendingCount,
    link: { state: link },
    account: state === 'needs_login' ? { state: 'needs_login' } : { state: 'logged_in', name: 'Dana', username: null },
  };
}

function setup() {
  const tray = new FakeTray();
  const actions = { connect: vi.fn(), disconnect: vi.fn(), open: vi.fn(), quit: vi.fn() };
  const controller = new TrayController({
    tray: tray as never,
    buildMenu: (t) => t as never,
    image: (png) => ({ png }) as never,
    actions,
  });
  const item = (label: string | RegExp) => {
    const found = tray.menu.find((i) => (typeof label === 'string' ? i.label === label : label.test(i.label ?? '')));
    if (!found) throw new Error(`no menu item ${label}; menu: ${tray.menu.map((i) => i.label).join(' | ')}`);
    return found;
  };
  return { tray, actions, controller, item };
}

describe('TrayController', () => {
  it('shows each state in the icon, the tooltip and the first menu line', () => {
    const { tray, controller } = setup();
    const images = new Set<string>();
    for (const [state, words] of [
      ['connected', 'Connected'],
      ['connecting', 'Connecting…'],
      ['offline', 'Offline'],
      ['needs_login', 'Needs login'],
      ['paused', 'Paused'],
    ] as const) {
      controller.update(status(state));
      expect(tray.tooltip).toBe(`tg-bridge — ${words}`);
      expect(tray.menu[0]).toMatchObject({ label: `tg-bridge — ${words}`, enabled: false });
      images.add((tray.image as { png: Buffer }).png.toString('base64'));
    }
    expect(images.size).toBe(5);
  });

  it('counts pending approvals and opens them', () => {
    const { tray, controller, actions, item } = setup();
    controller.update(status('connected', 0));
    expect(item('No pending approvals').enabled).toBe(false);
    controller.update(status('connected', 3));
    expect(tray.tooltip).toBe('tg-bridge — Connected · 3 waiting');
    item('3 pending approvals…').click!();
    expect(actions.open).toHaveBeenCalledWith('approvals');
    controller.update(status('connected', 1));
    expect(item('1 pending approval…').enabled).toBe(true);
  });

  it('offers one-click Disconnect when connected, Connect when offline or paused, Log in when needed', () => {
    const { controller, actions, item } = setup();
    controller.update(status('connected'));
    item('Disconnect').click!();
    expect(actions.disconnect).toHaveBeenCalledOnce();
    for (const s of ['offline', 'paused'] as const) {
      controller.update(status(s, 0, s === 'paused' ? 'stopped' : 'waiting'));
      item('Connect').click!();
    }
    expect(actions.connect).toHaveBeenCalledTimes(2);
    controller.update(status('needs_login'));
    expect(() => item('Connect')).toThrow();
    item('Log in…').click!();
    expect(actions.open).toHaveBeenCalledWith('login');
    controller.update(status('offline', 0, 'unconfigured'));
    item('Set up the relay…').click!();
    expect(actions.open).toHaveBeenCalledWith('connection');
  });

  it('Open and Quit; clicking the icon opens the window', () => {
    const { tray, controller, actions, item } = setup();
    controller.update(status('connected'));
    item('Open tg-bridge').click!();
    item('Quit').click!();
    tray.emit('click');
    expect(actions.open).toHaveBeenCalledTimes(2);
    expect(actions.quit).toHaveBeenCalledOnce();
  });

  it('puts a standing warning in the tooltip', () => {
    const { tray, controller } = setup();
    controller.update(status('connected'), 'stored without a keyring');
    expect(tray.tooltip).toBe('tg-bridge — Connected\nstored without a keyring');
  });
});

describe('trayIconPng', () => {
  it('is a valid 32×32 RGBA PNG whose centre has the state’s colour (hollow for needs login)', () => {
    const centre = (png: Buffer) => {
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.readUInt32BE(16)).toBe(TRAY_ICON_SIZE);
      const idat = png.indexOf('IDAT');
      const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
      const stride = 1 + TRAY_ICON_SIZE * 4;
      const at = 16 * stride + 1 + 16 * 4;
      return [...raw.subarray(at, at + 4)];
    };
    expect(centre(trayIconPng('connected'))).toEqual([46, 160, 67, 255]);
    expect(centre(trayIconPng('needs_login'))[3]).toBe(0);
  });
});

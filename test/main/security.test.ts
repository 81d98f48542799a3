/**
 * Window and session hardening (issue 9 "Hardening"): the real webPreferences, the CSP (header and the
 * renderer's meta tag), navigation / redirect / webview / new-window denials, the openExternal allow-list and
 * the permission denials.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  APP_CSP,
  hardenWebContents,
  installSessionPolicy,
  isAllowedExternal,
  secureWebPreferences,
} from '../../main/security.js';
import { electronMock, FakeWebContents, recorded, resetElectronMock } from './electronMock.js';

describe('secureWebPreferences', () => {
  it('sandboxes, isolates and keeps Node out of every renderer', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });
});

describe('the CSP', () => {
  it('allows only our own scripts and styles: no inline, no eval, no remote, no framing', () => {
    expect(APP_CSP).toMatch(/default-src 'none'/);
    expect(APP_CSP).toMatch(/script-src 'self'(;|$)/);
    expect(APP_CSP).toMatch(/frame-ancestors 'none'/);
    expect(APP_CSP).toMatch(/object-src 'none'/);
    expect(APP_CSP).not.toMatch(/unsafe|https?:|\*/);
  });

  it('the renderer page carries the same restrictions in its meta tag', () => {
    const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    expect(meta).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
    expect(meta).not.toMatch(/unsafe/);
    // Only loopback WebSockets (the headless host's event stream).
    expect(meta!.match(/ws:\/\/[^ ;]+/g)).toEqual(['ws://127.0.0.1:*', 'ws://localhost:*']);
  });
});

describe('hardenWebContents', () => {
  const harden = () => {
    const contents = new FakeWebContents();
    const shell = { openExternal: vi.fn(async () => undefined) };
    hardenWebContents(contents as never, shell);
    return { contents, shell };
  };

  it('denies every navigation, redirect and webview', () => {
    const { contents } = harden();
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, 'https://evil.example/');
      expect(e.preventDefault).toHaveBeenCalledOnce();
    }
  });

  it('never opens a new window; only allow-listed https links go to the browser', () => {
    const { contents, shell } = harden();
    const open = (url: string) => contents.windowOpenHandler!({ url });
    expect(open('https://telegram.org/faq')).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledWith('https://telegram.org/faq');
    for (const url of [
      'http://telegram.org/',
      'https://telegram.org.evil.example/',
      'https://user:pw@telegram.org/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'tgbridge://pair?relay=https://x&code=abcd',
      'smb://host/share',
      'not a url',
    ]) {
      expect(open(url)).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
    expect(isAllowedExternal('https://my.telegram.org/apps')).toBe(true);
  });
});

describe('the relay pairing page', () => {
  it('opens exactly the page of the pairing under way, nothing else from that relay, and nothing once it ends', () => {
    const contents = new FakeWebContents();
    const shell = { openExternal: vi.fn(async () => undefined) };
    let page: string | undefined = 'https://relay.example/pair?code=BCDF-GHJK';
    hardenWebContents(contents as never, shell, (url) => url === page);
    const open = (url: string) => contents.windowOpenHandler!({ url });
    expect(open('https://relay.example/pair?code=BCDF-GHJK')).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledWith('https://relay.example/pair?code=BCDF-GHJK');
    for (const url of ['https://relay.example/', 'https://relay.example/pair?code=XXXX-XXXX', 'javascript:alert(1)']) open(url);
    page = undefined;
    open('https://relay.example/pair?code=BCDF-GHJK');
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
  });
});

describe('installSessionPolicy', () => {
  it('denies every permission request and check, and sets the CSP header', () => {
    resetElectronMock();
    installSessionPolicy(electronMock().session.defaultSession as never);
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'hid']) {
      const callback = vi.fn();
      recorded.permissionRequestHandler!({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
    }
    expect(recorded.permissionCheckHandler!({}, 'media', 'file://', {})).toBe(false);
    const cb = vi.fn();
    recorded.headersHandler!({ responseHeaders: { 'X-A': ['1'] } }, cb);
    expect(cb).toHaveBeenCalledWith({ responseHeaders: { 'X-A': ['1'], 'Content-Security-Policy': [APP_CSP] } });
  });
});

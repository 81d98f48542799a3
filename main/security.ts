/**
 * Window and session hardening (issue 9 "Hardening"; Electron's security checklist): sandboxed,
 * context-isolated renderers without Node; a strict CSP; no navigation, no new windows, no webviews; every
 * permission request denied; `shell.openExternal` only for an allow-list of https origins.
 */
import type { Session, Shell, WebContents, WebPreferences } from 'electron';

/** The CSP for every app page (the renderer's index.html carries the same as a meta tag). */
export const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/** Origins `shell.openExternal` may open (help and account pages); https only. */
export const EXTERNAL_ALLOW_LIST: readonly string[] = [
  'https://telegram.org',
  'https://my.telegram.org',
  'https://core.telegram.org',
  'https://github.com',
];

/** webPreferences for every window: the preload is the only bridge. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: process.env.TG_BRIDGE_DEVTOOLS === '1',
  };
}

/**
 * Whether `url` may be opened in the person's browser: https and an allow-listed origin, no credentials; or
 * exactly a URL `alsoAllowed` names (the relay pairing page of a pairing under way).
 */
export function isAllowedExternal(url: string, alsoAllowed?: (url: string) => boolean): boolean {
  if (typeof url === 'string' && alsoAllowed?.(url)) return true;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && !u.username && !u.password && EXTERNAL_ALLOW_LIST.includes(u.origin);
}

/** Opens an allow-listed URL in the browser. @returns false (and opens nothing) for any other URL. */
export function openExternalSafely(
  shell: Pick<Shell, 'openExternal'>,
  url: string,
  alsoAllowed?: (url: string) => boolean,
): boolean {
  if (!isAllowedExternal(url, alsoAllowed)) return false;
  void shell.openExternal(url);
  return true;
}

/**
 * Denies navigation (in-page hash changes are not navigations), redirects, webviews and new windows; a
 * `window.open` / target=_blank of an allow-listed URL (or one `alsoAllowed` names) opens in the browser instead.
 */
export function hardenWebContents(
  contents: WebContents,
  shell: Pick<Shell, 'openExternal'>,
  alsoAllowed?: (url: string) => boolean,
): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(shell, url, alsoAllowed);
    return { action: 'deny' };
  });
}

/** Denies every permission request and check (camera, notifications, clipboard, HID, …) and adds the CSP header. */
export function installSessionPolicy(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] } });
  });
}

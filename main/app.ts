/**
 * The Electron main process (issue 9): single instance, tray, main window (closing it keeps the app in the
 * tray), one approval popup per pending write, the device API over IPC, the Telegram session sealed with
 * safeStorage, settings in electron-store, start at login, and `tgbridge://` pairing links.
 *
 *   npm start             the app (needs Electron's binary: `npm i -D electron` on a desktop machine)
 *   npm start -- --demo   the same, wired to the embedded sandbox, a local relay and a scripted AI
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  safeStorage,
  session,
  shell,
  Tray,
  type WebContents,
} from 'electron';
import { type BridgeHost, startBridgeHost } from '../bridge/host/bridgeHost.js';
import { writePrivateFileAtomic } from '../bridge/storage/privateFile.js';
import { GramjsGateway } from '../bridge/telegram/gateway.js';
import { login } from '../bridge/telegram/login.js';
import { ConsentDesk } from '../bridge/ui/consentDesk.js';
import { DeviceService } from '../bridge/ui/deviceService.js';
import { type RelayConfig, relayConnectOptions, sealedRelayConfig } from '../bridge/link/relayConfig.js';
import { openAppSettings } from './appSettings.js';
import { ApprovalPopups, ConsentPopups, POPUP_SIZE } from './approvalPopups.js';
import { DEEP_LINK_SCHEME, deepLinkInArgv, type PairingLink, parseDeepLink } from './deepLink.js';
import { TO_RENDERER } from './ipcChannels.js';
import { registerIpc } from './ipcRouter.js';
import { SafeStorageSecretBox } from './safeStorageBox.js';
import { hardenWebContents, installSessionPolicy, secureWebPreferences } from './security.js';
import { TrayController } from './tray.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Built layout: dist/main/app.js, dist/main/preload.cjs, dist/renderer/index.html. */
const PRELOAD = join(here, 'preload.cjs');
const APP_URL = pathToFileURL(join(here, '..', 'renderer', 'index.html')).href;
const DEMO = process.argv.includes('--demo');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  if (process.defaultApp && process.argv[1]) {
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [process.argv[1]]);
  } else {
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  }
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  installSessionPolicy(session.defaultSession);
  // The one non-allow-listed page a window may open in the browser: the relay pairing page of a pairing under
  // way (its address came from the relay the person typed, checked to be https or this computer).
  let pairingPage = (): string | undefined => undefined;
  app.on('web-contents-created', (_e, contents) =>
    hardenWebContents(contents, shell, (url) => url === pairingPage()),
  );

  const settings = openAppSettings();
  const dataDir = app.getPath('userData');
  const sessionFile = join(dataDir, 'telegram-session.sealed');
  const box = new SafeStorageSecretBox(safeStorage, {
    platform: process.platform,
    allowBasicText: settings.allowBasicText(),
  });
  let warning: string | undefined;
  if (!DEMO) {
    const verdict = box.check();
    if (!verdict.ok && verdict.error.reason === 'basic_text') {
      const choice = await dialog.showMessageBox({
        type: 'warning',
        title: 'No keyring for your Telegram session',
        message: 'tg-bridge cannot protect your Telegram session on this desktop.',
        detail: verdict.error.message,
        buttons: ['Quit', 'Store it anyway (not protected)'],
        defaultId: 0,
        cancelId: 0,
      });
      if (choice.response !== 1) return app.quit();
      settings.setAllowBasicText(true);
      return relaunch();
    }
    if (verdict.ok) warning = verdict.warning;
  }

  const windows = new Set<BrowserWindow>();
  const isOurWindow = (contents: WebContents) => [...windows].some((w) => !w.isDestroyed() && w.webContents === contents);
  let host: BridgeHost | null = null;
  let quitting = false;
  let demoStop: (() => Promise<void>) | null = null;

  const apiCredentials = () => {
    const apiId = Number(process.env.TG_API_ID);
    const apiHash = process.env.TG_API_HASH;
    if (!Number.isInteger(apiId) || apiId <= 0 || !apiHash) {
      throw new Error('set TG_API_ID and TG_API_HASH (from my.telegram.org) before logging in');
    }
    return { apiId, apiHash };
  };
  // The relay set up on the connection screen (pairing or token), sealed like the session.
  const relayStore = DEMO ? undefined : sealedRelayConfig(join(dataDir, 'relay.sealed'), box);
  /**
   * The relay the engine dials: the environment's, else the saved one. Read again for an engine started after a
   * login: the person may have paired meanwhile.
   */
  const relayNow = async (): Promise<RelayConfig | null> => {
    const fromEnv = relayFromEnv();
    if (fromEnv) return fromEnv;
    try {
      return (await relayStore?.load()) ?? null;
    } catch (err) {
      dialog.showErrorBox('tg-bridge could not read the saved relay', `${(err as Error).message}\nSet the relay up again on the Connection screen.`);
      return null;
    }
  };
  const relayAtStart = await relayNow();
  const consentDesk = new ConsentDesk();
  const startEngine = async (telegramSession: string, relay: RelayConfig | null) => {
    const { undoMs, mediaDir } = settings.device.load();
    return startBridgeHost({
      gateway: new GramjsGateway({ ...apiCredentials(), session: telegramSession }),
      auditPath: join(dataDir, 'audit.jsonl'),
      undoMs,
      media: { ...(mediaDir ? { mediaDir } : {}), allowFileUrl: false },
      // A new AI app waits in a consent popup (read-only or read + ask-to-write, all or chosen chats).
      clientConsent: consentDesk.prompt,
      ...(relay ? relayConnectOptions(relay) : {}),
    });
  };

  const service = new DeviceService({
    settings: settings.device,
    consent: consentDesk,
    relay: { ...(relayStore ? { store: relayStore } : {}), current: relayAtStart },
    login: (method, prompts) => login({ ...apiCredentials(), method, prompts }),
    onLoggedIn: async (result) => {
      await writePrivateFileAtomic(sessionFile, await box.seal(Buffer.from(result.session, 'utf8')));
      host = await startEngine(result.session, await relayNow());
      service.attach(host, { name: result.user.name, username: result.user.username });
    },
    onStartAtLogin: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled }),
  });

  if (DEMO) {
    const { startDemoDevice } = await import('./demoDevice.js');
    const demo = await startDemoDevice(dataDir);
    host = demo.host;
    demoStop = demo.stop;
    service.attach(demo.host, demo.account);
  } else {
    const sealed = await readFile(sessionFile).catch(() => null);
    if (sealed) {
      try {
        host = await startEngine((await box.open(sealed)).toString('utf8'), relayAtStart);
        service.attach(host);
      } catch (err) {
        dialog.showErrorBox('tg-bridge could not start the bridge', (err as Error).message);
      }
    }
  }

  const newWindow = (opts: Electron.BrowserWindowConstructorOptions, hash: string) => {
    const win = new BrowserWindow({
      show: false,
      backgroundColor: '#14171c',
      autoHideMenuBar: true,
      ...opts,
      webPreferences: secureWebPreferences(PRELOAD),
    });
    windows.add(win);
    win.on('closed', () => windows.delete(win));
    void win.loadURL(`${APP_URL}#/${hash}`);
    return win;
  };

  let mainWindow: BrowserWindow | null = null;
  const openMain = (section?: string) => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = newWindow({ width: 980, height: 720, minWidth: 640, minHeight: 480, title: 'tg-bridge' }, section ?? 'approvals');
      mainWindow.once('ready-to-show', () => mainWindow?.show());
      mainWindow.on('close', (e) => {
        if (!quitting) {
          e.preventDefault(); // closing the window keeps the app in the tray
          mainWindow?.hide();
        }
      });
    } else {
      if (section) void mainWindow.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#/${section}`)}`);
      mainWindow.show();
      mainWindow.focus();
    }
  };

  const popupWindow = (title: string, route: string) =>
    newWindow(
      {
        ...POPUP_SIZE,
        alwaysOnTop: true,
        resizable: false,
        minimizable: false,
        maximizable: false,
        fullscreenable: false,
        skipTaskbar: false,
        title,
      },
      route,
    );
  const popups = new ApprovalPopups({
    service,
    createWindow: (callId) => popupWindow('tg-bridge — approval needed', `popup/${encodeURIComponent(callId)}`),
  });
  const consentPopups = new ConsentPopups({
    service,
    createWindow: (id) => popupWindow('tg-bridge — a new AI app asks for access', `consent/${encodeURIComponent(id)}`),
  });

  registerIpc({
    ipcMain,
    service,
    isOurWindow,
    appUrl: APP_URL,
    closeWindowOf: (contents) => BrowserWindow.fromWebContents(contents)?.close(),
  });

  const tray = new TrayController({
    tray: new Tray(nativeImage.createEmpty()),
    buildMenu: (template) => Menu.buildFromTemplate(template),
    image: (png) => nativeImage.createFromBuffer(png),
    actions: {
      connect: () => void service.call('link.connect', {}),
      disconnect: () => void service.call('link.disconnect', {}),
      open: (section) => openMain(section),
      quit: () => app.quit(),
    },
  });
  tray.update(service.status(), warning);

  service.subscribe((event) => {
    for (const win of windows) if (!win.isDestroyed()) win.webContents.send(TO_RENDERER.deviceEvent, event);
    popups.onEvent(event);
    consentPopups.onEvent(event);
    if (event.type === 'status') tray.update(event.status, warning);
  });

  pairingPage = () => service.pairingPage;
  const onPairing = (link: PairingLink | null) => {
    if (!link) return;
    // A link only suggests the relay: the person checks the address and presses Pair on the connection screen.
    service.suggestRelay(link.relayUrl);
    openMain('connection');
  };
  app.on('second-instance', (_e, argv) => {
    onPairing(deepLinkInArgv(argv));
    openMain();
  });
  app.on('open-url', (e, url) => {
    e.preventDefault();
    onPairing(parseDeepLink(url));
  });
  onPairing(deepLinkInArgv(process.argv));

  app.setLoginItemSettings({ openAtLogin: settings.device.load().startAtLogin });
  app.on('window-all-closed', () => {
    // Stay in the tray.
  });
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (e) => {
    if (!host && !demoStop) return;
    e.preventDefault();
    const stopping = demoStop ? demoStop() : (host?.stop() ?? Promise.resolve());
    host = null;
    demoStop = null;
    consentDesk.denyAll('the tg-bridge app is quitting');
    service.close();
    void stopping.finally(() => app.exit(0));
  });

  if (!service.host) openMain('login');
  else if (DEMO) openMain('approvals');
}

/** A relay from the environment (it wins over the saved one; the connection screen can change it at run time). */
function relayFromEnv(): RelayConfig | null {
  const relayUrl = process.env.TG_BRIDGE_RELAY;
  const bridgeToken = process.env.TG_BRIDGE_TOKEN;
  return relayUrl && bridgeToken ? { kind: 'token', relayUrl, bridgeToken } : null;
}

function relaunch(): void {
  app.relaunch();
  app.exit(0);
}


/**
 * Small hand-written mocks of the Electron APIs main/ uses (electron/fiddle's approach): enough behaviour to
 * drive the real main-process code and record what it asked Electron to do. Use with
 * `vi.mock('electron', () => electronMock())` after `resetElectronMock()`.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

/** A fake `webContents`: events, `send`, the window-open handler and the main frame. */
export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly sent: Array<{ channel: string; args: unknown[] }> = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  mainFrame = { url: '', parent: null as unknown };
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  executeJavaScript = vi.fn(async () => undefined);
}

/** A fake `BrowserWindow` recording its options and what was loaded. */
export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: string | null = null;
  visible = false;
  destroyed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.all.push(this);
  }
  static fromWebContents(wc: FakeWebContents): FakeBrowserWindow | null {
    return FakeBrowserWindow.all.find((w) => w.webContents === wc) ?? null;
  }
  async loadURL(url: string): Promise<void> {
    this.loaded = url;
    this.webContents.mainFrame.url = url;
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Like Electron: emits `close` (cancellable), then `closed` unless prevented. */
  close(): void {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.destroyed = true;
    this.emit('closed');
  }
}

/** A fake `Tray`. */
export class FakeTray extends EventEmitter {
  static last: FakeTray | null = null;
  image: unknown = null;
  tooltip = '';
  menu: Array<{ label?: string; enabled?: boolean; click?: () => void; type?: string }> = [];
  constructor() {
    super();
    FakeTray.last = this;
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  setToolTip(t: string): void {
    this.tooltip = t;
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu as FakeTray['menu'];
  }
}

/** Everything the mock records; reset per test. */
export const recorded = {
  ipcHandlers: new Map<string, (...args: unknown[]) => unknown>(),
  ipcListeners: new Map<string, (...args: unknown[]) => unknown>(),
  permissionRequestHandler: null as null | ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void),
  permissionCheckHandler: null as null | ((...args: unknown[]) => boolean),
  headersHandler: null as null | ((details: unknown, cb: (r: unknown) => void) => void),
  protocolClients: [] as string[],
  loginItem: [] as unknown[],
  openedExternal: [] as string[],
  quit: 0,
  singleInstance: true,
  backend: 'gnome_libsecret' as string,
  encryptionAvailable: true,
  messageBoxResponse: 0,
  messageBoxes: [] as unknown[],
};

export const app = Object.assign(new EventEmitter(), {
  requestSingleInstanceLock: () => recorded.singleInstance,
  quit: () => {
    recorded.quit += 1;
  },
  exit: vi.fn(),
  relaunch: vi.fn(),
  whenReady: () => Promise.resolve(),
  getPath: (_name: string) => process.env.TG_TEST_USERDATA ?? '/nonexistent',
  setAsDefaultProtocolClient: (scheme: string) => {
    recorded.protocolClients.push(scheme);
    return true;
  },
  setLoginItemSettings: (s: unknown) => {
    recorded.loginItem.push(s);
  },
});

/** Resets every recording and fake. */
export function resetElectronMock(): void {
  FakeBrowserWindow.all = [];
  FakeTray.last = null;
  recorded.ipcHandlers.clear();
  recorded.ipcListeners.clear();
  recorded.permissionRequestHandler = null;
  recorded.permissionCheckHandler = null;
  recorded.headersHandler = null;
  recorded.protocolClients = [];
  recorded.loginItem = [];
  recorded.openedExternal = [];
  recorded.quit = 0;
  recorded.singleInstance = true;
  recorded.backend = 'gnome_libsecret';
  recorded.encryptionAvailable = true;
  recorded.messageBoxResponse = 0;
  recorded.messageBoxes = [];
  app.removeAllListeners();
}

/** A reversible fake "encryption" (the point is which API is called, not the cipher). */
export const safeStorage = {
  isEncryptionAvailable: () => recorded.encryptionAvailable,
  getSelectedStorageBackend: () => recorded.backend,
  encryptString: (s: string) => Buffer.from(`enc:${s}`),
  decryptString: (b: Buffer) => {
    const s = b.toString();
    if (!s.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return s.slice(4);
  },
};

/** The module factory for `vi.mock('electron', ...)`. */
export function electronMock() {
  const mod = {
    app,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (t: unknown) => t },
    nativeImage: {
      createEmpty: () => ({ empty: true }),
      createFromBuffer: (b: Buffer) => ({ png: b }),
    },
    ipcMain: {
      handle: (ch: string, fn: (...a: unknown[]) => unknown) => recorded.ipcHandlers.set(ch, fn),
      on: (ch: string, fn: (...a: unknown[]) => unknown) => recorded.ipcListeners.set(ch, fn),
      removeHandler: (ch: string) => recorded.ipcHandlers.delete(ch),
      removeListener: (ch: string) => recorded.ipcListeners.delete(ch),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof recorded.permissionRequestHandler) => (recorded.permissionRequestHandler = h),
        setPermissionCheckHandler: (h: typeof recorded.permissionCheckHandler) => (recorded.permissionCheckHandler = h),
        setDevicePermissionHandler: () => undefined,
        webRequest: { onHeadersReceived: (h: typeof recorded.headersHandler) => (recorded.headersHandler = h) },
      },
    },
    shell: {
      openExternal: async (url: string) => {
        recorded.openedExternal.push(url);
      },
    },
    safeStorage,
    dialog: {
      showMessageBox: async (opts: unknown) => {
        recorded.messageBoxes.push(opts);
        return { response: recorded.messageBoxResponse };
      },
      showErrorBox: vi.fn(),
    },
  };
  return { ...mod, default: mod };
}

/**
 * The whole product for the UI's end-to-end tests and the bench: the MTProto sandbox (with a 2FA password),
 * a relay, the bridge host behind a {@link DeviceService} and the headless UI server, an MCP client playing
 * the AI, and headless Chromium driven by playwright-core (Debian's `/usr/bin/chromium`; never
 * `playwright install`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type BridgeHost, startBridgeHost } from '../../bridge/host/bridgeHost.js';
import { login } from '../../bridge/telegram/login.js';
import { ConsentDesk } from '../../bridge/ui/consentDesk.js';
import { DeviceService, type DeviceServiceOptions, memorySettings } from '../../bridge/ui/deviceService.js';
import { startUiServer, type UiServer } from '../../bridge/ui/uiServer.js';
import { type Relay, startRelay } from '../../relay/index.js';
import { defaultFixture, SANDBOX_API_HASH, SANDBOX_API_ID, type Sandbox, startSandbox } from '../../sandbox/index.js';
import { buildUi } from '../../scripts/buildUi.js';
import { sandboxGateway } from './sandboxGateway.js';
import { personApproves } from './clientConsent.js';

/** The sandbox account's 2FA password (sandbox only). */
export const SANDBOX_2FA = 'correct horse battery staple';

/** Where Debian installs Chromium (`.ci/run` installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium flags for a quiet, offline, headless run. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** A device-service login runner bound to `sandbox` (its endpoint and RSA key). */
export function sandboxLogin(sandbox: Sandbox): NonNullable<DeviceServiceOptions['login']> {
  return (method, prompts) =>
    login({
      apiId: SANDBOX_API_ID,
      apiHash: SANDBOX_API_HASH,
      method,
      prompts,
      endpoint: { dcId: sandbox.dcId, host: sandbox.host, port: sandbox.port },
      clientParams: sandbox.clientParams(),
    });
}

/** Builds the renderer once into a temporary folder. @returns the folder and a remover. */
export async function builtUi(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-bridge-ui-'));
  await buildUi(dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** One running product. */
export interface UiWorld {
  sandbox: Sandbox;
  relay: Relay;
  service: DeviceService;
  /** Where new AI apps wait for the person (with `consent: 'ui'`). */
  consentDesk: ConsentDesk | null;
  ui: UiServer;
  ai: Client;
  /** The host, once logged in. */
  host(): BridgeHost;
  home: string;
  stop(): Promise<void>;
}

/**
 * Starts sandbox, relay, device service and UI server. With `loggedIn` the host starts at once with a minted
 * session; otherwise the UI's login wizard logs in (phone → code → 2FA) and the host starts after it.
 * `undoMs` is the undo window after an approval (default 0: approvals send at once).
 */
export async function startUiWorld(opts: {
  staticDir: string;
  loggedIn: boolean;
  undoMs?: number;
  /** Who answers a new AI app: `auto` allows read + ask-to-write in all chats (default); `ui` = the person in the UI. */
  consent?: 'auto' | 'ui';
}): Promise<UiWorld> {
  const f = defaultFixture();
  const sandbox = await startSandbox({
    fixture: { ...f, account: { ...f.account, password: SANDBOX_2FA, passwordHint: 'horse' } },
  });
  const mcpToken = randomBytes(24).toString('base64url');
  const bridgeToken = randomBytes(24).toString('base64url');
  const relay = await startRelay({ users: [{ id: 'ui', mcpToken, bridgeToken }] });
  const home = await mkdtemp(join(tmpdir(), 'tg-bridge-ui-home-'));
  let host: BridgeHost | null = null;
  const me = sandbox.control.account();
  const desk = opts.consent === 'ui' ? new ConsentDesk() : null;
  const startHost = async (session: string) => {
    host = await startBridgeHost({
      clientConsent: desk ? desk.prompt : personApproves(),
      relayUrl: relay.url,
      bridgeToken,
      gateway: sandboxGateway(sandbox, { session }),
      auditPath: join(home, 'audit.jsonl'),
      undoMs: opts.undoMs ?? 0,
    });
    return host;
  };
  const service = new DeviceService({
    settings: memorySettings(),
    ...(desk ? { consent: desk } : {}),
    login: sandboxLogin(sandbox),
    onLoggedIn: async (result) => {
      const started = await startHost(result.session);
      service.attach(started, { name: result.user.name, username: result.user.username });
    },
  });
  if (opts.loggedIn) {
    service.attach(await startHost(sandbox.mintSession()), { name: me.firstName, username: me.username ?? null });
  }
  const ui = await startUiServer({ service, staticDir: opts.staticDir });
  const ai = new Client({ name: 'test-ai', version: '1.0.0' });
  await ai.connect(
    new StreamableHTTPClientTransport(new URL(relay.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
    }),
  );
  return {
    sandbox,
    relay,
    service,
    consentDesk: desk,
    ui,
    ai,
    home,
    host: () => {
      if (!host) throw new Error('not logged in yet');
      return host;
    },
    async stop() {
      await ai.close().catch(() => undefined);
      await ui.close();
      service.close();
      await (host as BridgeHost | null)?.stop();
      await relay.close();
      await sandbox.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A headless Chromium with a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A new page in a fresh context (own cookies), opened on the UI's one-time link. */
export async function openUi(
  browser: Browser,
  url: string,
  opts: { colorScheme?: 'light' | 'dark' } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1100, height: 760 },
    colorScheme: opts.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

/**
 * A whole product and a Chromium page on its UI, for a test file of its own: builds the UI, launches
 * Chromium, starts a {@link startUiWorld} (waiting for the relay link when logged in) and opens the UI once.
 * `stop` undoes all of it.
 */
export async function startBrowserWorld(
  opts: Omit<Parameters<typeof startUiWorld>[0], 'staticDir'>,
): Promise<{ world: UiWorld; page: Page; stop(): Promise<void> }> {
  const ui = await builtUi();
  const browser = await launchChromium();
  const world = await startUiWorld({ ...opts, staticDir: ui.dir });
  if (opts.loggedIn) await world.host().waitConnected();
  const { page } = await openUi(browser, world.ui.url);
  return {
    world,
    page,
    async stop() {
      await page.context().close();
      await world.stop();
      await browser.close();
      await ui.remove();
    },
  };
}

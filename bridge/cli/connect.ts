/**
 * `tg-bridge connect` and `tg-bridge ui`: run the engine until Ctrl-C (or `tg-bridge logout`), connected to a
 * relay when one is given or saved, answering approvals in this terminal and, with `ui`, in the app UI on
 * 127.0.0.1. `ui` also works before the first login: the UI's wizard logs in (phone → code → 2FA, or QR) and
 * seals the session in the vault, then the engine starts; and what the connection screen sets up (device
 * pairing or a bridge token) is saved 0600 in the data directory for the next start.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { verifyAuditFile } from '../audit/auditChain.js';
import { controlSocketPath } from '../control/controlSocket.js';
import type { BridgeHost } from '../host/bridgeHost.js';
import { credentialPathIn, loadCredential, relayBaseUrl } from '../link/devicePairing.js';
import { fileRelayConfig, type RelayConfig, relayConnectOptions } from '../link/relayConfig.js';
import { ClientScopes, clientsPathIn } from '../policy/clientScopes.js';
import { visibleText } from '../protocol/visibleText.js';
import type { DeviceService } from '../ui/deviceService.js';
import type { UiServer } from '../ui/uiServer.js';
import { APP_NAME, APP_VERSION } from '../version.js';
import type { TelegramAppOptions, TelegramCredentials } from './account.js';
import { stdinClientConsent } from './clientConsentPrompt.js';
import { describeStatus, describeVerify } from './describe.js';
import { auditPathIn } from './home.js';
import { terminalAsker } from './terminalPrompts.js';

/** Where `connect` writes and how it waits for the person to stop it. */
export interface ConnectIo {
  out(s: string): void;
  /** Resolves with the signal's name when the person asks to stop (SIGINT/SIGTERM). */
  untilStopped(): Promise<string>;
}

/** Options of `connect` / `ui` (commander's parsed flags). Times in seconds. */
export interface ConnectOptions extends TelegramAppOptions {
  relay?: string;
  tokenFile?: string;
  sessionFile?: string;
  approvalTimeout: number;
  undoWindow: number;
  prompt: boolean;
  mediaDir?: string;
  allowFileUrl?: boolean;
  /** Also serve the UI (`tg-bridge ui`): port (default any free one) and built UI folder (default dist/renderer). */
  ui?: { port?: number; dir?: string };
}

/** Where `tg-bridge ui` keeps the relay set up on its connection screen (0600; see link/relayConfig.ts). */
export function relayConfigPathIn(home: string): string {
  return join(home, 'relay.json');
}

/**
 * Runs the engine until stopped; prints the audit verdict at the end.
 * @returns 0 after a clean stop.
 * @throws Error for set-up problems (no session without `ui`, a bad secret file, a relay mismatch…).
 */
export async function connect(opts: ConnectOptions, io: ConnectIo): Promise<number> {
  const [{ loadCredentialsOrLogin }, { startBridgeHost }, { attachTerminalApprovals }, { GramjsGateway }] =
    await Promise.all([
      import('./account.js'),
      import('../host/bridgeHost.js'),
      import('../host/terminalApprovals.js'),
      import('../telegram/gateway.js'),
    ]);
  const relayStore = opts.ui ? fileRelayConfig(relayConfigPathIn(opts.home), credentialPathIn(opts.home)) : null;
  const fromFlags = opts.relay ? await relayFromFlags(opts) : null;
  /**
   * The relay the engine dials: the flags', else the one set up on the connection screen (or by `tg-bridge pair`).
   * Read again for an engine started after a login from the UI: the person may have paired meanwhile.
   */
  const relayNow = async (): Promise<RelayConfig | null> => fromFlags ?? (await relayStore?.load()) ?? null;
  const relayAtStart = await relayNow();
  const asker = terminalAsker();
  const found = await loadCredentialsOrLogin(
    opts,
    { out: io.out, asker },
    opts.sessionFile || process.env.TG_BRIDGE_SESSION
      ? await secretFrom(opts.sessionFile, 'TG_BRIDGE_SESSION', 'Telegram session')
      : null,
    Boolean(opts.ui),
  ).finally(() => asker.close());
  if ('pending' in found && !opts.ui) throw new Error('not logged in: run `tg-bridge login` first');
  const logger = pino(
    { level: process.env.TG_BRIDGE_LOG ?? 'warn', redact: ['token', 'session', '*.token', '*.session'] },
    pino.destination(2),
  );
  const clientScopes = await ClientScopes.open(clientsPathIn(opts.home));
  // With the UI, a new AI app is asked about there (scope and chats picked from a list); the terminal says so.
  const desk = opts.ui ? new (await import('../ui/consentDesk.js')).ConsentDesk() : null;
  desk?.on('added', (r) =>
    io.out(`A new AI app, "${visibleText(r.clientName || r.clientId, { maxLength: 64 }).text}", asks for access: answer in the UI.\n`),
  );

  let host: BridgeHost | null = null;
  let detach = () => {};
  let onHost: (h: BridgeHost) => void = () => {};
  const hostStarted = new Promise<BridgeHost>((resolveHost) => (onHost = resolveHost));
  /** Starts the engine with these Telegram credentials, dialing `relay` (none = local front doors only). */
  const startHost = async (creds: TelegramCredentials, relay: RelayConfig | null): Promise<BridgeHost> => {
    const gateway = new GramjsGateway(creds);
    const askClient = stdinClientConsent(io.out, async (ref) => (await gateway.resolvePeer(ref)).ref);
    const started = await startBridgeHost({
      clientScopes,
      ...(desk ? { clientConsent: desk.prompt } : opts.prompt ? { clientConsent: askClient } : {}),
      ...(relay ? relayConnectOptions(relay) : {}),
      controlSocketPath: controlSocketPath(opts.home),
      gateway,
      auditPath: auditPathIn(opts.home),
      approvalTimeoutMs: opts.approvalTimeout * 1000,
      undoMs: opts.undoWindow * 1000,
      media: {
        dataDir: resolve(opts.home),
        ...(opts.mediaDir ? { mediaDir: resolve(opts.mediaDir) } : {}),
        allowFileUrl: Boolean(opts.allowFileUrl),
      },
      logger,
    });
    io.out(`${APP_NAME} ${APP_VERSION}: audit chain at ${auditPathIn(opts.home)}\n`);
    if (started.link) started.link.on('status', (s) => io.out(`${describeStatus(s)}\n`));
    else io.out('no relay given: serving local MCP clients only (`tg-bridge mcp`)\n');
    detach = opts.prompt ? attachTerminalApprovals(started.approvals, { rules: started.engine.rules }) : () => {};
    host = started;
    onHost(started);
    return started;
  };
  if ('credentials' in found) await startHost(found.credentials, relayAtStart);

  let ui: { service: DeviceService; server: UiServer } | null = null;
  if (opts.ui) {
    // Only `tg-bridge ui` loads the UI server and device service.
    const [{ DeviceService }, { fileSettings }, { builtUiDir, startUiServer }] = await Promise.all([
      import('../ui/deviceService.js'),
      import('../ui/fileSettings.js'),
      import('../ui/uiServer.js'),
    ]);
    let loggedIn: TelegramCredentials | null = null;
    const service: DeviceService = new DeviceService({
      ...(host ? { host } : {}),
      settings: await fileSettings(join(opts.home, 'ui-settings.json')),
      ...(desk ? { consent: desk } : {}),
      relay: { ...(relayStore ? { store: relayStore } : {}), current: relayAtStart },
      ...('pending' in found
        ? {
            login: async (method, prompts) => {
              const result = await found.pending.login(method, prompts);
              loggedIn = result.credentials;
              return result;
            },
            onLoggedIn: async (result) => {
              if (!loggedIn) throw new Error('the login did not finish');
              service.attach(await startHost(loggedIn, await relayNow()), { name: result.user.name, username: result.user.username });
            },
          }
        : {}),
    });
    try {
      const server = await startUiServer({
        service,
        staticDir: opts.ui.dir ?? builtUiDir(),
        ...(opts.ui.port ? { port: opts.ui.port } : {}),
      });
      ui = { service, server };
    } catch (err) {
      detach();
      await (host as BridgeHost | null)?.stop();
      throw err;
    }
    io.out(`UI: ${ui.server.url}\n`);
    if (!host) io.out('not logged in to Telegram yet: open the UI and log in there (the session is sealed in your vault)\n');
  }
  const loggedOut = hostStarted.then((h) => h.loggedOut);
  const signal = await Promise.race([io.untilStopped(), loggedOut.then(() => 'logout' as const)]);
  io.out(
    signal === 'logout'
      ? '\nlogged out of Telegram (`tg-bridge logout`): withdrawing pending approvals and stopping…\n'
      : `\n${signal}: withdrawing pending approvals and disconnecting…\n`,
  );
  detach();
  desk?.denyAll('the bridge is stopping');
  await ui?.server.close();
  ui?.service.close();
  const running = host as BridgeHost | null;
  if (!running) return 0;
  await running.stop();
  const result = await verifyAuditFile(auditPathIn(opts.home), { deviceKey: running.deviceKey });
  io.out(`${describeVerify(result)}\n`);
  return 0;
}

/** The relay from `--relay`: the pairing credential for it (from `tg-bridge pair`), else a bridge token. */
async function relayFromFlags(opts: ConnectOptions): Promise<RelayConfig> {
  const relay = opts.relay!;
  const explicitToken = Boolean(opts.tokenFile || process.env.TG_BRIDGE_TOKEN);
  const credential = explicitToken ? undefined : await loadCredential(credentialPathIn(opts.home));
  if (credential) {
    if (credential.relay !== relayBaseUrl(relay)) {
      throw new Error(`this device is paired with ${credential.relay}, not ${relayBaseUrl(relay)}; run tg-bridge pair --relay ${relay}`);
    }
    return { kind: 'paired', credential };
  }
  return { kind: 'token', relayUrl: relay, bridgeToken: await secretFrom(opts.tokenFile, 'TG_BRIDGE_TOKEN', 'bridge token') };
}

/**
 * A secret from a 0600 file or an environment variable (never from the command line).
 * @throws Error when the file is missing, empty or readable by others, or neither is given.
 */
export async function secretFrom(file: string | undefined, env: string, what: string): Promise<string> {
  if (file) {
    const st = await stat(file).catch(() => null);
    if (!st) throw new Error(`${what} file not found: ${file}`);
    if ((st.mode & 0o077) !== 0) throw new Error(`${what} file ${file} is readable by others; run: chmod 600 ${file}`);
    const value = (await readFile(file, 'utf8')).trim();
    if (!value) throw new Error(`${what} file ${file} is empty`);
    return value;
  }
  const value = process.env[env]?.trim();
  if (!value) throw new Error(`no ${what}: set ${env} or pass the --*-file option`);
  return value;
}

/**
 * `tg-bridge` — the headless bridge CLI.
 *
 *   tg-bridge connect [--relay <url>]    run the engine: serve the relay and local clients, answer approvals here
 *   tg-bridge ui [--relay <url>]         the same, plus the app UI on 127.0.0.1 (prints `UI: <url>`)
 *   tg-bridge mcp                        MCP over stdio for local clients, through the running engine
 *   tg-bridge login [--qr] / logout      Telegram login into the local vault, and logout
 *   tg-bridge audit verify [--json]      check the local audit chain
 *
 * Secrets never go on the command line (other users can read process arguments): the bridge token and the
 * Telegram session come from environment variables or 0600 files.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import pino from 'pino';
import {
  type DeviceKey,
  deviceKeyPathFor,
  exportAudit,
  loadDeviceKey,
  type VerifyResult,
  verifyAuditFile,
} from '../audit/auditChain.js';
import { controlSocketPath } from '../control/controlSocket.js';
import {
  credentialPathIn,
  type DeviceCredential,
  loadCredential,
  proofHeaders,
  relayBaseUrl,
} from '../link/devicePairing.js';
import { DEFAULT_UNDO_MS, MAX_UNDO_MS } from '../policy/approvals.js';
import { PassphraseSecretBox } from '../vault/secretBox.js';
import type { LinkStatus } from '../link/relayLink.js';
import { APP_NAME, APP_VERSION } from '../version.js';
import type { TelegramAppOptions } from './account.js';
import { ClientScopes, clientsPathIn } from '../policy/clientScopes.js';
import { stdinClientConsent } from './clientConsentPrompt.js';
import { pairCommand } from './pair.js';
import { terminalAsker } from './terminalPrompts.js';
import type { DeviceService } from '../ui/deviceService.js';
import type { UiServer } from '../ui/uiServer.js';

// Modules only one command needs load when that command runs (`connect` never loads the MCP server or the
// QR code renderer; `mcp` never loads gramjs): less start-up time and resident memory per process.

/** Default data directory: `$TG_BRIDGE_HOME` or `~/.tg-bridge`. */
export function defaultHome(): string {
  return process.env.TG_BRIDGE_HOME || join(homedir(), '.tg-bridge');
}

/** Default audit chain path inside a data directory. */
export function auditPathIn(home: string): string {
  return join(home, 'audit.jsonl');
}

/**
 * Runs the CLI.
 * @param argv full process argv (node, script, ...args).
 * @returns the process exit code: 0 ok, 1 failure (e.g. audit chain broken), 2 usage or setup error.
 */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const program = new Command()
    .name('tg-bridge')
    .description(
      'Bridge your own Telegram account to AI assistants over MCP; every write waits for your approval.',
    )
    .version(APP_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  let exitCode = 0;

  const engineOptions = (cmd: Command) =>
    cmd
      .option(
        '--relay <url>',
        'relay URL, e.g. https://relay.example.com (or its /bridge URL); omit for local only',
      )
      .option('--home <dir>', 'data directory (audit chain lives here)', defaultHome())
      .option('--token-file <path>', 'file holding the bridge token (else $TG_BRIDGE_TOKEN)')
      .option('--session-file <path>', 'file holding a Telegram StringSession (else $TG_BRIDGE_SESSION, else the vault)')
      .option('--api-id <n>', 'your Telegram api_id from my.telegram.org (else $TG_API_ID)', parsePositiveInt)
      .option('--api-hash <hash>', 'your Telegram api_hash (else $TG_API_HASH)')
      .option('--server <host:port>', 'a non-production MTProto server, e.g. the local sandbox (dc@host:port)')
      .option('--server-key <pem>', 'RSA public key file of that server (`npm run sandbox` prints its path)')
      .option('--approval-timeout <seconds>', 'how long a write waits for your answer', parsePositiveInt, 120)
      .option(
        '--undo-window <seconds>',
        'after you approve a write, how long you can still undo it (0 = off, at most 60)',
        parseUndoWindow,
        DEFAULT_UNDO_MS / 1000,
      )
      .option('--no-prompt', 'do not answer approvals in this terminal')
      .option('--media-dir <dir>', 'the only folder send_media may read file_path from (default: file paths refused)')
      .option('--allow-file-url', 'let send_media fetch file_url (public http/https only; off by default)')
      .addHelpText(
        'after',
        '\nEnvironment: TG_BRIDGE_TOKEN, TG_BRIDGE_SESSION, TG_BRIDGE_PASSPHRASE, TG_API_ID, TG_API_HASH,\n' +
          'TG_BRIDGE_LOG (pino level, default warn).',
      );

  engineOptions(
    program
      .command('connect')
      .description(
        'Run the engine: connect to a relay (if given) and serve local MCP clients (`tg-bridge mcp`) until Ctrl-C.',
      ),
  ).action(async (opts: ConnectOptions) => {
    exitCode = await connect(opts, io);
  });

  engineOptions(
    program
      .command('ui')
      .description(
        'Run the engine like `connect` and serve the app UI on 127.0.0.1: approvals, connection, audit, settings. ' +
          'Prints `UI: <url>`; the link works once (it sets a session cookie in your browser).',
      )
      .option('--port <n>', 'port on 127.0.0.1 (default: any free port)', parsePositiveInt)
      .option('--ui-dir <dir>', 'folder of the built UI (default: dist/renderer; `npm run build:ui` makes it)'),
  ).action(async (opts: ConnectOptions & { port?: number; uiDir?: string }) => {
    exitCode = await connect(
      { ...opts, ui: { ...(opts.port ? { port: opts.port } : {}), ...(opts.uiDir ? { dir: resolve(opts.uiDir) } : {}) } },
      io,
    );
  });

  program
    .command('pair')
    .description('Pair this device with your relay account: shows a code you confirm on the relay.')
    .requiredOption('--relay <url>', 'relay URL, e.g. https://relay.example.com')
    .option('--home <dir>', 'data directory (the credential is saved here, 0600)', defaultHome())
    .option('--name <name>', 'device name shown on the relay (default: this computer\'s name)')
    .option('--poll-ms <ms>', 'poll interval override, in ms', parsePositiveInt)
    .action(async (opts: { relay: string; home: string; name?: string; pollMs?: number }) => {
      exitCode = await pairCommand(opts, io);
    });

  const clients = program.command('clients').description('AI apps (OAuth clients) you approved on this device.');
  clients
    .command('list')
    .description('List approved AI apps and their scopes')
    .option('--home <dir>', 'data directory', defaultHome())
    .action(async (opts: { home: string }) => {
      const scopes = await ClientScopes.open(clientsPathIn(opts.home));
      const list = scopes.list();
      if (list.length === 0) io.out('no AI apps approved on this device\n');
      for (const c of list) {
        const chats = c.scope.chats === 'all' ? 'all chats' : c.scope.chats.join(', ');
        io.out(`${c.clientId}\t${JSON.stringify(c.clientName)} via ${c.relay}\t${c.scope.access === 'read' ? 'read-only' : 'read + ask-to-write'}; ${chats}\n`);
      }
    });
  clients
    .command('revoke <clientId>')
    .description('Revoke an AI app: its calls are refused on this device from now on (a running engine too)')
    .option('--home <dir>', 'data directory', defaultHome())
    .action(async (clientId: string, opts: { home: string }) => {
      const scopes = await ClientScopes.open(clientsPathIn(opts.home));
      if (await scopes.revoke(clientId)) io.out(`revoked ${clientId}\n`);
      else {
        io.err(`tg-bridge: no approved AI app with id ${clientId} (see tg-bridge clients list)\n`);
        exitCode = 1;
      }
    });

  program
    .command('mcp')
    .description('Serve the tools over stdio to a local MCP client, through the running engine (no cloud).')
    .option('--home <dir>', 'data directory of the running engine', defaultHome())
    .addHelpText(
      'after',
      '\nStart the engine first (`tg-bridge connect`, or the tray app): it holds the only Telegram connection and\n' +
        'shows the approval prompts. MCP client entry (Claude Desktop, Cursor) for this install, which works\n' +
        `from any folder:\n  ${JSON.stringify(mcpClientEntry(argv))}`,
    )
    .action(async (opts: { home: string }) => {
      const { connectControl } = await import('../control/controlSocket.js');
      const { serveMcpOverStdio } = await import('../mcp/localMcp.js');
      const control = await connectControl(controlSocketPath(opts.home), {
        app: 'tg-bridge mcp',
        version: APP_VERSION,
      });
      await serveMcpOverStdio(control);
      control.close();
    });

  program
    .command('login')
    .description('Log in to Telegram (phone + code + 2FA, or --qr) and seal the session in the local vault.')
    .option('--qr', 'log in by scanning a QR code with Telegram on your phone')
    .option('--home <dir>', 'data directory (the vault lives here)', defaultHome())
    .option('--api-id <n>', 'your Telegram api_id from my.telegram.org (else $TG_API_ID)', parsePositiveInt)
    .option('--api-hash <hash>', 'your Telegram api_hash (else $TG_API_HASH)')
    .option('--server <host:port>', 'a non-production MTProto server, e.g. the local sandbox (dc@host:port)')
    .option('--server-key <pem>', 'RSA public key file of that server (`npm run sandbox` prints its path)')
    .addHelpText('after', '\nThe vault passphrase is asked for, or read from $TG_BRIDGE_PASSPHRASE.')
    .action(async (opts: TelegramAppOptions & { qr?: boolean }) => {
      const { loginCommand } = await import('./account.js');
      const asker = terminalAsker();
      try {
        exitCode = await loginCommand(opts, { out: io.out, asker });
      } finally {
        asker.close();
      }
    });

  program
    .command('logout')
    .description(
      'End the Telegram session (auth.logOut) and wipe it from the local vault; a running engine does it over its own connection and stops.',
    )
    .option('--home <dir>', 'data directory', defaultHome())
    .option('--server <host:port>', 'a non-production MTProto server (dc@host:port)')
    .option('--server-key <pem>', 'RSA public key file of that server')
    .action(async (opts: TelegramAppOptions) => {
      const { logoutCommand } = await import('./account.js');
      const asker = terminalAsker();
      try {
        exitCode = await logoutCommand(opts, { out: io.out, asker });
      } finally {
        asker.close();
      }
    });

  const audit = program.command('audit').description('Inspect the local audit chain.');
  audit
    .command('verify')
    .description(
      'Check the audit chain: every hash and link, and with this device\'s key also every MAC and the head ' +
        'record (entries cut from the end, a rollback, a rewrite). Reports the first bad entry.',
    )
    .option('--file <path>', 'audit chain file', auditPathIn(defaultHome()))
    .option('--key-file <path>', 'device key file (default: device.key beside the chain)')
    .option('--no-key', 'check internal consistency only (e.g. an exported copy on another machine)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nWithout the device key (an exported copy, --no-key) verify proves only that the file is self-consistent,\n' +
        'not who wrote it or that nothing was cut from its end. A sealed device key is opened with\n' +
        '$TG_BRIDGE_PASSPHRASE. Exit code: 0 ok, 1 broken, 2 no chain or no usable key.',
    )
    .action(async (opts: AuditFileOptions & { json?: boolean }) => {
      exitCode = await auditVerify(opts, io);
    });

  audit
    .command('export <out>')
    .description('Write a verified copy of the audit chain to <out> (0600), e.g. to keep it elsewhere.')
    .option('--file <path>', 'audit chain file', auditPathIn(defaultHome()))
    .option('--key-file <path>', 'device key file (default: device.key beside the chain)')
    .option('--no-key', 'export after a consistency check only')
    .action(async (out: string, opts: AuditFileOptions) => {
      const deviceKey = await auditKey(opts);
      await exportAudit(opts.file, out, { deviceKey: deviceKey ?? undefined });
      io.out(
        `audit chain exported to ${out}. The copy carries no key: checked elsewhere it proves internal ` +
          'consistency only.\n',
      );
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(`tg-bridge: ${(err as Error).message}\n`);
    return 2;
  }
  return exitCode;
}

/**
 * The MCP client entry that starts `tg-bridge mcp` of this very install from any folder: absolute paths of
 * node and of the running `tg-bridge` script, so it needs neither a checkout nor `node` on the client's PATH
 * (desktop apps often start with a bare PATH). Falls back to the `tg-bridge` command name when the script is
 * unknown (the CLI run in-process by tests).
 */
export function mcpClientEntry(argv: string[]): { command: string; args: string[] } {
  const script = argv[1];
  if (script && /tg-bridge(\.js)?$/.test(script)) return { command: process.execPath, args: [resolve(script), 'mcp'] };
  return { command: 'tg-bridge', args: ['mcp'] };
}

/** Where the CLI writes, and how it waits for shutdown (tests replace these). */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  /** Resolves when the person asks to stop (SIGINT/SIGTERM). */
  untilStopped(): Promise<string>;
}

function defaultIo(): CliIo {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    untilStopped: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      }),
  };
}

interface ConnectOptions {
  relay?: string;
  home: string;
  tokenFile?: string;
  sessionFile?: string;
  apiId?: number;
  apiHash?: string;
  server?: string;
  serverKey?: string;
  approvalTimeout: number;
  undoWindow: number;
  prompt: boolean;
  mediaDir?: string;
  allowFileUrl?: boolean;
  /** Also serve the UI (`tg-bridge ui`): port (default any free one) and built UI folder (default dist/renderer). */
  ui?: { port?: number; dir?: string };
}

async function connect(opts: ConnectOptions, io: CliIo): Promise<number> {
  const [{ loadCredentials }, { startBridgeHost }, { attachTerminalApprovals }, { GramjsGateway }] =
    await Promise.all([
      import('./account.js'),
      import('../host/bridgeHost.js'),
      import('../host/terminalApprovals.js'),
      import('../telegram/gateway.js'),
    ]);
  const paired = opts.relay ? await pairedCredential(opts) : undefined;
  const token = paired
    ? paired.bridgeToken
    : opts.relay
      ? await secretFrom(opts.tokenFile, 'TG_BRIDGE_TOKEN', 'bridge token')
      : undefined;
  const asker = terminalAsker();
  const creds = await loadCredentials(
    opts,
    { out: io.out, asker },
    opts.sessionFile || process.env.TG_BRIDGE_SESSION
      ? await secretFrom(opts.sessionFile, 'TG_BRIDGE_SESSION', 'Telegram session')
      : null,
  ).finally(() => asker.close());
  const logger = pino(
    { level: process.env.TG_BRIDGE_LOG ?? 'warn', redact: ['token', 'session', '*.token', '*.session'] },
    pino.destination(2),
  );
  const gateway = new GramjsGateway(creds);
  const clientScopes = await ClientScopes.open(clientsPathIn(opts.home));
  const askClient = stdinClientConsent(io.out, async (ref) => (await gateway.resolvePeer(ref)).ref);
  const host = await startBridgeHost({
    clientScopes,
    ...(opts.prompt ? { clientConsent: askClient } : {}),
    ...(opts.relay && token ? { relayUrl: opts.relay, bridgeToken: token } : {}),
    ...(paired ? { connectHeaders: () => proofHeaders(paired) } : {}),
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
  if (host.link) host.link.on('status', (s) => io.out(`${describeStatus(s)}\n`));
  else io.out('no relay given: serving local MCP clients only (`tg-bridge mcp`)\n');
  const detach = opts.prompt ? attachTerminalApprovals(host.approvals, { rules: host.engine.rules }) : () => {};
  let ui: { service: DeviceService; server: UiServer } | null = null;
  if (opts.ui) {
    // Only `tg-bridge ui` loads the UI server and device service.
    const [{ DeviceService }, { fileSettings }, { builtUiDir, startUiServer }] = await Promise.all([
      import('../ui/deviceService.js'),
      import('../ui/fileSettings.js'),
      import('../ui/uiServer.js'),
    ]);
    const service = new DeviceService({ host, settings: await fileSettings(join(opts.home, 'ui-settings.json')) });
    try {
      const server = await startUiServer({
        service,
        staticDir: opts.ui.dir ?? builtUiDir(),
        ...(opts.ui.port ? { port: opts.ui.port } : {}),
      });
      ui = { service, server };
    } catch (err) {
      detach();
      await host.stop();
      throw err;
    }
    io.out(`UI: ${ui.server.url}\n`);
  }
  const signal = await Promise.race([io.untilStopped(), host.loggedOut.then(() => 'logout' as const)]);
  io.out(
    signal === 'logout'
      ? '\nlogged out of Telegram (`tg-bridge logout`): withdrawing pending approvals and stopping…\n'
      : `\n${signal}: withdrawing pending approvals and disconnecting…\n`,
  );
  detach();
  await ui?.server.close();
  ui?.service.close();
  await host.stop();
  const result = await verifyAuditFile(auditPathIn(opts.home), { deviceKey: host.deviceKey });
  io.out(`${describeVerify(result)}\n`);
  return 0;
}

/** The credential from `tg-bridge pair` for this relay, unless a static token was given explicitly. */
async function pairedCredential(opts: ConnectOptions): Promise<DeviceCredential | undefined> {
  if (opts.tokenFile || process.env.TG_BRIDGE_TOKEN) return undefined;
  const credential = await loadCredential(credentialPathIn(opts.home));
  if (!credential) return undefined;
  if (credential.relay !== relayBaseUrl(opts.relay!)) {
    throw new Error(`this device is paired with ${credential.relay}, not ${relayBaseUrl(opts.relay!)}; run tg-bridge pair --relay ${opts.relay}`);
  }
  return credential;
}

/** Options the audit subcommands share. `key` is false with `--no-key`. */
interface AuditFileOptions {
  file: string;
  keyFile?: string;
  key: boolean;
}

/**
 * The device key for an audit subcommand: `--key-file`, else `device.key` beside the chain (a sealed one is
 * opened with $TG_BRIDGE_PASSPHRASE); null with `--no-key` or when there is no key file.
 * @throws AuditChainError / WrongPassphraseError when the key file exists but can't be used.
 */
async function auditKey(opts: AuditFileOptions): Promise<DeviceKey | null> {
  if (!opts.key) return null;
  const pass = process.env.TG_BRIDGE_PASSPHRASE;
  const path = opts.keyFile ?? deviceKeyPathFor(opts.file);
  const key = await loadDeviceKey(path, pass ? { box: new PassphraseSecretBox(pass) } : {});
  if (!key && opts.keyFile) throw new Error(`no device key at ${opts.keyFile}`);
  return key;
}

async function auditVerify(opts: AuditFileOptions & { json?: boolean }, io: CliIo): Promise<number> {
  try {
    await stat(opts.file);
  } catch {
    io.err(`tg-bridge: no audit chain at ${opts.file} (nothing has run yet, or pass --file)\n`);
    return 2;
  }
  const deviceKey = await auditKey(opts);
  const result = await verifyAuditFile(opts.file, { deviceKey: deviceKey ?? undefined });
  io.out(opts.json ? `${JSON.stringify(result)}\n` : `${describeVerify(result)}\n`);
  return result.ok ? 0 : 1;
}

/**
 * The verdict, first line starting `audit chain:` (the demo and CI grep for it), then what was proven: with the
 * key, or consistency only; entries without MACs; incidents the device recorded earlier.
 */
export function describeVerify(r: VerifyResult): string {
  const lines: string[] = [];
  if (r.ok) {
    const torn = r.torn_tail ? ' (a torn final line from a crash will be repaired on next start)' : '';
    const nl = r.missing_newline ? ' (the last entry lacks its newline; it is added on next start)' : '';
    lines.push(`audit chain: ok — ${r.verified} entries verified${torn}${nl}`);
  } else {
    lines.push(
      `audit chain: BROKEN at entry ${r.first_bad_seq ?? '?'} — ${r.reason ?? 'unknown reason'} (${r.verified} entries before it verify)`,
    );
  }
  lines.push(
    r.keyed
      ? '  checked with this device\'s key: entry MACs and the head record (nothing cut from the end, no rollback, no rewrite without the key)'
      : '  checked WITHOUT the device key: internal consistency only — this does not show who wrote the file, nor that entries were not cut from its end or the whole file rewritten',
  );
  if (r.legacy_unkeyed) {
    lines.push(`  ${r.legacy_unkeyed} entries predate keying (no MAC of their own; anchored by the keyed entries after them)`);
  }
  for (const i of r.incidents ?? []) lines.push(`  WARNING: at entry ${i.seq} this device recorded: ${i.what}`);
  return lines.join('\n');
}

/** Human line for a link status. */
export function describeStatus(s: LinkStatus): string {
  switch (s.state) {
    case 'connecting':
      return `relay: connecting (attempt ${s.attempt})…`;
    case 'connected':
      return 'relay: connected — AI tool calls now reach this device';
    case 'waiting':
      return `relay: ${s.reason}; retrying in ${(s.retryInMs / 1000).toFixed(1)} s`;
    case 'stopped':
      return 'relay: disconnected';
  }
}

async function secretFrom(file: string | undefined, env: string, what: string): Promise<string> {
  if (file) {
    const st = await stat(file).catch(() => null);
    if (!st) throw new Error(`${what} file not found: ${file}`);
    if ((st.mode & 0o077) !== 0)
      throw new Error(`${what} file ${file} is readable by others; run: chmod 600 ${file}`);
    const value = (await readFile(file, 'utf8')).trim();
    if (!value) throw new Error(`${what} file ${file} is empty`);
    return value;
  }
  const value = process.env[env]?.trim();
  if (!value) throw new Error(`no ${what}: set ${env} or pass the --*-file option`);
  return value;
}

/** `--undo-window`: whole seconds from 0 (off) to 60 (MAX_UNDO_MS). */
function parseUndoWindow(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > MAX_UNDO_MS / 1000)
    throw new InvalidArgumentError(`expected whole seconds from 0 to ${MAX_UNDO_MS / 1000}, got "${v}"`);
  return n;
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive whole number, got "${v}"`);
  return n;
}

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
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type DeviceKey, deviceKeyPathFor, exportAudit, loadDeviceKey, verifyAuditFile } from '../audit/auditChain.js';
import { controlSocketPath } from '../control/controlSocket.js';
import { DEFAULT_UNDO_MS, MAX_UNDO_MS } from '../policy/approvals.js';
import { ClientScopes, clientsPathIn } from '../policy/clientScopes.js';
import { PassphraseSecretBox } from '../vault/secretBox.js';
import { APP_VERSION } from '../version.js';
import type { TelegramAppOptions } from './account.js';
import { type ConnectOptions, connect } from './connect.js';
import { describeVerify } from './describe.js';
import { auditPathIn, defaultHome } from './home.js';
import { pairCommand } from './pair.js';
import { terminalAsker } from './terminalPrompts.js';

export { auditPathIn, defaultHome } from './home.js';
export { describeStatus, describeVerify } from './describe.js';
export { relayConfigPathIn } from './connect.js';

// Modules only one command needs load when that command runs (`connect` never loads the MCP server or the
// QR code renderer; `mcp` never loads gramjs): less start-up time and resident memory per process.

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
          'Prints `UI: <url>`; the link works once (it sets a session cookie in your browser). Not logged in yet? ' +
          'Log in from the UI (the session is sealed in your vault). Without --relay it reconnects to the relay ' +
          'you set up on the connection screen (pairing or token, saved 0600 as relay.json in --home).',
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
        io.out(`${c.clientId}\t${JSON.stringify(c.clientName)} via ${c.via ?? c.relay}\t${c.scope.access === 'read' ? 'read-only' : 'read + ask-to-write'}; ${chats}\n`);
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

/**
 * `tg-relay` command line.
 *
 * - `tg-relay serve [--data-dir DIR] [--public-url URL] [--config users.json] [--port 8787] [--host 127.0.0.1]`
 *   starts the relay and prints the URLs a person pastes into Claude and ChatGPT; stops cleanly on SIGINT or
 *   SIGTERM. State lives in PGlite in `--data-dir` (default `~/.tg-relay`), or in PostgreSQL when
 *   `--database-url` / `DATABASE_URL` is set. With `--redis-url` / `REDIS_URL` (and PostgreSQL) it runs as one
 *   replica of several behind a load balancer (`--replica-id` / `RELAY_REPLICA_ID` names it; README "Several
 *   replicas").
 * - `tg-relay user add NAME [--totp]` (password read from standard input), `user list`, `user remove NAME`.
 * - `tg-relay token create --user NAME --label LABEL`: a personal access token for a CLI MCP client.
 * - `tg-relay --version`.
 * Usage errors exit 2 with the message on stderr; failures exit 1. Logs (JSON, pino) go to stderr and never
 * contain tokens or passwords.
 *
 * Config file (optional, for static tokens): `{"users": [{"id": "alice", "mcpToken": "…", "bridgeToken": "…"}]}`.
 */
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { z } from 'zod';
import { formatZodIssues } from '../bridge/protocol/index.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './accounts/passwordHash.js';
import { newTotpSecret } from './accounts/totp.js';
import { type RelayUser, RelayUserSchema, startRelay } from './index.js';
import { createPersonalToken } from './pages/accountPages.js';
import { openRelayStore, type RelayStore } from './store/relayStore.js';
import { RELAY_VERSION } from './version.js';

/** Schema of the `--config` file. */
export const RelayConfigFile = z.strictObject({ users: z.array(RelayUserSchema).min(1) });

/**
 * Reads and validates a relay config file.
 * @returns the configured users.
 * @throws Error saying what is wrong (unreadable file, bad JSON, or each bad field — never a token's value).
 */
export async function loadRelayConfig(path: string): Promise<{ users: RelayUser[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`config file ${path} is not valid JSON`);
  }
  const parsed = RelayConfigFile.safeParse(json);
  if (!parsed.success) throw new Error(`config file ${path} is invalid: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

function parsePort(value: string): number {
  const parsed = z.coerce.number().int().min(0).max(65_535).safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('port must be an integer 0–65535');
  return parsed.data;
}

/** Default data folder of the embedded database: `$TG_RELAY_DATA` or `~/.tg-relay`. */
export function defaultDataDir(): string {
  return process.env.TG_RELAY_DATA ?? join(homedir(), '.tg-relay');
}

/** Where the CLI writes. */
export interface RelayCliIo {
  out(text: string): void;
  err(text: string): void;
  /** Standard input as text (the password for `user add`). */
  readStdin(): Promise<string>;
}

const defaultIo: RelayCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  readStdin: async () => {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  },
};

/** The text `serve` prints: endpoints, and the steps for Claude and ChatGPT. */
export function connectInstructions(mcpUrl: string, bridgeUrl: string, publicUrl: string): string {
  return (
    `MCP endpoint:    ${mcpUrl}\nBridge endpoint: ${bridgeUrl}\n\n` +
    `Claude (claude.ai or Claude Desktop): Settings → Connectors → Add custom connector → URL: ${mcpUrl}\n` +
    `ChatGPT: Settings → Apps & Connectors → Advanced → Developer mode on → Create → MCP Server URL: ${mcpUrl}, Authentication: OAuth\n` +
    `Both then send you to ${publicUrl}/signin; afterwards approve the app in tg-bridge on your computer.\n` +
    `Pair your computer first: tg-bridge pair --relay ${publicUrl}\n`
  );
}

const USER_NAME = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@-]+$/, 'a user name may hold letters, digits and . _ @ - only');

function parseUserName(value: string): string {
  const parsed = USER_NAME.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]!.message);
  return parsed.data;
}

async function withStore<T>(dataDir: string, fn: (store: RelayStore) => Promise<T>): Promise<T> {
  const databaseUrl = process.env.DATABASE_URL;
  const store = await openRelayStore(databaseUrl ? { databaseUrl } : { dataDir });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Builds the `tg-relay` commander program (exported for tests); `setExit` receives each command's exit code. */
export function buildRelayCli(io: RelayCliIo = defaultIo, setExit: (code: number) => void = () => {}): Command {
  const program = new Command('tg-relay')
    .description('Relay between MCP clients (Claude, ChatGPT, …) and tg-bridge devices.')
    .version(RELAY_VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const dataDirOption = (cmd: Command) =>
    cmd.option('--data-dir <dir>', 'embedded database folder (ignored when DATABASE_URL is set)', defaultDataDir());

  dataDirOption(
    program
      .command('serve')
      .description('Start the relay')
      .option('--config <file>', 'JSON file with static tokens {"users":[{id, mcpToken, bridgeToken}]}')
      .option('--public-url <url>', 'URL people reach this relay at, e.g. https://relay.example (behind TLS)')
      .option('--allowed-origin <url...>', 'browser origins allowed to call /mcp (CORS)')
      .option('--port <port>', 'TCP port (0 = any free port)', parsePort, 8787)
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option('--log-level <level>', 'pino log level', 'info')
      .option('--database-url <url>', 'PostgreSQL URL (default $DATABASE_URL); without it PGlite in --data-dir')
      .option('--redis-url <url>', 'Redis URL (default $REDIS_URL): run as one replica of several (needs PostgreSQL)')
      .option('--replica-id <id>', 'this replica\'s name in logs and health (default $RELAY_REPLICA_ID or host-pid-random)')
      .option('--trusted-proxy <address...>', 'reverse proxy addresses or subnets whose X-Forwarded-For names the client (default $TRUSTED_PROXIES, comma-separated)'),
  ).action(
    async (opts: {
      databaseUrl?: string;
      redisUrl?: string;
      replicaId?: string;
      trustedProxy?: string[];
      config?: string;
      publicUrl?: string;
      allowedOrigin?: string[];
      port: number;
      host: string;
      logLevel: string;
      dataDir: string;
    }) => {
      const users = opts.config ? (await loadRelayConfig(opts.config)).users : [];
      const logger = pino({ level: opts.logLevel }, pino.destination(2));
      const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
      const redisUrl = opts.redisUrl ?? process.env.REDIS_URL;
      const replicaId = opts.replicaId ?? process.env.RELAY_REPLICA_ID;
      const relay = await startRelay({
        host: opts.host,
        port: opts.port,
        users,
        logger,
        ...(databaseUrl ? { databaseUrl } : { dataDir: opts.dataDir }),
        ...(redisUrl ? { redisUrl } : {}),
        ...(redisUrl && replicaId ? { replicaId } : {}),
        trustedProxies: opts.trustedProxy ?? (process.env.TRUSTED_PROXIES ?? '').split(',').map((p) => p.trim()).filter(Boolean),
        ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
        ...(opts.allowedOrigin ? { allowedOrigins: opts.allowedOrigin } : {}),
      });
      io.out(
        `tg-relay ${RELAY_VERSION} (${databaseUrl ? 'PostgreSQL' : `PGlite in ${opts.dataDir}`}` +
          `${relay.replicaId ? `, replica ${relay.replicaId} with Redis` : ''})\n` +
          connectInstructions(relay.mcpUrl, relay.bridgeUrl, relay.publicUrl),
      );
      const stop = (signal: string) => {
        logger.info({ signal }, 'stopping');
        setTimeout(() => process.exit(1), 5_000).unref();
        relay.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    },
  );

  const user = program.command('user').description('Manage accounts (with PGlite, while the relay is stopped).');
  dataDirOption(
    user
      .command('add <name>')
      .description(`Create an account; the password (at least ${MIN_PASSWORD_LENGTH} characters) is read from standard input`)
      .option('--totp', 'also require an authenticator code (prints the otpauth:// URI to add to your app)'),
  ).action(async (rawName: string, opts: { totp?: boolean; dataDir: string }) => {
    const name = parseUserName(rawName);
    const password = (await io.readStdin()).split(/\r?\n/)[0] ?? '';
    if (password.length < MIN_PASSWORD_LENGTH) {
      io.err(`tg-relay: the password (first line of standard input) must have at least ${MIN_PASSWORD_LENGTH} characters\n`);
      setExit(2);
      return;
    }
    const totp = opts.totp ? newTotpSecret(name) : undefined;
    await withStore(opts.dataDir, async (store) =>
      store.addUser({ id: name, passwordHash: await hashPassword(password), totpSecret: totp?.secret ?? null, createdAt: Date.now() }),
    );
    io.out(`user ${name} added${totp ? `\nadd this to your authenticator app: ${totp.uri}` : ''}\n`);
  });
  dataDirOption(user.command('list').description('List accounts')).action(async (opts: { dataDir: string }) => {
    const users = await withStore(opts.dataDir, (store) => store.listUsers());
    for (const u of users) {
      io.out(`${u.id}\t${u.passwordHash ? 'password' : 'no password (config tokens only)'}${u.totpSecret ? ' + TOTP' : ''}\tcreated ${new Date(u.createdAt).toISOString()}\n`);
    }
  });
  dataDirOption(user.command('remove <name>').description('Delete an account with its devices, clients and tokens')).action(
    async (rawName: string, opts: { dataDir: string }) => {
      const name = parseUserName(rawName);
      const removed = await withStore(opts.dataDir, (store) => store.removeUser(name));
      if (!removed) {
        io.err(`tg-relay: no user named ${name}\n`);
        setExit(1);
        return;
      }
      io.out(`user ${name} removed\n`);
    },
  );

  const tokenCmd = program.command('token').description('Personal access tokens for CLI MCP clients.');
  dataDirOption(
    tokenCmd
      .command('create')
      .description('Create a token; it is printed once (revoke it on the account page)')
      .requiredOption('--user <name>', 'account', parseUserName)
      .requiredOption('--label <label>', 'what the token is for'),
  ).action(async (opts: { user: string; label: string; dataDir: string }) => {
    const token = await withStore(opts.dataDir, async (store) => {
      if (!(await store.getUser(opts.user))) return undefined;
      return createPersonalToken(store, opts.user, opts.label.slice(0, 60), Date.now());
    });
    if (!token) {
      io.err(`tg-relay: no user named ${opts.user}\n`);
      setExit(1);
      return;
    }
    io.out(`${token}\n`);
  });
  return program;
}

/**
 * Runs the CLI. @returns the exit code: 0 ok, 1 failure, 2 usage error (message on stderr).
 */
export async function runRelayCli(argv: string[], io: RelayCliIo = defaultIo): Promise<number> {
  let code = 0;
  try {
    await buildRelayCli(io, (c) => (code = c)).parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(`tg-relay: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function isMain(): Promise<boolean> {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(await realpath(entry)).href;
  } catch {
    return false;
  }
}

if (await isMain()) {
  const code = await runRelayCli(process.argv);
  if (code !== 0) process.exitCode = code;
}

/**
 * `npm run sandbox` — the sandbox as its own process: a local Telegram seeded from a fixture, with the HTTP
 * control API.
 *
 *   npm run sandbox -- [--fixture world.json] [--port 24000] [--host 127.0.0.1] [--control-port 8790]
 *
 * Prints the MTProto address, the control API URL and its (random) bearer token, how to point a gramjs client
 * at it, and every login code as it is sent (this console is the sandbox's SMS inbox). Stops cleanly on SIGINT or
 * SIGTERM. Nothing here is a real credential: the account, its code and its 2FA password are the fixture's.
 */
import { realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { startControlHttp } from './controlHttp.js';
import { loadFixture } from './fixture.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, startSandbox } from './index.js';
import { serverRsaKey } from './mtproto/rsaKey.js';

function portParser(max: number, why: string) {
  return (value: string): number => {
    const parsed = z.coerce.number().int().min(0).max(max).safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`port must be an integer 0–${max}${why}`);
    return parsed.data;
  };
}

/** Options of the `sandbox` command, after parsing. */
interface CliOptions {
  port: number;
  host: string;
  fixture?: string;
  controlPort: number;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** Builds the `sandbox` commander program (exported for tests). */
export function buildSandboxCli(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('sandbox')
    .description('A local Telegram: an MTProto 2.0 server that unmodified gramjs clients log into.')
    .option(
      '--port <port>',
      'MTProto TCP port (0 = random in 20000–32767)',
      portParser(32767, ' (gramjs StringSession stores it as int16)'),
      0,
    )
    .option('--host <host>', 'interface to listen on (IPv4)', '127.0.0.1')
    .option('--fixture <json>', 'fixture file to seed from (default: sandbox/fixtures/default.json)')
    .option(
      '--control-port <port>',
      'HTTP control API port on 127.0.0.1 (0 = any free port)',
      portParser(65535, ''),
      0,
    )
    .action(async (opts: CliOptions) => {
      const fixture = opts.fixture ? loadFixture(opts.fixture) : undefined;
      const sandbox = await startSandbox({
        host: opts.host,
        port: opts.port,
        ...(fixture ? { fixture } : {}),
        onLoginCode: (phone, code) => out.write(`[${clock()}] login code for +${phone}: ${code}\n`),
      });
      const http = await startControlHttp(sandbox, { port: opts.controlPort });
      // Clients in other processes (tg-bridge --server-key) must trust this run's RSA key.
      const keyFile = join(tmpdir(), `tg-sandbox-${sandbox.port}.pem`);
      await writeFile(keyFile, serverRsaKey().publicKeyPem, { mode: 0o644 });
      const account = sandbox.control.account();
      const name = [account.firstName, account.lastName].filter(Boolean).join(' ');
      const username = account.username ? ` · @${account.username}` : '';
      const twoFactor = fixture?.account.password ? ' · 2FA password set' : '';
      const phone = `+${account.phone}`;
      out.write(
        [
          'Telegram sandbox — a local Telegram for tests and the demo',
          `  account      ${name} · ${phone}${username}${twoFactor}`,
          `  MTProto      ${sandbox.host}:${sandbox.port} (DC ${sandbox.dcId}, TCP full transport)`,
          `  control API  ${http.url}`,
          `  token        ${http.token}`,
          `  server key   ${keyFile}`,
          '',
          'tg-bridge against this sandbox (any api id/hash; log in with the code printed below):',
          `  TG_API_ID=${SANDBOX_API_ID} TG_API_HASH=${SANDBOX_API_HASH} npx tg-bridge login --server ${sandbox.host}:${sandbox.port} --server-key ${keyFile}`,
          '',
          'gramjs client (any process), then log in with the code printed below:',
          "  import { remoteSandboxClient } from './sandbox/remote.js';",
          `  const client = await remoteSandboxClient('${http.url}', '${http.token}');`,
          `  await client.start({ phoneNumber: '${phone}', phoneCode: async () => '<code>',`,
          '    password: async () => \'<2FA password, if any>\', onError: console.error });',
          'By hand: TelegramClient(session, apiId, apiHash, sandboxClientParams(port)) with everything from',
          `  curl -H 'Authorization: Bearer ${http.token}' ${http.url}/client-options`,
          '  (register its rsaKey in telegram/crypto/RSA _serverKeys; session.setDC(dcId, host, port);',
          '  useWSS: false).',
          '',
          'Login codes appear here as they are sent. Ctrl-C stops.',
          '',
        ].join('\n'),
      );
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        setTimeout(() => process.exit(1), 5_000).unref();
        Promise.all([http.close(), sandbox.stop()]).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
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
  buildSandboxCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}

/**
 * `tg-bridge pair --relay URL`: pairs this device with the person's relay account (see
 * link/devicePairing.ts). Shows a code, waits while the person confirms it on the relay, and saves the
 * credential (0600) in the data directory, where `tg-bridge connect --relay URL` finds it.
 */
import { hostname } from 'node:os';
import { credentialPathIn, pairDevice, saveCredential } from '../link/devicePairing.js';

/** Options of the `pair` command. */
export interface PairCommandOptions {
  relay: string;
  home: string;
  name?: string;
  /** Poll interval override, in ms (tests). */
  pollMs?: number;
}

/**
 * Runs the pairing; writes progress to `out`.
 * @returns the exit code: 0 paired, 1 failed (the reason went to `err`).
 */
export async function pairCommand(
  opts: PairCommandOptions,
  io: { out(s: string): void; err(s: string): void },
): Promise<number> {
  try {
    const credential = await pairDevice({
      relay: opts.relay,
      deviceName: (opts.name ?? hostname()).slice(0, 100),
      ...(opts.pollMs ? { pollIntervalMs: opts.pollMs } : {}),
      show: (code, uri, complete) =>
        io.out(
          `To pair this device, open ${complete ?? uri} while signed in to your relay and confirm the code:\n\n` +
            `    ${code}\n\nWaiting for you to confirm…\n`,
        ),
    });
    const path = credentialPathIn(opts.home);
    await saveCredential(path, credential);
    io.out(`Paired with ${credential.relay} as ${credential.user} (device ${credential.deviceId}). Credential saved in ${path}.\n` +
      `Start the bridge with: tg-bridge connect --relay ${credential.relay}\n`);
    return 0;
  } catch (err) {
    io.err(`tg-bridge pair: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

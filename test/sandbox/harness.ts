/**
 * Shared set-up for sandbox tests that drive it with unmodified gramjs clients: one sandbox per test, clients
 * logged in as the seeded account and always destroyed afterwards (gramjs leaves timers otherwise), and small
 * waiting helpers.
 */
import type { TelegramClient } from 'telegram';
import { afterEach, beforeEach } from 'vitest';
import {
  createSandboxClient,
  type Sandbox,
  type SandboxChannel,
  type SandboxOptions,
  startSandbox,
} from '../../sandbox/index.js';

/** The running sandbox of the current test and its clients. */
export interface Harness {
  sandbox: Sandbox;
  /** A connected client logged in as the seeded account (destroyed after the test). */
  client(session?: string): Promise<TelegramClient>;
  /** A fixture user by username. */
  user(username: string): { id: number; firstName: string };
  /** The fixture's first basic group. */
  group(): { id: number; title: string };
  /** A fixture supergroup or channel by title. */
  channel(title: string): SandboxChannel;
}

/** Registers beforeEach/afterEach hooks that start a sandbox per test; read `h.sandbox` inside tests. */
export function useSandbox(options: () => SandboxOptions = () => ({})): Harness {
  const clients: TelegramClient[] = [];
  const h: Harness = {
    sandbox: undefined as unknown as Sandbox,
    async client(session) {
      const c = createSandboxClient(h.sandbox, session);
      clients.push(c);
      await c.connect();
      return c;
    },
    user(username) {
      const u = h.sandbox.control.users().find((x) => x.username === username);
      if (!u) throw new Error(`fixture has no @${username}`);
      return u;
    },
    group() {
      const g = h.sandbox.control.chats()[0];
      if (!g) throw new Error('fixture has no basic group');
      return g;
    },
    channel(title) {
      const c = h.sandbox.control.channels().find((x) => x.title === title);
      if (!c) throw new Error(`fixture has no channel "${title}"`);
      return c;
    },
  };
  beforeEach(async () => {
    h.sandbox = await startSandbox(options());
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.destroy()));
    await h.sandbox.stop();
  });
  return h;
}

/** Resolves with the first defined value of `read()`, polling every 10 ms; rejects after `ms`. */
export async function eventually<T>(read: () => T | undefined, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The RPC error message of a rejected call (e.g. "MESSAGE_ID_INVALID"), or the error's text. */
export async function rpcErrorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    return (err as { errorMessage?: string }).errorMessage ?? String(err);
  }
  throw new Error('expected the call to fail');
}

/**
 * Error codes a tool call can fail with. On the wire an `error` frame carries one string (mctl
 * compatibility); we prefix it with the code in brackets so relays and tests can tell causes apart while the
 * AI still reads a plain sentence: `[invalid_arguments] peer: not a peer; use @username, ...`.
 */
export const ToolErrorCode = {
  /** Arguments failed the tool's schema; the message names each bad field. Nothing was done. */
  invalidArguments: 'invalid_arguments',
  /** The device does not serve a tool of that name. */
  unknownTool: 'unknown_tool',
  /** No device is connected for this user. */
  deviceOffline: 'device_offline',
  /** Too many calls in flight on the device (PROTOCOL.md: more than 100). */
  overloaded: 'overloaded',
  /** The call did not finish before its deadline. */
  deadlineExceeded: 'deadline_exceeded',
  /** The peer could not be found in Telegram. */
  peerNotFound: 'peer_not_found',
  /** The device's own write limits refused (PROTOCOL.md: 30/min per account, 20/h per peer); carries retry-after. */
  rateLimited: 'rate_limited',
  /** Telegram asked us to slow down; the message carries retry-after seconds. */
  floodWait: 'flood_wait',
  /** Telegram answered with an RPC error. */
  telegram: 'telegram_error',
  /** The Telegram account is not logged in or the connection is down. */
  notConnected: 'telegram_unavailable',
  /**
   * The person's device does not allow this AI client to do this: an OAuth client it never approved, a write
   * by a read-only client, or a chat outside the client's chosen chats (custody rule 7).
   */
  notPermitted: 'not_permitted',
  /** Anything else; details stay in the device's log. */
  internal: 'internal_error',
} as const;
export type ToolErrorCode = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

/** Renders an error frame's text: `[code] message`. */
export function toolErrorText(code: ToolErrorCode, message: string): string {
  return `[${code}] ${message}`;
}

/** Reads the code back from an error frame's text; `undefined` for an mctl-style plain string. */
export function toolErrorCodeOf(text: string): ToolErrorCode | undefined {
  const m = /^\[([a-z_]+)\] /.exec(text);
  if (!m) return undefined;
  const code = m[1] as ToolErrorCode;
  return (Object.values(ToolErrorCode) as string[]).includes(code) ? code : undefined;
}

/** Extra facts about a failure; `retryAfterSeconds` is set for flood waits and rate limits. */
export interface ToolErrorDetails {
  retryAfterSeconds?: number;
}

/**
 * A tool failure the AI and the person can act on; thrown by tools and the gateway, it becomes an `error`
 * frame `[code] message` on the wire. `message` must never contain message text, tokens or sessions.
 */
export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    readonly details: ToolErrorDetails = {},
  ) {
    super(message);
    this.name = 'ToolError';
  }

  /** The `error` frame text: `[code] message`. */
  toFrameText(): string {
    return toolErrorText(this.code, this.message);
  }
}

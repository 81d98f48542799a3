/**
 * Relay ↔ device wire frames (PROTOCOL.md "Transport").
 *
 * Frames are JSON text over one WebSocket. The core set (`call`, `response`, `error`, `ping`, `pong`) is the
 * mctl-telegram Local Bridge protocol; `hello`, `welcome`, `progress` and `cancel` are our extensions, which
 * an mctl relay ignores because unknown frame types are dropped silently by both sides.
 */
import { z } from 'zod';

/** Protocol name sent in `hello` / `welcome` (PROTOCOL.md). */
export const PROTOCOL_NAME = 'tgbridge/1';
/** Both sides send `ping` this often, in ms (PROTOCOL.md: every 25 s). */
export const PING_INTERVAL_MS = 25_000;
/** A side that hears nothing for this long closes the socket, in ms (PROTOCOL.md: 30 s). */
export const IDLE_TIMEOUT_MS = 30_000;
/** Default deadline of one forwarded call, in ms (PROTOCOL.md: 30 s). */
export const CALL_DEADLINE_MS = 30_000;
/** Deadline of a media download call, in ms (PROTOCOL.md: 180 s). */
export const MEDIA_CALL_DEADLINE_MS = 180_000;
/** More calls than this in flight on one device → the relay answers "overloaded" (PROTOCOL.md: 100). */
export const MAX_CALLS_IN_FLIGHT = 100;
/** Largest frame either side accepts, in bytes: a 20 MiB file as base64 plus envelope. */
export const MAX_FRAME_BYTES = 32 * 1024 * 1024;

/** WebSocket close codes we use; 4000–4999 is the application range (RFC 6455 §7.4.2). */
export const CloseCode = {
  /** A newer connection of the same device replaced this one (PROTOCOL.md: one live device per user). */
  replaced: 4001,
  /** Nothing heard for IDLE_TIMEOUT_MS. */
  idle: 4002,
  /** The peer sent something that is not a frame at all. */
  protocolError: 4003,
  /** The person revoked this device on the relay; it must pair again. */
  revoked: 4004,
  /** Normal shutdown. */
  normal: 1000,
  /** Server going away. */
  goingAway: 1001,
} as const;

const callId = z.string().min(1).max(128);

/** `call` relay→device: run one tool. `id` is a uuid chosen by the relay. */
export const CallFrame = z.object({
  type: z.literal('call'),
  id: callId,
  tool: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).default({}),
  /** Extension: which MCP client asked (its `clientInfo` name and version), shown in the approval prompt. */
  client: z.string().max(100).optional(),
  /**
   * Extension: the OAuth client id whose token made the call; the device applies that client's scope
   * (custody rule 7). Absent for the person's own personal access tokens.
   */
  oauth_client: z.string().min(1).max(200).optional(),
});
/** `response` device→relay: the tool's result (any JSON). */
export const ResponseFrame = z.object({ type: z.literal('response'), id: callId, result: z.unknown() });
/** `error` device→relay: the tool failed; `error` is a sentence a person or an AI can act on. */
export const ErrorFrame = z.object({ type: z.literal('error'), id: callId, error: z.string() });
/** Keep-alive, both ways; `id` is always the literal "ping" (mctl compatibility). */
export const PingFrame = z.object({ type: z.literal('ping'), id: z.string().optional() });
/** Keep-alive answer, both ways. */
export const PongFrame = z.object({ type: z.literal('pong'), id: z.string().optional() });
/** Extension, device→relay, first frame: who we are and which tools this device serves. */
export const HelloFrame = z.object({
  type: z.literal('hello'),
  protocol: z.string(),
  app: z.string().max(100),
  version: z.string().max(50),
  tools: z.array(z.string().max(64)).max(200),
});
/** Limits a relay announces in `welcome`. All durations in ms. */
export const RelayLimits = z.object({
  call_deadline_ms: z.number().int().positive(),
  approval_timeout_ms: z.number().int().positive(),
  max_calls_in_flight: z.number().int().positive(),
});
export type RelayLimits = z.infer<typeof RelayLimits>;
/** Extension, relay→device: answers `hello`; a relay that never sends it is a plain mctl relay. */
export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  protocol: z.string(),
  limits: RelayLimits,
});
/** Extension, device→relay: the call is waiting for the person; the relay extends its deadline. */
export const ProgressFrame = z.object({
  type: z.literal('progress'),
  id: callId,
  message: z.string().max(500),
});
/** Extension, relay→device: the MCP client cancelled or the deadline passed; do not perform the write. */
export const CancelFrame = z.object({ type: z.literal('cancel'), id: callId, reason: z.string().max(500) });

/**
 * What a person allows an OAuth client on their device (custody rule 7): `read` (reads only) or
 * `read_write` (reads, and writes that still wait for approval); `chats` = `"all"` or the chosen peers
 * (canonical refs like `user:42`, `chat:7`, `channel:9`).
 */
export const ClientScope = z.object({
  access: z.enum(['read', 'read_write']),
  chats: z.union([z.literal('all'), z.array(z.string().min(1).max(64)).min(1).max(500)]),
});
export type ClientScope = z.infer<typeof ClientScope>;
/** Extension, relay→device: a new OAuth client wants to use the account; the device asks the person. */
export const ClientConsentFrame = z.object({
  type: z.literal('client_consent'),
  id: callId,
  client_id: z.string().min(1).max(200),
  client_name: z.string().max(100),
  /** The relay as the person knows it (its public URL). */
  relay: z.string().max(200),
});
/** Extension, device→relay: the person's decision on a `client_consent`, with the scope they chose. */
export const ClientDecisionFrame = z.object({
  type: z.literal('client_decision'),
  id: callId,
  approved: z.boolean(),
  scope: ClientScope.optional(),
  reason: z.string().max(500).optional(),
});

/**
 * Extension, local front door → engine, on the control socket only (a relay link ignores it): log the account
 * out of Telegram through the engine's own connection (issue 8 §7: never a second gramjs connection on the same
 * auth key). Answered with `response` ({@link LogoutResult}) or `error`; the engine then stops.
 */
export const LogoutFrame = z.object({ type: z.literal('logout'), id: callId });
/**
 * What the engine answers a `logout`: `telegram` is `ended` when Telegram confirmed auth.logOut, `not_told` when
 * it could not be reached (then `detail` says why; the person should end the session from another device).
 */
export const LogoutResult = z.object({
  telegram: z.enum(['ended', 'not_told']),
  detail: z.string().max(500).optional(),
});
export type LogoutResult = z.infer<typeof LogoutResult>;

/** Every frame type this protocol knows. */
export const Frame = z.discriminatedUnion('type', [
  CallFrame,
  ResponseFrame,
  ErrorFrame,
  PingFrame,
  PongFrame,
  HelloFrame,
  WelcomeFrame,
  ProgressFrame,
  CancelFrame,
  ClientConsentFrame,
  ClientDecisionFrame,
  LogoutFrame,
]);
export type Frame = z.infer<typeof Frame>;
export type CallFrame = z.infer<typeof CallFrame>;
export type ResponseFrame = z.infer<typeof ResponseFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type HelloFrame = z.infer<typeof HelloFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type ProgressFrame = z.infer<typeof ProgressFrame>;
export type CancelFrame = z.infer<typeof CancelFrame>;
export type ClientConsentFrame = z.infer<typeof ClientConsentFrame>;
export type ClientDecisionFrame = z.infer<typeof ClientDecisionFrame>;
export type LogoutFrame = z.infer<typeof LogoutFrame>;

const KNOWN_TYPES: ReadonlySet<string> = new Set<string>(Frame.options.map((o) => o.shape.type.value));

/**
 * Outcome of {@link parseFrame}:
 * - `frame`: a valid known frame;
 * - `ignored`: valid JSON object of an unknown `type` — PROTOCOL.md says drop it silently;
 * - `invalid`: not JSON, not an object, too large, or a known type with wrong fields; `error` says which.
 */
export type ParsedFrame =
  | { kind: 'frame'; frame: Frame }
  | { kind: 'ignored'; type: string }
  | { kind: 'invalid'; error: string; id?: string };

/**
 * Parses one WebSocket text message into a frame. Never throws.
 * Browser-safe: bytes arrive as `Uint8Array` (Node's `Buffer` is one), `ArrayBuffer` or a list of chunks.
 * @param raw the message as received, at most {@link MAX_FRAME_BYTES} bytes (UTF-8).
 */
export function parseFrame(raw: string | Uint8Array | ArrayBuffer | Uint8Array[]): ParsedFrame {
  if (overFrameLimit(raw)) return { kind: 'invalid', error: 'frame too large' };
  const text = typeof raw === 'string' ? raw : utf8Decoder.decode(toBytes(raw));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', error: 'frame is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'invalid', error: 'frame is not a JSON object' };
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string') return { kind: 'invalid', error: 'frame has no string "type"' };
  if (!KNOWN_TYPES.has(type)) return { kind: 'ignored', type };
  const parsed = Frame.safeParse(json);
  if (!parsed.success) {
    const id = (json as { id?: unknown }).id;
    return {
      kind: 'invalid',
      error: `bad "${type}" frame: ${formatZodIssues(parsed.error)}`,
      ...(typeof id === 'string' ? { id } : {}),
    };
  }
  return { kind: 'frame', frame: parsed.data };
}

const utf8Decoder = new TextDecoder('utf-8');

/** Whether the UTF-8 size exceeds {@link MAX_FRAME_BYTES}; a string is encoded only when its length cannot decide (a UTF-16 unit is 1–3 bytes). */
function overFrameLimit(raw: string | Uint8Array | ArrayBuffer | Uint8Array[]): boolean {
  if (typeof raw !== 'string') {
    const size = Array.isArray(raw) ? raw.reduce((n, c) => n + c.byteLength, 0) : raw.byteLength;
    return size > MAX_FRAME_BYTES;
  }
  if (raw.length > MAX_FRAME_BYTES) return true;
  if (raw.length * 3 <= MAX_FRAME_BYTES) return false;
  return new TextEncoder().encode(raw).byteLength > MAX_FRAME_BYTES;
}

function toBytes(raw: Uint8Array | ArrayBuffer | Uint8Array[]): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  if (!Array.isArray(raw)) return new Uint8Array(raw);
  const out = new Uint8Array(raw.reduce((n, chunk) => n + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of raw) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Serialises a frame for sending. */
export function encodeFrame(frame: Frame): string {
  return JSON.stringify(frame);
}

/**
 * Renders zod issues as one line naming each field, e.g. `peer: Invalid input; limit: Too big: expected <=200`.
 * Used for every "bad arguments" error so the AI learns which field to fix.
 */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(arguments)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

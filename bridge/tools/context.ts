/**
 * What a tool handler gets besides its arguments: the call's identity, cancellation, progress reporting, its
 * audit recorder, and the engine's ports (gateway, approvals, limits, rules).
 */
import type { Clock } from '../clock.js';
import type { DownloadConfirmations } from '../media/downloadConfirmations.js';
import type { MediaOptions } from '../media/mediaSource.js';
import type { ApprovalQueue } from '../policy/approvals.js';
import type { WriteRateLimiter } from '../policy/rateLimits.js';
import type { StandingRules } from '../policy/standingRules.js';
import { parsePeer, ToolError, ToolErrorCode } from '../protocol/index.js';
import type { GatewayMessage, ResolvedPeer, TelegramGateway } from '../telegram/gateway.js';
import type { CallAudit } from './callAudit.js';

/** Per-call context handed to every tool handler. */
export interface ToolContext {
  /** The relay's call id (uuid); also the idempotency key of writes. */
  callId: string;
  /** Which MCP client asked, when the relay told us. */
  client?: string;
  /** Aborted when the relay sends `cancel` or the link drops. */
  signal: AbortSignal;
  /** Sends a `progress` frame (the call waits for the person). */
  progress(message: string): void;
  gateway: TelegramGateway;
  /** This call's audit recorder: every entry the call adds to the chain goes through it. */
  audit: CallAudit;
  approvals: ApprovalQueue;
  /** Write limits keyed on the real peer id. */
  limiter: WriteRateLimiter;
  /** Standing rules the person made on this device (off by default). */
  rules: StandingRules;
  clock: Clock;
  /** The person's media settings: media folder for `file_path`, whether `file_url` is allowed. */
  media: MediaOptions;
  /** Confirmation ids issued by `prepare_get_media` (single use, 10 min). */
  downloads: DownloadConfirmations;
  /**
   * How long an approval may wait right now, in ms: the engine's timeout, or less when the relay's deadline
   * (minus the undo window) is nearer (e.g. a relay that sent no `welcome`).
   */
  approvalTimeoutMs(): number;
}

/** A tool handler: validated arguments in, a JSON-serialisable result out; throws ToolError on failure. */
export type ToolHandler<A, R> = (args: A, ctx: ToolContext) => Promise<R>;

/**
 * Resolves `peerArg` and loads message `messageId` of that chat — what every tool acting on one message
 * needs first.
 * @throws ToolError `peer_not_found`, or `invalid_arguments` naming `message_id` when the message is not in
 *   that chat (deleted or never existed).
 */
export async function messageInChat(
  ctx: ToolContext,
  peerArg: string,
  messageId: number,
): Promise<{ peer: ResolvedPeer; message: GatewayMessage }> {
  const peer = await ctx.gateway.resolvePeer(parsePeer(peerArg)!);
  const [message] = await ctx.gateway.getMessagesById(peer, [messageId]);
  if (!message) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `message_id: #${messageId} is not a message of this chat (deleted or never existed)`,
    );
  }
  return { peer, message };
}

/** `send_message` (PROTOCOL.md "Tools"): a text message from the person's account, only after approval. */
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { gateWrite } from './writeGate.js';

/** Reason a dry run gives the AI. */
export const DRY_RUN_REASON =
  'dry run: nothing was sent. Call again with mode "send" to ask the person to approve this message.';

/**
 * Sends `text` to `peer` once the person approves. `dry_run` resolves the peer, audits, and returns a preview
 * without any Telegram write. Denied/expired/cancelled → `sent: false` with `reason`.
 * @throws ToolError (`peer_not_found`, `flood_wait`, `telegram_error`, …) when Telegram fails.
 */
export async function sendMessage(
  args: ToolArgs<'send_message'>,
  ctx: ToolContext,
): Promise<ToolResult<'send_message'>> {
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  const base = { mode: args.mode, peer: peer.ref } as const;
  if (args.mode === 'dry_run') {
    await ctx.audit.append({
      call_id: ctx.callId,
      tool: 'send_message',
      peer: ctx.audit.peerTag(peer.ref),
      phase: 'result',
      status: 'dry_run',
      decided_by: '—',
    });
    return { ...base, sent: false, status: 'dry_run', text: args.text, dry_reason: DRY_RUN_REASON };
  }
  const outcome = await gateWrite(ctx, 'send_message', peer, args.text, (text) =>
    ctx.gateway.sendMessage(peer, text, args.reply_to ? { replyTo: args.reply_to } : {}),
  );
  if (outcome.status !== 'sent') {
    return { ...base, sent: false, status: outcome.status, text: args.text, reason: outcome.reason };
  }
  return {
    ...base,
    sent: true,
    status: 'sent',
    text: outcome.text,
    message_id: outcome.value.id,
    ...(outcome.edited
      ? {
          edited_by_person: true,
          notice: 'The person edited the text before approving; `text` is what was sent.',
        }
      : {}),
  };
}

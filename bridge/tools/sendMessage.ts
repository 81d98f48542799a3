/** `send_message` (PROTOCOL.md "Tools"): a text message from the person's account, only after approval. */
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { formatFields, renderArgument, renderedForApproval } from './formattedText.js';
import { gateWrite } from './writeGate.js';
import { gatedOf, recordDryRun } from './writeTool.js';

/** Reason a dry run gives the AI. */
export const DRY_RUN_REASON =
  'dry run: nothing was sent. Call again with mode "send" to ask the person to approve this message.';

/**
 * Sends `text` to `peer` once the person approves: byte for byte, or rendered as `format` (markdown/html) on the
 * device so the approval shows what Telegram will show; the result then reports the text and entities Telegram
 * stored. A text the person edited is rendered the same way. `dry_run` resolves the peer, audits, and returns a
 * preview (with the rendering) without any Telegram write. Denied/expired/cancelled/undone → `sent: false` with
 * `reason`.
 * @throws ToolError (`peer_not_found`, `flood_wait`, `telegram_error`, …) when Telegram fails; `invalid_arguments`
 *   (`text:`) when the formatted text would show nothing.
 */
export async function sendMessage(
  args: ToolArgs<'send_message'>,
  ctx: ToolContext,
): Promise<ToolResult<'send_message'>> {
  const rendered = renderArgument(args.text, args.format, 'text');
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  const base = { mode: args.mode, peer: peer.ref } as const;
  if (args.mode === 'dry_run') {
    await recordDryRun(ctx, peer);
    return {
      ...base,
      sent: false,
      status: 'dry_run',
      text: args.text,
      dry_reason: DRY_RUN_REASON,
      ...formatFields(args.format, rendered),
    };
  }
  const shown = renderedForApproval(rendered, args.format);
  const outcome = await gateWrite(
    ctx,
    gatedOf({
      tool: 'send_message',
      peer,
      effect: { kind: 'send_message', text: args.text, ...(args.reply_to ? { replyTo: args.reply_to } : {}) },
      textFormat: args.format,
      ...shown,
      perform: (text) => {
        // The person may have edited the source text: it is read in the same format as the AI's.
        const final = text === args.text ? rendered : renderArgument(text, args.format, 'text');
        return ctx.gateway.sendMessage(peer, final.text, {
          entities: final.entities,
          ...(args.reply_to ? { replyTo: args.reply_to } : {}),
        });
      },
    }),
  );
  if (outcome.status !== 'sent') {
    return { ...base, sent: false, status: outcome.status, text: args.text, reason: outcome.reason };
  }
  const stored = { text: outcome.value.text, entities: outcome.value.entities };
  return {
    ...base,
    sent: true,
    status: 'sent',
    text: outcome.text,
    message_id: outcome.value.id,
    ...formatFields(args.format, stored),
    ...(outcome.edited
      ? {
          edited_by_person: true,
          notice: 'The person edited the text before approving; `text` is what was sent.',
        }
      : {}),
  };
}

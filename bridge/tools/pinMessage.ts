/** `pin_message` (PROTOCOL.md "Tools"): pins a message silently, or unpins it, only after approval. */
import type { ToolArgs, ToolResult } from '../protocol/index.js';
import { messageInChat, type ToolContext } from './context.js';
import { runWrite } from './writeTool.js';

/**
 * Pins (members are not notified) or unpins `message_id` once the person approves. `ok` (PROTOCOL.md) is true
 * exactly when it happened.
 * @throws ToolError `invalid_arguments` (`message_id:`) when the message is not in that chat; `telegram_error`
 *   (e.g. CHAT_ADMIN_REQUIRED), `rate_limited`, `flood_wait`, ….
 */
export async function pinMessage(
  args: ToolArgs<'pin_message'>,
  ctx: ToolContext,
): Promise<ToolResult<'pin_message'>> {
  const { peer, message } = await messageInChat(ctx, args.peer, args.message_id);
  const what = args.unpin
    ? `Unpin message #${args.message_id}`
    : `Pin message #${args.message_id} (members are not notified)`;
  const run = await runWrite(ctx, {
    tool: 'pin_message',
    peer,
    mode: args.mode,
    effect: { kind: 'pin_message', message, unpin: args.unpin },
    action: `${what} in ${peer.ref}`,
    perform: () => ctx.gateway.pinMessage(peer, args.message_id, { unpin: args.unpin }),
  });
  return { ...run.base, ok: run.base.sent, message_id: args.message_id, unpin: args.unpin };
}

/** `set_reaction`: the person's emoji reaction on a message (or its removal), only after approval. */
import type { ToolArgs, ToolResult } from '../protocol/index.js';
import { messageInChat, type ToolContext } from './context.js';
import { runWrite } from './writeTool.js';

/**
 * Sets (or with `emoji: null` removes) the person's reaction on `message_id` once they approve.
 * @throws ToolError `invalid_arguments` (`message_id:`) when the message is not in that chat; `telegram_error`
 *   (e.g. REACTION_INVALID when the chat does not allow that emoji), `rate_limited`, `flood_wait`, ….
 */
export async function setReaction(
  args: ToolArgs<'set_reaction'>,
  ctx: ToolContext,
): Promise<ToolResult<'set_reaction'>> {
  const { peer, message } = await messageInChat(ctx, args.peer, args.message_id);
  const what =
    args.emoji === null
      ? `Remove your reaction from message #${args.message_id}`
      : `React ${args.emoji} to message #${args.message_id}`;
  const run = await runWrite(ctx, {
    tool: 'set_reaction',
    peer,
    mode: args.mode,
    effect: { kind: 'set_reaction', message, emoji: args.emoji },
    action: `${what} in ${peer.ref}`,
    perform: () => ctx.gateway.setReaction(peer, args.message_id, args.emoji),
  });
  return { ...run.base, message_id: args.message_id, emoji: args.emoji };
}

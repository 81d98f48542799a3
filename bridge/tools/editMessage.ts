/** `edit_message`: new text for one of the person's own messages, only after approval. */
import { type ToolArgs, ToolErrorCode, type ToolResult } from '../protocol/index.js';
import { ToolError } from './toolError.js';
import { messageInChat, type ToolContext } from './context.js';
import { runWrite } from './writeTool.js';

/**
 * Replaces the text of `message_id` once the person approves. The approval shows the current message next to
 * the new text, which the person may edit; the message is looked up first, so a wrong id fails before the
 * person is asked.
 * @throws ToolError `invalid_arguments` (`message_id:`) when the message is not in that chat or is someone
 *   else's; `telegram_error` (e.g. MESSAGE_NOT_MODIFIED), `rate_limited`, `flood_wait`, ….
 */
export async function editMessage(
  args: ToolArgs<'edit_message'>,
  ctx: ToolContext,
): Promise<ToolResult<'edit_message'>> {
  const { peer, message: current } = await messageInChat(ctx, args.peer, args.message_id);
  if (!current.out && peer.kind !== 'channel') {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `message_id: #${args.message_id} was written by someone else; only the person's own messages can be edited`,
    );
  }
  const run = await runWrite(ctx, {
    tool: 'edit_message',
    peer,
    mode: args.mode,
    effect: { kind: 'edit_message', message: current, text: args.text },
    action: `Edit message #${args.message_id} in ${peer.ref}`,
    perform: (text) => ctx.gateway.editMessage(peer, args.message_id, text),
  });
  if ('approvedText' in run) {
    return {
      ...run.base,
      message_id: args.message_id,
      text: run.approvedText,
      ...(run.edited ? { notice: 'The person changed the new text before approving; `text` is what was set.' } : {}),
    };
  }
  return { ...run.base, message_id: args.message_id, text: args.text };
}

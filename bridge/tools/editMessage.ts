/** `edit_message`: new text for one of the person's own messages, only after approval. */
import { type ToolArgs, ToolErrorCode, type ToolResult, ToolError } from '../protocol/index.js';
import { messageInChat, type ToolContext } from './context.js';
import { formatFields, renderArgument, renderedForApproval } from './formattedText.js';
import { runWrite, shownMessage, shownTitle } from './writeTool.js';

/**
 * Replaces the text of `message_id` once the person approves. The approval shows the current text next to the
 * new one; the message is looked up first, so a wrong id fails before the person is asked.
 * @throws ToolError `invalid_arguments` (`message_id:`) when the message is not in that chat or is someone
 *   else's; `telegram_error` (e.g. MESSAGE_NOT_MODIFIED), `rate_limited`, `flood_wait`, ….
 */
export async function editMessage(
  args: ToolArgs<'edit_message'>,
  ctx: ToolContext,
): Promise<ToolResult<'edit_message'>> {
  const rendered = renderArgument(args.text, args.format, 'text');
  const { peer, message: current } = await messageInChat(ctx, args.peer, args.message_id);
  if (!current.out && peer.kind !== 'channel') {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `message_id: #${args.message_id} was written by someone else; only the person's own messages can be edited`,
    );
  }
  const shown = renderedForApproval(rendered, args.format);
  const run = await runWrite(ctx, {
    tool: 'edit_message',
    peer,
    mode: args.mode,
    ask:
      `Edit your message in ${shownTitle(peer)}.\n` +
      `Now: ${shownMessage(current, 300)}\n` +
      `New text${args.format === 'plain' ? '' : ` (${args.format})`}:\n${args.text}` +
      (shown !== undefined ? `\nAs Telegram will show it:\n${shown}` : ''),
    action: `Edit message #${args.message_id} in ${peer.ref}`,
    perform: () => ctx.gateway.editMessage(peer, args.message_id, rendered.text, { entities: rendered.entities }),
    textFormat: args.format,
    ...(shown !== undefined ? { renderedText: shown } : {}),
  });
  return {
    ...run.base,
    message_id: args.message_id,
    text: args.text,
    ...formatFields(args.format, run.value ?? (run.base.status === 'dry_run' ? rendered : undefined)),
  };
}

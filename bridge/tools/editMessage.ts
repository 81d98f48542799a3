/** `edit_message`: new text for one of the person's own messages, only after approval. */
import { type ToolArgs, ToolError, ToolErrorCode, type ToolResult } from '../protocol/index.js';
import { messageInChat, type ToolContext } from './context.js';
import { formatFields, renderArgument, renderedForApproval } from './formattedText.js';
import { runWrite } from './writeTool.js';

/**
 * Replaces the text of `message_id` once the person approves. The approval shows the current message next to
 * the new text, which the person may edit (read in the same `format`); the message is looked up first, so a
 * wrong id fails before the person is asked.
 * @throws ToolError `invalid_arguments` (`message_id:`) when the message is not in that chat or is someone
 *   else's, or (`text:`) when the formatted text would show nothing; `telegram_error` (e.g.
 *   MESSAGE_NOT_MODIFIED), `rate_limited`, `flood_wait`, ….
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
    effect: { kind: 'edit_message', message: current, text: args.text },
    textFormat: args.format,
    ...shown,
    action: `Edit message #${args.message_id} in ${peer.ref}`,
    perform: (text) => {
      // The person may have edited the new text: it is read in the same format as the AI's.
      const final = text === args.text ? rendered : renderArgument(text, args.format, 'text');
      return ctx.gateway.editMessage(peer, args.message_id, final.text, { entities: final.entities });
    },
  });
  const stored = formatFields(args.format, run.value ?? (run.base.status === 'dry_run' ? rendered : undefined));
  if ('approvedText' in run) {
    return {
      ...run.base,
      message_id: args.message_id,
      text: run.approvedText,
      ...stored,
      ...(run.edited ? { notice: 'The person changed the new text before approving; `text` is what was set.' } : {}),
    };
  }
  return { ...run.base, message_id: args.message_id, text: args.text, ...stored };
}

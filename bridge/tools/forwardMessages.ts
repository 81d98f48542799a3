/** `forward_messages`: forwards up to 100 messages from one chat to another, only after approval. */
import { parsePeer, ToolError, ToolErrorCode, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { countOf } from '../policy/approvalView.js';
import { idList, runWrite } from './writeTool.js';

/**
 * Forwards `message_ids` of `from_peer` to `to_peer` once the person approves. The approval, the rate limits
 * (per real peer) and the audit entry key on the destination, where the messages appear; a standing rule keys on
 * the source too.
 * @throws ToolError `invalid_arguments` (`message_ids:`) naming ids that are not messages of `from_peer`;
 *   gateway errors otherwise.
 */
export async function forwardMessages(
  args: ToolArgs<'forward_messages'>,
  ctx: ToolContext,
): Promise<ToolResult<'forward_messages'>> {
  const from = await ctx.gateway.resolvePeer(parsePeer(args.from_peer)!);
  const to = await ctx.gateway.resolvePeer(parsePeer(args.to_peer)!);
  const found = await ctx.gateway.getMessagesById(from, args.message_ids);
  const have = new Set(found.map((m) => m.id));
  const missing = args.message_ids.filter((id) => !have.has(id));
  if (missing.length > 0) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `message_ids: ${idList(missing)} ${missing.length === 1 ? 'is' : 'are'} not a message of from_peer; nothing was forwarded`,
    );
  }
  const what = `${countOf(args.message_ids.length, 'message')}: ${idList(args.message_ids)}`;
  const run = await runWrite(ctx, {
    tool: 'forward_messages',
    peer: to,
    mode: args.mode,
    effect: { kind: 'forward_messages', source: from, messages: found },
    action: `Forward ${what} from ${from.ref} to ${to.ref}`,
    perform: () => ctx.gateway.forwardMessages(from, args.message_ids, to),
  });
  return {
    ...run.base,
    from_peer: from.ref,
    message_ids: args.message_ids,
    ...(run.value ? { new_message_ids: run.value } : {}),
  };
}

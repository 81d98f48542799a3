/**
 * `delete_messages`: deletes up to 100 messages, for the person only by default, for everyone only when the AI
 * says `revoke: true` (which the person then sees spelled out in the approval).
 */
import { parsePeer, ToolError, ToolErrorCode, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { countOf } from '../policy/approvalView.js';
import { idList, runWrite } from './writeTool.js';

/**
 * Deletes `message_ids` of `peer` once the person approves, e.g. asking "Delete 3 messages for everyone in
 * ‹chat›" with a line per message (at most 10).
 * @throws ToolError `invalid_arguments`: `revoke:` false in a supergroup or channel (Telegram deletes for
 *   everyone there); `message_ids:` naming ids that are not messages of that chat (checked before asking, and
 *   again by the gateway before deleting). Gateway errors otherwise.
 */
export async function deleteMessages(
  args: ToolArgs<'delete_messages'>,
  ctx: ToolContext,
): Promise<ToolResult<'delete_messages'>> {
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  if (peer.kind === 'channel' && !args.revoke) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      'revoke: in supergroups and channels Telegram deletes messages for everyone; pass revoke: true only if ' +
        'the person asked for that',
    );
  }
  const found = await ctx.gateway.getMessagesById(peer, args.message_ids);
  const have = new Set(found.map((m) => m.id));
  const missing = args.message_ids.filter((id) => !have.has(id));
  if (missing.length > 0) {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `message_ids: ${idList(missing)} ${missing.length === 1 ? 'is' : 'are'} not a message of this chat; nothing was deleted`,
    );
  }
  const scope = args.revoke ? 'for everyone' : 'for you only (others still see them)';
  const head = `Delete ${countOf(args.message_ids.length, 'message')} ${scope}: ${idList(args.message_ids)}`;
  const run = await runWrite(ctx, {
    tool: 'delete_messages',
    peer,
    mode: args.mode,
    effect: { kind: 'delete_messages', messages: found, revoke: args.revoke },
    action: `${head} (in ${peer.ref})`,
    perform: () => ctx.gateway.deleteMessages(peer, args.message_ids, { revoke: args.revoke }),
  });
  return { ...run.base, message_ids: args.message_ids, revoke: args.revoke };
}

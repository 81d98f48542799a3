/** `search_messages`: text search in one chat (paged with `before_id`) or across all chats. */
import { UNTRUSTED_NOTICE } from '../content/boundary.js';
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { toToolMessage } from './getMessages.js';

/**
 * Searches messages for `query`, newest first, at most `limit`. `next_before_id` (in-chat search only) is set
 * when a further page may exist.
 * @throws ToolError `peer_not_found`, `flood_wait`, `telegram_error`, … from the gateway.
 */
export async function searchMessages(
  args: ToolArgs<'search_messages'>,
  ctx: ToolContext,
): Promise<ToolResult<'search_messages'>> {
  const peer = args.peer !== undefined ? await ctx.gateway.resolvePeer(parsePeer(args.peer)!) : undefined;
  const list = await ctx.gateway.searchMessages({
    query: args.query,
    limit: args.limit,
    ...(peer ? { peer } : {}),
    ...(args.before_id ? { beforeId: args.before_id } : {}),
  });
  const oldest = list.at(-1);
  return {
    messages: list.map(toToolMessage),
    notice: UNTRUSTED_NOTICE,
    ...(peer && list.length === args.limit && oldest && oldest.id > 1 ? { next_before_id: oldest.id } : {}),
  };
}

/** `list_dialogs` (PROTOCOL.md "Tools"): the person's chats, titles wrapped as untrusted content. */
import { UNTRUSTED_NOTICE, wrapTitle } from '../content/boundary.js';
import { safeUsername } from '../content/typedFields.js';
import type { ToolArgs, ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { redactPeer } from '../audit/redactPeer.js';

/** Lists dialogs newest first, at most `limit`, filtered by `query` when given. */
export async function listDialogs(
  args: ToolArgs<'list_dialogs'>,
  ctx: ToolContext,
): Promise<ToolResult<'list_dialogs'>> {
  const dialogs = await ctx.gateway.listDialogs({
    limit: args.limit,
    ...(args.query ? { query: args.query } : {}),
  });
  return {
    dialogs: dialogs.map((d) => {
      const tag = redactPeer(d.peer.ref);
      return {
        id: Number(d.peer.id),
        peer: d.peer.ref,
        type: d.type,
        title: wrapTitle(d.peer.title, { peer: tag }),
        username: safeUsername(d.peer.username, tag),
        unread_count: d.unreadCount,
        last_message_date: d.lastMessageDate === null ? null : new Date(d.lastMessageDate).toISOString(),
      };
    }),
    notice: UNTRUSTED_NOTICE,
  };
}

/**
 * `get_unread_messages` (PROTOCOL.md "Tools"): messages the person has not read yet, in one chat or across all
 * chats. A read: it never moves read marks (that is `mark_read`, which the person approves).
 */
import { UNTRUSTED_NOTICE } from '../content/boundary.js';
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { GatewayMessage, ResolvedPeer, TelegramGateway } from '../telegram/gateway.js';
import type { ToolContext } from './context.js';
import { toToolMessage } from './getMessages.js';

/** How many dialogs are scanned for unread messages when no peer is given. */
const DIALOG_SCAN_LIMIT = 200;

/**
 * With `peer`: that chat's unread incoming messages, newest first. Without: every chat with unread messages,
 * newest activity first, each chat's unread messages newest first. At most `limit` messages in all;
 * `more_unread` counts the unread messages left out.
 * @throws ToolError `peer_not_found`, `flood_wait`, `telegram_error`, … from the gateway.
 */
export async function getUnreadMessages(
  args: ToolArgs<'get_unread_messages'>,
  ctx: ToolContext,
): Promise<ToolResult<'get_unread_messages'>> {
  const found: GatewayMessage[] = [];
  let more = 0;
  if (args.peer !== undefined) {
    const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
    const state = await ctx.gateway.getReadState(peer);
    const got = await unreadOf(ctx.gateway, peer, state, args.limit);
    found.push(...got.messages);
    more = got.more;
  } else {
    const dialogs = await ctx.gateway.listDialogs({ limit: DIALOG_SCAN_LIMIT });
    for (const d of dialogs) {
      if (d.unreadCount <= 0) continue;
      const left = args.limit - found.length;
      if (left <= 0) {
        more += d.unreadCount;
        continue;
      }
      const got = await unreadOf(ctx.gateway, d.peer, d, left);
      found.push(...got.messages);
      more += got.more;
    }
  }
  return {
    messages: found.map(toToolMessage),
    notice: UNTRUSTED_NOTICE,
    ...(more > 0 ? { more_unread: more } : {}),
  };
}

/** One chat's unread incoming messages (ids above the read mark), newest first, at most `limit`. */
async function unreadOf(
  gateway: TelegramGateway,
  peer: ResolvedPeer,
  state: { unreadCount: number; readInboxMaxId: number },
  limit: number,
): Promise<{ messages: GatewayMessage[]; more: number }> {
  if (state.unreadCount <= 0) return { messages: [], more: 0 };
  // A few extra: the person's own messages after the read mark are fetched too and dropped.
  const fetch = Math.min(200, Math.min(limit, state.unreadCount) + 10);
  const list = await gateway.getMessages(peer, {
    limit: fetch,
    ...(state.readInboxMaxId > 0 ? { afterId: state.readInboxMaxId } : {}),
  });
  const incoming = list.filter((m) => !m.out && m.id > state.readInboxMaxId);
  const messages = incoming.slice(0, limit);
  return { messages, more: Math.max(0, state.unreadCount - messages.length) };
}

/** `get_chat_info`: what a chat, group, channel or user is — title, type, @username, bio/description, size. */
import { UNTRUSTED_NOTICE, wrapTitle, wrapUntrusted } from '../content/boundary.js';
import { safeUsername } from '../content/typedFields.js';
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { redactPeer } from '../audit/redactPeer.js';

/** Longest bio/description passed on, in characters (Telegram caps channel descriptions at 255). */
const MAX_ABOUT_LENGTH = 1024;

/**
 * Describes `peer`. `title` and `about` are wrapped as untrusted content (custody rule 5).
 * @throws ToolError `peer_not_found`, `flood_wait`, `telegram_error`, … from the gateway.
 */
export async function getChatInfo(
  args: ToolArgs<'get_chat_info'>,
  ctx: ToolContext,
): Promise<ToolResult<'get_chat_info'>> {
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  const info = await ctx.gateway.getChatInfo(peer);
  const state = await ctx.gateway.getReadState(peer).catch(() => null);
  const tag = redactPeer(peer.ref);
  return {
    peer: peer.ref,
    id: Number(peer.id),
    type: info.type,
    title: wrapTitle(peer.title, { peer: tag }),
    username: safeUsername(peer.username, tag),
    about: info.about ? wrapUntrusted(info.about, { peer: tag, maxLength: MAX_ABOUT_LENGTH }).wrapped : null,
    members_count: info.type === 'user' || info.type === 'bot' ? 2 : info.membersCount,
    ...(info.verified !== undefined ? { verified: info.verified } : {}),
    ...(info.scam !== undefined ? { scam: info.scam } : {}),
    ...(info.contact !== undefined ? { is_contact: info.contact } : {}),
    ...(state ? { unread_count: state.unreadCount } : {}),
    ...(info.pinnedMessageId ? { pinned_message_id: info.pinnedMessageId } : {}),
    notice: UNTRUSTED_NOTICE,
  };
}

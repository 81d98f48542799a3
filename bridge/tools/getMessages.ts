/** `get_messages` (PROTOCOL.md "Tools"): one chat's history, newest first, paged with `before_id`. */
import { UNTRUSTED_NOTICE, wrapTitle, wrapUntrusted } from '../content/boundary.js';
import { safeKindName, safeMimeType } from '../content/typedFields.js';
import type { Message } from '../protocol/index.js';
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { GatewayMediaInfo, GatewayMessage } from '../telegram/gateway.js';
import type { ToolContext } from './context.js';
import { redactPeer } from '../audit/redactPeer.js';

/**
 * Reads up to `limit` messages older than `before_id`. `next_before_id` is set when a further page may exist;
 * passing it back walks the whole history without gaps or repeats.
 */
export async function getMessages(
  args: ToolArgs<'get_messages'>,
  ctx: ToolContext,
): Promise<ToolResult<'get_messages'>> {
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  const list = await ctx.gateway.getMessages(peer, {
    limit: args.limit,
    ...(args.before_id ? { beforeId: args.before_id } : {}),
  });
  const messages = list.map(toToolMessage);
  const oldest = list.at(-1);
  return {
    messages,
    notice: UNTRUSTED_NOTICE,
    ...(list.length === args.limit && oldest && oldest.id > 1 ? { next_before_id: oldest.id } : {}),
  };
}

/** Renders a gateway message for the AI: every Telegram-sourced string wrapped in the boundary. */
export function toToolMessage(m: GatewayMessage): Message {
  const peerTag = redactPeer(m.peer.ref);
  const { wrapped } = wrapUntrusted(m.text, { peer: peerTag });
  return {
    id: m.id,
    peer: m.peer.ref,
    peer_title: wrapTitle(m.peer.title, { peer: peerTag }),
    from: m.out ? 'me' : wrapTitle(m.fromName, { peer: peerTag }),
    text: wrapped,
    date: new Date(m.date).toISOString(),
    out: m.out,
    ...(m.replyTo ? { reply_to: m.replyTo } : {}),
    ...(m.media ? { media_info: toMediaInfo(m.media, peerTag) } : {}),
  };
}

/**
 * `media_info` for the AI: the file name (chosen by whoever sent the file) wrapped as untrusted content, the
 * MIME type only as a bare `type/subtype` token (else `application/octet-stream`), the kind as a plain name.
 */
export function toMediaInfo(media: GatewayMediaInfo, peerTag: string): NonNullable<Message['media_info']> {
  const { file_name, mime_type, media_type, ...rest } = media;
  return {
    ...rest,
    media_type: safeKindName(media_type),
    ...(mime_type !== undefined ? { mime_type: safeMimeType(mime_type) } : {}),
    ...(file_name !== undefined
      ? { file_name: wrapUntrusted(file_name, { peer: peerTag, maxLength: 255 }).wrapped }
      : {}),
  };
}

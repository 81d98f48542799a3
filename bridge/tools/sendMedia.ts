/**
 * `send_media` (PROTOCOL.md "Tools"): a photo, video, document, animation or voice message, only after
 * approval. The file is loaded BEFORE the person is asked (from the media folder, base64, or an allowed URL,
 * under bridge/media's rules), so the approval shows its real name and size and exactly those bytes are sent.
 * A dry run never fetches a `file_url` (issue 8 §7): it only checks the URL offline.
 */
import { type LoadedMedia, loadMedia, previewMedia } from '../media/mediaSource.js';
import { parsePeer, type ToolArgs, ToolError, ToolErrorCode, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { formatFields, renderArgument, renderedForApproval } from './formattedText.js';
import { runWrite } from './writeTool.js';

/**
 * Loads the file, asks the person ("Send photo "cat.jpg" (12.3 KiB, image/jpeg) to …" plus the caption), and
 * uploads it once approved. A dry run checks the file too (a `file_path` or `file_base64` is read; a `file_url`
 * is checked offline and never fetched, so its `size` is absent) and reports what would be sent.
 * @throws ToolError `invalid_arguments` naming `file_path` / `file_base64` / `file_url` when the source is
 *   refused (secret location, outside the media folder, not a regular file, over 20 MiB, bad base64, URL off or
 *   not public, …); gateway errors otherwise.
 */
export async function sendMedia(
  args: ToolArgs<'send_media'>,
  ctx: ToolContext,
): Promise<ToolResult<'send_media'>> {
  const rendered = args.caption ? renderArgument(args.caption, args.format, 'caption', true) : undefined;
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  const loaded = args.mode === 'send' ? await loadMedia(args, ctx.media, ctx.signal) : undefined;
  const media = loaded ?? (await previewMedia(args, ctx.media));
  const size = media.size === null ? 'not downloaded in a dry run' : formatSize(media.size);
  const what = `${args.media_type} "${media.fileName}" (${size}, ${media.mimeType})`;
  const shown = rendered ? renderedForApproval(rendered, args.format) : {};
  const run = await runWrite(ctx, {
    tool: 'send_media',
    peer,
    mode: args.mode,
    effect: {
      kind: 'send_media',
      media: { kind: args.media_type, fileName: media.fileName, ...(media.size === null ? {} : { bytes: media.size }), mimeType: media.mimeType },
      ...(args.caption ? { caption: args.caption } : {}),
    },
    action: `Send ${what} to ${peer.ref}${args.caption ? ' with a caption' : ''}`,
    perform: () => {
      if (!loaded) throw new ToolError(ToolErrorCode.internal, 'send_media: the file was not loaded before sending');
      return ctx.gateway.sendMedia(
        peer,
        outgoing(args.media_type, loaded),
        rendered ? { caption: rendered.text, captionEntities: rendered.entities } : {},
      );
    },
    ...(args.caption ? { textFormat: args.format } : {}),
    ...shown,
  });
  return {
    ...run.base,
    media_type: args.media_type,
    file_name: media.fileName,
    mime_type: media.mimeType,
    ...(media.size !== null ? { size: media.size } : {}),
    ...(args.caption ? { caption: args.caption } : {}),
    ...(run.value ? { message_id: run.value.id } : {}),
    ...formatFields(
      args.format,
      run.value ? { text: run.value.text, entities: run.value.entities } : run.base.status === 'dry_run' ? rendered : undefined,
    ),
  };
}

function outgoing(kind: ToolArgs<'send_media'>['media_type'], media: LoadedMedia) {
  return { mediaType: kind, bytes: media.bytes, fileName: media.fileName, mimeType: media.mimeType };
}

/** A size for people: bytes, KiB or MiB with one decimal. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

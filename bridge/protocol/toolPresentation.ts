/**
 * How the tools present themselves to MCP clients (MCP `Tool.title`, input property descriptions, and
 * annotations): what a person sees in Claude's or ChatGPT's tool list and what clients use to decide how
 * careful to be. Kept apart from the contracts (tools.ts) so wording changes do not touch schemas.
 * Annotations must be true (MCP spec "ToolAnnotations"): `readOnlyHint` for reads; `destructiveHint` only for
 * writes that remove or change existing content; `idempotentHint` only when repeating the same call has no
 * further effect (`get_media` is not: its confirmation id is single use).
 */
import type { ToolName } from './tools.js';

/** Human-readable title of each tool. */
export const TOOL_TITLES: Record<ToolName, string> = {
  list_dialogs: 'List Telegram chats',
  get_messages: 'Read messages of a chat',
  send_message: 'Send a message (after approval)',
  get_unread_messages: 'Read unread messages',
  search_messages: 'Search messages',
  get_chat_info: 'Get chat details',
  prepare_get_media: 'Prepare a media download',
  get_media: 'Download media',
  mark_read: 'Mark a chat as read (after approval)',
  edit_message: 'Edit a sent message (after approval)',
  delete_messages: 'Delete messages (after approval)',
  forward_messages: 'Forward messages (after approval)',
  set_reaction: 'React to a message (after approval)',
  pin_message: 'Pin or unpin a message (after approval)',
  send_media: 'Send a photo, video or file (after approval)',
};

/** MCP annotations beyond `readOnlyHint` (which follows `write`). */
export const TOOL_HINTS: Record<ToolName, { destructive: boolean; idempotent: boolean }> = {
  list_dialogs: { destructive: false, idempotent: true },
  get_messages: { destructive: false, idempotent: true },
  get_unread_messages: { destructive: false, idempotent: true },
  search_messages: { destructive: false, idempotent: true },
  get_chat_info: { destructive: false, idempotent: true },
  // Each call issues a fresh single-use confirmation id.
  prepare_get_media: { destructive: false, idempotent: false },
  // Consumes its single-use confirmation id: a repeat fails.
  get_media: { destructive: false, idempotent: false },
  send_message: { destructive: false, idempotent: false },
  send_media: { destructive: false, idempotent: false },
  forward_messages: { destructive: false, idempotent: false },
  mark_read: { destructive: false, idempotent: true },
  set_reaction: { destructive: false, idempotent: true },
  pin_message: { destructive: false, idempotent: true },
  edit_message: { destructive: true, idempotent: true },
  delete_messages: { destructive: true, idempotent: true },
};

/** Description of every input property, by name (the same name means the same thing in every tool). */
export const PROPERTY_DESCRIPTIONS: Record<string, string> = {
  peer: 'The chat: a `peer` value from list_dialogs (e.g. "user:42", "chat:7", "channel:9"), "@username", or a user id.',
  from_peer: 'The chat the messages are in (same forms as `peer`).',
  to_peer: 'The chat to forward them to (same forms as `peer`).',
  limit: 'How many items to return at most.',
  query: 'Text to look for.',
  before_id: 'Return only messages older than this message id (pass `next_before_id` from the previous result).',
  text: 'The exact text, sent byte for byte (no Markdown formatting is applied).',
  mode: '"send" to perform it after the person approves, or "dry_run" to preview without touching Telegram.',
  reply_to: 'Message id in the same chat to reply to.',
  message_id: 'The message id in that chat.',
  message_ids: 'Message ids in that chat (distinct).',
  max_id: 'Mark messages up to this id (inclusive) as read; leave out to mark all.',
  revoke: 'true deletes for everyone in the chat; false (default) only for the person (supergroups and channels need true).',
  emoji: 'One reaction emoji such as 👍; null removes the person\'s reaction.',
  unpin: 'true to unpin instead of pin.',
  confirmation_id: 'The single-use id from prepare_get_media for this peer and message (valid 10 minutes).',
  media_type: 'What to send: photo, video, document, animation or voice.',
  file_path: "A file in the person's media folder on their computer (refused unless they set one).",
  file_base64: 'The file content, base64-encoded.',
  file_url: 'A public http(s) URL the device fetches (refused unless the person allowed it).',
  caption: 'Text shown under the media.',
  file_name: 'File name the recipient sees.',
};

/** Added to every write tool's description (issue 10: approval can take up to the approval timeout). */
export function approvalNote(approvalTimeoutS: number): string {
  return (
    ` The person approves or denies it on their device; that can take up to ${approvalTimeoutS} s (the approval ` +
    'timeout). If you send a progressToken, progress notifications arrive at least every 10 s while it waits.'
  );
}

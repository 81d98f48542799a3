/**
 * The tool registry: validates a call's arguments against the shared schema, runs the handler, and keeps the
 * audit chain complete for every outcome (custody rule 4: every call is in the chain before its effect is
 * reported).
 */
import {
  formatZodIssues,
  isToolName,
  TOOLS,
  type ToolArgs,
  ToolError,
  ToolErrorCode,
  type ToolName,
  type ToolResult,
} from '../protocol/index.js';
import type { ToolContext, ToolHandler } from './context.js';
import { deleteMessages } from './deleteMessages.js';
import { editMessage } from './editMessage.js';
import { forwardMessages } from './forwardMessages.js';
import { getChatInfo } from './getChatInfo.js';
import { getMedia, prepareGetMedia } from './getMedia.js';
import { getMessages } from './getMessages.js';
import { getUnreadMessages } from './getUnreadMessages.js';
import { listDialogs } from './listDialogs.js';
import { markRead } from './markRead.js';
import { pinMessage } from './pinMessage.js';
import { searchMessages } from './searchMessages.js';
import { sendMedia } from './sendMedia.js';
import { sendMessage } from './sendMessage.js';
import { setReaction } from './setReaction.js';

const HANDLERS: { [K in ToolName]: ToolHandler<ToolArgs<K>, ToolResult<K>> } = {
  list_dialogs: listDialogs,
  get_messages: getMessages,
  send_message: sendMessage,
  get_unread_messages: getUnreadMessages,
  search_messages: searchMessages,
  get_chat_info: getChatInfo,
  prepare_get_media: prepareGetMedia,
  get_media: getMedia,
  mark_read: markRead,
  edit_message: editMessage,
  delete_messages: deleteMessages,
  forward_messages: forwardMessages,
  set_reaction: setReaction,
  pin_message: pinMessage,
  send_media: sendMedia,
};

/** Names of the tools this device serves, for the `hello` frame. */
export const TOOL_NAMES = Object.keys(HANDLERS) as ToolName[];

/**
 * Runs one tool call.
 * @param tool tool name from the `call` frame (untrusted).
 * @param rawArgs arguments from the `call` frame (untrusted).
 * @returns the tool's result (JSON-serialisable).
 * @throws ToolError `unknown_tool`, `invalid_arguments` (message names each bad field), or whatever the
 *   handler raises; each is audited before it is thrown.
 */
export async function runTool(tool: string, rawArgs: unknown, ctx: ToolContext): Promise<unknown> {
  const audit = ctx.audit;
  if (!isToolName(tool)) {
    await audit.record({ phase: 'result', status: 'invalid', error: ToolErrorCode.unknownTool });
    throw new ToolError(ToolErrorCode.unknownTool, `this device has no tool "${auditableTool(tool)}"`);
  }
  const contract = TOOLS[tool];
  const parsed = contract.args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    await audit.record({ phase: 'result', status: 'invalid', error: ToolErrorCode.invalidArguments });
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `bad arguments for ${tool}: ${formatZodIssues(parsed.error)}`,
    );
  }
  const args = parsed.data as Record<string, unknown>;
  // The peer a call is about: `peer`, or for forward_messages the destination `to_peer` (where the write lands).
  // Write tools name the resolved peer themselves once they know it.
  const peerArg = typeof args.peer === 'string' ? args.peer : typeof args.to_peer === 'string' ? args.to_peer : '';
  audit.setPeer(peerArg);
  const handler = HANDLERS[tool] as ToolHandler<unknown, unknown>;

  if (!contract.write) return runRead(handler, args, ctx);
  try {
    return await handler(args, ctx);
  } catch (err) {
    // A write's gate records its own outcome; whatever failed before it got that far is recorded here.
    if (!audit.hasResult) await audit.record({ phase: 'result', status: 'error', error: errorCode(err) });
    throw err;
  }
}

/**
 * A read call (issue 12: one fdatasync per read, off the answer's path). Its intent is appended durably while
 * Telegram answers, so the fdatasync overlaps the call; the answer waits for it, so the call is in the chain
 * before its result is reported (custody rule 4). The result entry is then written ('soon': in the file before
 * the answer leaves) and made durable with the next call's intent, or within LAZY_SYNC_MS: a crash in that
 * window leaves the intent without its result, which the chain shows as a call that may have run.
 */
async function runRead(handler: ToolHandler<unknown, unknown>, args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
  const audit = ctx.audit;
  const intent = audit.record({ phase: 'intent', status: 'ok' });
  // Awaited on every path below; this only keeps a failure that comes first from counting as unhandled.
  intent.catch(() => undefined);
  let result: unknown;
  try {
    result = await handler(args, ctx);
  } catch (err) {
    await intent;
    if (!audit.hasResult) await audit.record({ phase: 'result', status: 'error', error: errorCode(err) });
    throw err;
  }
  await intent;
  await audit.record({ phase: 'result', status: 'ok' }, { durable: 'soon' });
  return result;
}

/** The tool name as the audit chain may hold it: itself when it looks like one, else `unknown`. */
export function auditableTool(tool: string): string {
  return /^[a-z_]{1,64}$/.test(tool) ? tool : 'unknown';
}

function errorCode(err: unknown): string {
  return err instanceof ToolError ? err.code : ToolErrorCode.internal;
}

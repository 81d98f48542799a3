/**
 * `mark_read`: marks a chat's incoming messages as read. Decision (issue 5: "every write is approved"): it
 * needs the person's approval like any other write, because it changes what other people see — senders get
 * read receipts ("seen") — and it cannot be undone.
 */
import { parsePeer, type ToolArgs, type ToolResult } from '../protocol/index.js';
import type { ToolContext } from './context.js';
import { runWrite } from './writeTool.js';

/**
 * Marks messages of `peer` read up to `max_id` (inclusive), or all, once the person approves.
 * @throws ToolError `peer_not_found`, `rate_limited`, `flood_wait`, `telegram_error`, ….
 */
export async function markRead(
  args: ToolArgs<'mark_read'>,
  ctx: ToolContext,
): Promise<ToolResult<'mark_read'>> {
  const peer = await ctx.gateway.resolvePeer(parsePeer(args.peer)!);
  const upTo = args.max_id ? `up to #${args.max_id}` : 'all messages';
  const run = await runWrite(ctx, {
    tool: 'mark_read',
    peer,
    mode: args.mode,
    effect: { kind: 'mark_read', ...(args.max_id ? { maxId: args.max_id } : {}) },
    action: `Mark ${upTo} in ${peer.ref} as read`,
    perform: () => ctx.gateway.markRead(peer, args.max_id),
  });
  return { ...run.base, ...(args.max_id ? { max_id: args.max_id } : {}) };
}

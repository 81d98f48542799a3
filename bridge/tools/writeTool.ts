/**
 * The shape every write tool other than `send_message` shares (PROTOCOL.md: write tools take `mode`; a dry run
 * is a success with `sent: false` and a `dry_reason`, audited, with no Telegram call; a denial, expiry or
 * cancellation is a success with `sent: false` and a `reason`). The approval itself is {@link gateWrite}.
 */
import type { PendingWrite, TextFormat, WriteEffect } from '../policy/approvalView.js';
import type { ToolName } from '../protocol/index.js';
import type { ResolvedPeer } from '../telegram/gateway.js';
import type { ToolContext } from './context.js';
import { gateWrite } from './writeGate.js';

/**
 * One write, planned: where it lands, what it does (as data — the approval view is built from it in
 * `bridge/policy/approvalView.ts`), what the AI is told, and the Telegram call.
 */
export interface WritePlan<R> {
  tool: ToolName;
  /** The peer the write lands in: approval, rate limits (20/h per real peer) and audit key on it. */
  peer: ResolvedPeer;
  mode: 'send' | 'dry_run';
  /** What the write does, for the approval view and the standing-rule key. */
  effect: WriteEffect;
  /** How Telegram parses the write's text or caption (default plain: byte for byte; issue 8 §3). */
  textFormat?: TextFormat;
  /** The text as Telegram will show it after Markdown/HTML parsing (shown when `textFormat` is not plain). */
  renderedText?: string;
  /** Where the rendered text's links point, one line each (shown apart from the text). */
  renderedLinks?: string[];
  /** The same for the AI, built only from the AI's own arguments and peer refs (no Telegram-sourced text). */
  action: string;
  /** The Telegram call; gets the approved text (the person's edit, for writes whose text is editable). */
  perform: (approvedText: string) => Promise<R>;
}

/** Fields every write result has (see `writeOutcome` in bridge/protocol/tools.ts). */
export interface WriteBase {
  sent: boolean;
  status: 'sent' | 'dry_run' | 'denied' | 'expired' | 'cancelled' | 'undone';
  mode: 'send' | 'dry_run';
  peer: string;
  action: string;
  dry_reason?: string;
  reason?: string;
  notice?: string;
}

/** Outcome of {@link runWrite}: `value` (the gateway's answer) and `approvedText` only when it was done. */
export type WriteRun<R> =
  | { base: WriteBase & { sent: true; status: 'sent' }; value: R; approvedText: string; edited: boolean }
  | { base: WriteBase & { sent: false }; value?: undefined };

/**
 * Runs a planned write: `dry_run` → audit `dry_run`, no Telegram call; `send` → {@link gateWrite} (limits,
 * approval, intent/result audit, `perform` at most once).
 * @throws ToolError from `perform` or the rate limiter (already audited).
 */
export async function runWrite<R>(ctx: ToolContext, plan: WritePlan<R>): Promise<WriteRun<R>> {
  const common = { mode: plan.mode, peer: plan.peer.ref, action: plan.action };
  if (plan.mode === 'dry_run') {
    await recordDryRun(ctx, plan.peer);
    return {
      base: {
        ...common,
        sent: false,
        status: 'dry_run',
        dry_reason:
          'dry run: nothing was changed. Call again with mode "send" to ask the person to approve this on their ' +
          'computer.',
      },
    };
  }
  const outcome = await gateWrite(ctx, gatedOf(plan));
  if (outcome.status !== 'sent') {
    return { base: { ...common, sent: false, status: outcome.status, reason: outcome.reason } };
  }
  return {
    base: { ...common, sent: true, status: 'sent' },
    value: outcome.value,
    approvedText: outcome.text,
    edited: outcome.edited,
  };
}

/** Audits a dry run of a write to `peer` (its `result` entry: nothing was asked or changed). */
export async function recordDryRun(ctx: ToolContext, peer: ResolvedPeer): Promise<void> {
  ctx.audit.setPeer(peer.ref);
  await ctx.audit.record({ phase: 'result', status: 'dry_run' });
}

/** The gate's view of a plan: the pending write (effect, formatting) and its Telegram call. */
export function gatedOf<R>(plan: Omit<WritePlan<R>, 'mode' | 'action'>) {
  const write: PendingWrite = { tool: plan.tool, peer: plan.peer, effect: plan.effect };
  if (plan.textFormat !== undefined) write.textFormat = plan.textFormat;
  if (plan.renderedText !== undefined) write.renderedText = plan.renderedText;
  if (plan.renderedLinks !== undefined) write.renderedLinks = plan.renderedLinks;
  return { ...write, perform: plan.perform };
}

/** `#41, #42, #43`, listing at most `max` ids and then "and N more". */
export function idList(ids: number[], max = 20): string {
  const shown = ids.slice(0, max).map((id) => `#${id}`).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

/**
 * The shape every write tool other than `send_message` shares (PROTOCOL.md: write tools take `mode`; a dry run
 * is a success with `sent: false` and a `dry_reason`, audited, with no Telegram call; a denial, expiry or
 * cancellation is a success with `sent: false` and a `reason`). The approval itself is {@link gateWrite}.
 */
import { sanitizeUntrusted } from '../content/boundary.js';
import type { ToolName } from '../protocol/index.js';
import type { GatewayMessage, ResolvedPeer } from '../telegram/gateway.js';
import type { ToolContext } from './context.js';
import { gateWrite } from './writeGate.js';

/** One write, planned: who it touches, what the person is asked, what the AI is told, and the Telegram call. */
export interface WritePlan<R> {
  tool: ToolName;
  /** The peer the write lands in: approval, rate limits (20/h per real peer) and audit key on it. */
  peer: ResolvedPeer;
  mode: 'send' | 'dry_run';
  /**
   * What the person reads in the approval, in plain words; may quote titles and messages (display-sanitised).
   * It is a description, so an edited approval is refused (see gateWrite `editable`) unless `editable`.
   */
  ask: string;
  /** The same for the AI, built only from the AI's own arguments and peer refs (no Telegram-sourced text). */
  action: string;
  /** The Telegram call; gets the approved text (only differs from `ask` when `editable`). */
  perform: (approvedText: string) => Promise<R>;
  /** True when `ask` is exactly the content written (edit_message's new text), so the person may edit it. */
  editable?: boolean;
}

/** Fields every write result has (see `writeOutcome` in bridge/protocol/tools.ts). */
export interface WriteBase {
  sent: boolean;
  status: 'sent' | 'dry_run' | 'denied' | 'expired' | 'cancelled';
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
    await ctx.audit.append({
      call_id: ctx.callId,
      tool: plan.tool,
      peer: ctx.audit.peerTag(plan.peer.ref),
      phase: 'result',
      status: 'dry_run',
      decided_by: '—',
    });
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
  const outcome = await gateWrite(ctx, plan.tool, plan.peer, plan.ask, plan.perform, {
    editable: plan.editable ?? false,
  });
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

/** A title or name as the person sees it in an approval: one line, control/bidi characters removed, ≤ 100. */
export function shownTitle(peer: ResolvedPeer): string {
  const title = sanitizeUntrusted(peer.title.replace(/[\r\n\t]+/g, ' '), 100).text;
  return peer.username ? `"${title}" (@${peer.username})` : `"${title}"`;
}

/**
 * One message as a line of an approval: `#41 you: "text…"`, media shown as `[photo]`. Display-sanitised and cut
 * to `max` characters of text.
 */
export function shownMessage(m: GatewayMessage, max = 80): string {
  const who = m.out ? 'you' : sanitizeUntrusted(m.fromName.replace(/[\r\n\t]+/g, ' '), 40).text;
  const flat = m.text.replace(/\s+/g, ' ').trim();
  const cut = sanitizeUntrusted(flat, max);
  const text = cut.text ? `"${cut.text}${cut.truncated ? '…' : ''}"` : '';
  const media = m.media ? `[${m.media.media_type}]` : '';
  return `#${m.id} ${who}: ${[media, text].filter(Boolean).join(' ') || '(empty)'}`;
}

/** `#41, #42, #43`, listing at most `max` ids and then "and N more". */
export function idList(ids: number[], max = 20): string {
  const shown = ids.slice(0, max).map((id) => `#${id}`).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

/** "1 message" / "3 messages". */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

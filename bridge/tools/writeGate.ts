/**
 * The gate every write passes (ARCHITECTURE.md custody rules 2–4): write limits, then a local decision, then an
 * `intent` audit entry before the Telegram call and a `result` entry after it. The relay cannot approve.
 */
import { ToolErrorCode } from '../protocol/index.js';
import type { ResolvedPeer } from '../telegram/gateway.js';
import type { ToolContext } from './context.js';
import { ToolError } from './toolError.js';

/** How often a waiting write re-sends `progress`, in ms, so a relay keeps extending its deadline. */
export const PROGRESS_INTERVAL_MS = 10_000;

/** Why a write did not happen: the person denied it, nobody answered in time, or the relay cancelled it. */
export type WriteRefusal =
  | { status: 'denied'; reason: string }
  | { status: 'expired'; reason: string }
  | { status: 'cancelled'; reason: string };

/** A write that happened: what was sent (maybe edited by the person), who decided, and the gateway result. */
export interface WriteDone<R> {
  status: 'sent';
  text: string;
  edited: boolean;
  decidedBy: 'person' | 'auto' | 'rule';
  value: R;
}

/** Reason given when the person edits the text of a write whose text is a description, not content. */
export const NOT_EDITABLE_REASON =
  'the person changed the request text, but this kind of write cannot be edited, so nothing was done. Ask ' +
  'them what they want instead.';

/**
 * Asks the person to approve a write of `text` to `peer`, then runs `perform` at most once with the approved
 * (possibly edited) text. Denial, expiry and cancellation are returned, not thrown; each is audited.
 * @param opts.editable false when `text` describes the write (delete, pin, react, …) rather than being what is
 *   written: an approval with edited text then counts as a denial ({@link NOT_EDITABLE_REASON}) and nothing is
 *   performed. Default true.
 * @throws ToolError from `perform` (audited as `error` with its code) — the intent entry stays in the chain.
 */
export async function gateWrite<R>(
  ctx: ToolContext,
  tool: string,
  peer: ResolvedPeer,
  text: string,
  perform: (approvedText: string) => Promise<R>,
  opts: { editable?: boolean } = {},
): Promise<WriteDone<R> | WriteRefusal> {
  const peerTag = ctx.audit.peerTag(peer.ref);
  const base = { call_id: ctx.callId, tool, peer: peerTag };
  const limited = ctx.limiter.take(peer.ref);
  if (limited) {
    await ctx.audit.append({ ...base, phase: 'result', status: 'rate_limited', decided_by: '—' });
    const per = limited.windowMs >= 3_600_000 ? `${limited.windowMs / 3_600_000} h` : `${limited.windowMs / 60_000} min`;
    const which = `${limited.capacity} writes per ${per}${limited.limit === 'peer' ? ' to this chat' : ''}`;
    throw markAudited(
      new ToolError(
        ToolErrorCode.rateLimited,
        `this device allows ${which}; nothing was sent. Retry after ${limited.retryAfterSeconds} s.`,
        { retryAfterSeconds: limited.retryAfterSeconds },
      ),
    );
  }
  const outcome = await decide(ctx, tool, peer, text, opts.editable ?? true);
  if (outcome.status !== 'approved') {
    ctx.limiter.refund(peer.ref);
    await ctx.audit.append({
      ...base,
      phase: 'result',
      status: outcome.status,
      decided_by: decidedByOf(outcome),
    });
    return { status: outcome.status, reason: refusalReason(outcome) };
  }
  if (opts.editable === false && outcome.edited) {
    ctx.limiter.refund(peer.ref);
    await ctx.audit.append({ ...base, phase: 'result', status: 'denied', decided_by: 'person' });
    return { status: 'denied', reason: NOT_EDITABLE_REASON };
  }
  const decidedBy = outcome.decidedBy;
  await ctx.audit.append({ ...base, phase: 'intent', status: 'ok', decided_by: decidedBy });
  try {
    const value = await perform(outcome.text);
    await ctx.audit.append({ ...base, phase: 'result', status: 'ok', decided_by: decidedBy });
    return { status: 'sent', text: outcome.text, edited: outcome.edited, decidedBy, value };
  } catch (err) {
    const code = err instanceof ToolError ? err.code : 'internal_error';
    await ctx.audit.append({ ...base, phase: 'result', status: 'error', decided_by: decidedBy, error: code });
    throw markAudited(err);
  }
}

function decidedByOf(outcome: { status: string }): 'person' | '—' {
  return outcome.status === 'denied' ? 'person' : '—';
}

function refusalReason(
  outcome:
    | { status: 'denied'; reason?: string }
    | { status: 'expired' }
    | { status: 'cancelled'; reason: string },
): string {
  switch (outcome.status) {
    case 'denied':
      return outcome.reason ? `the person denied it: ${outcome.reason}` : 'the person denied it';
    case 'expired':
      return 'the person did not answer in time; nothing was sent. Ask them before trying again.';
    case 'cancelled':
      return `the request was withdrawn before the person decided (${outcome.reason}); nothing was sent`;
  }
}

const AUDITED = Symbol('tg-bridge.audited');

/** Marks an error whose result entry is already in the audit chain, so the dispatcher doesn't add another. */
export function markAudited(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) (err as Record<symbol, boolean>)[AUDITED] = true;
  return err;
}

/** True when {@link markAudited} was applied to `err`. */
export function isAudited(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, boolean>)[AUDITED] === true;
}

type Decision =
  | Awaited<ReturnType<ToolContext['approvals']['request']>>
  | { status: 'approved'; text: string; edited: false; decidedBy: 'rule' };

/**
 * A standing rule the person made on this device, or else the person's answer to an approval request
 * (progress frames keep the relay waiting meanwhile).
 */
async function decide(
  ctx: ToolContext,
  tool: string,
  peer: ResolvedPeer,
  text: string,
  editable: boolean,
): Promise<Decision> {
  if (ctx.rules.match(tool, peer.ref)) return { status: 'approved', text, edited: false, decidedBy: 'rule' };
  const timeoutMs = ctx.approvalTimeoutMs();
  ctx.progress(`waiting for the person to approve ${tool} on their device (up to ${Math.round(timeoutMs / 1000)} s)`);
  const ticker = setInterval(() => ctx.progress(`still waiting for the person to approve ${tool}`), PROGRESS_INTERVAL_MS);
  try {
    return await ctx.approvals.request(
      {
        callId: ctx.callId,
        tool,
        peer: { ref: peer.ref, title: peer.title, id: peer.id, ...(peer.username ? { username: peer.username } : {}) },
        text,
        ...(ctx.client ? { client: ctx.client } : {}),
        ...(editable ? {} : { editable: false }),
      },
      { timeoutMs, signal: ctx.signal },
    );
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The gate every write passes (ARCHITECTURE.md custody rules 2–4; issue 8 §1, §2, §4, §6): a standing rule keyed
 * on the effect, or else the person's decision on the approval view — recorded when asked, then when decided,
 * then held for the undo window — then write limits, an `intent` audit entry before the Telegram call and a
 * `result` entry after it. The relay cannot approve.
 */
import type { Clock } from '../clock.js';
import {
  buildApprovalView,
  gatherApprovalFacts,
  type PendingWrite,
  ruleKeyOf,
} from '../policy/approvalView.js';
import type { ApprovalOutcome, HeldApproval } from '../policy/approvals.js';
import { ToolError, ToolErrorCode } from '../protocol/index.js';
import type { ToolContext } from './context.js';

/** How often a waiting write re-sends `progress`, in ms, so a relay keeps extending its deadline. */
export const PROGRESS_INTERVAL_MS = 10_000;

/** Why a write did not happen: denied, no answer in time, withdrawn, or undone within the undo window. */
export type WriteRefusal = { status: 'denied' | 'expired' | 'cancelled' | 'undone'; reason: string };

/** A write that happened: what was sent (maybe edited by the person), who decided, and the gateway result. */
export interface WriteDone<R> {
  status: 'sent';
  text: string;
  edited: boolean;
  decidedBy: 'person' | 'auto' | 'rule';
  value: R;
}

/** A write as the gate takes it: what it does (as data, for the approval view) and the Telegram call. */
export interface GatedWrite<R> extends PendingWrite {
  /** The Telegram call; gets the approved text (the person's edit, when the write's text is editable). */
  perform: (approvedText: string) => Promise<R>;
}

/** Reason given when the person edits the text of a write whose text is a description, not content. */
export const NOT_EDITABLE_REASON =
  'the person changed the request text, but this kind of write cannot be edited, so nothing was done. Ask ' +
  'them what they want instead.';

/** Reason given when the person takes back an approval within the undo window. */
export const UNDONE_REASON =
  'the person approved, then undid it within the undo window; nothing was sent. Do not retry unless they ask.';

/**
 * Decides on a write and runs `perform` at most once with the approved (possibly edited) text.
 *
 * Audit entries, through the call's recorder: `asked`/`pending` when the person is asked; `decision`/`ok` when
 * they approve (before the undo window, so a crash during it leaves the decision); then `intent`/`ok` and
 * `result`/`ok` or `error` around the Telegram call. A refusal ends with `result` and its status (`denied`,
 * `expired`, `cancelled`, `undone`). A standing rule skips the asking: `intent` and `result` with `rule`.
 *
 * Denial, expiry, cancellation and undo are returned, not thrown.
 * @throws ToolError `rate_limited` (audited) when a write limit is reached; ToolError from `perform` (audited
 *   as `error` with its code); gateway errors from the look-ups the view needs (reply_to, first contact).
 */
export async function gateWrite<R>(ctx: ToolContext, write: GatedWrite<R>): Promise<WriteDone<R> | WriteRefusal> {
  const audit = ctx.audit;
  audit.setPeer(write.peer.ref);
  // A rule can only exist for a peer the account has written to (none is offered on a first contact).
  const byRule = ctx.rules.match(ruleKeyOf(write)) !== null;
  const facts = byRule ? null : await gatherApprovalFacts(ctx.gateway, write);
  const limited = ctx.limiter.take(write.peer.ref);
  if (limited) {
    await audit.record({ phase: 'result', status: 'rate_limited' });
    const per =
      limited.windowMs >= 3_600_000 ? `${limited.windowMs / 3_600_000} h` : `${limited.windowMs / 60_000} min`;
    const which = `${limited.capacity} writes per ${per}${limited.limit === 'peer' ? ' to this chat' : ''}`;
    throw new ToolError(
      ToolErrorCode.rateLimited,
      `this device allows ${which}; nothing was sent. Retry after ${limited.retryAfterSeconds} s.`,
      { retryAfterSeconds: limited.retryAfterSeconds },
    );
  }
  let outcome: Decision;
  let editable = true;
  try {
    if (byRule) outcome = { status: 'approved', text: textOf(write), edited: false, decidedBy: 'rule' };
    else {
      const asked = await ask(ctx, write, facts!);
      outcome = asked.outcome;
      editable = asked.editable;
    }
  } catch (err) {
    ctx.limiter.refund(write.peer.ref);
    throw err;
  }
  if (outcome.status !== 'approved') {
    ctx.limiter.refund(write.peer.ref);
    await audit.record({
      phase: 'result',
      status: outcome.status,
      decidedBy: outcome.status === 'denied' || outcome.status === 'undone' ? 'person' : '—',
    });
    return { status: outcome.status, reason: refusalReason(outcome) };
  }
  if (!editable && outcome.edited) {
    ctx.limiter.refund(write.peer.ref);
    await audit.record({ phase: 'result', status: 'denied', decidedBy: 'person' });
    return { status: 'denied', reason: NOT_EDITABLE_REASON };
  }
  const decidedBy = outcome.decidedBy;
  await audit.record({ phase: 'intent', status: 'ok', decidedBy });
  try {
    const value = await write.perform(outcome.text);
    await audit.record({ phase: 'result', status: 'ok', decidedBy });
    return { status: 'sent', text: outcome.text, edited: outcome.edited, decidedBy, value };
  } catch (err) {
    const code = err instanceof ToolError ? err.code : ToolErrorCode.internal;
    await audit.record({ phase: 'result', status: 'error', decidedBy, error: code });
    throw err;
  }
}

type Decision = ApprovalOutcome | { status: 'approved'; text: string; edited: false; decidedBy: 'rule' };

/** The text an approval sends unless the person edits it: the message or edited text, else `''`. */
function textOf(write: PendingWrite): string {
  const e = write.effect;
  return e.kind === 'send_message' || e.kind === 'edit_message' ? e.text : '';
}

/**
 * Puts the write to the person and waits for the outcome (progress frames keep the relay waiting meanwhile).
 * Records `asked` first and the approval (`decision`) when it is made.
 */
async function ask<R>(
  ctx: ToolContext,
  write: GatedWrite<R>,
  facts: Awaited<ReturnType<typeof gatherApprovalFacts>>,
): Promise<{ outcome: ApprovalOutcome; editable: boolean }> {
  const view = buildApprovalView(write, facts, ctx.client === undefined ? {} : { client: ctx.client });
  const editable = view.text?.editable === true;
  await ctx.audit.record({ phase: 'asked', status: 'pending' });
  const timeoutMs = ctx.approvalTimeoutMs();
  const tool = write.tool;
  ctx.progress(`waiting for the person to approve ${tool} on their device (up to ${Math.round(timeoutMs / 1000)} s)`);
  let decision: Promise<unknown> | null = null;
  const recordDecision = (decidedBy: 'person' | 'auto') => {
    decision = ctx.audit.record({ phase: 'decision', status: 'ok', decidedBy });
    // Awaited below; this only keeps a failed append from being reported as unhandled meanwhile.
    decision.catch(() => {});
  };
  const stop = repeat(ctx.clock, PROGRESS_INTERVAL_MS, () =>
    ctx.progress(`still waiting for the person to approve ${tool}`),
  );
  try {
    const outcome = await ctx.approvals.request(
      { callId: ctx.callId, view, text: textOf(write), ...(view.rule.allowed ? { rule: ruleKeyOf(write) } : {}) },
      {
        timeoutMs,
        signal: ctx.signal,
        onHeld: (hold: HeldApproval) => {
          recordDecision(hold.decidedBy);
          ctx.progress(
            `the person approved ${tool}; it happens in ${Math.round((hold.sendsAt - hold.heldAt) / 1000)} s unless they undo it`,
          );
        },
      },
    );
    if (outcome.status === 'approved' && decision === null) recordDecision(outcome.decidedBy);
    if (decision !== null) await decision;
    return { outcome, editable };
  } finally {
    stop();
  }
}

/** Runs `fn` every `ms` on `clock` until the returned function is called. */
function repeat(clock: Clock, ms: number, fn: () => void): () => void {
  let timer: unknown;
  const tick = () => {
    fn();
    timer = clock.setTimeout(tick, ms);
  };
  timer = clock.setTimeout(tick, ms);
  return () => clock.clearTimeout(timer);
}

function refusalReason(outcome: Exclude<ApprovalOutcome, { status: 'approved' }>): string {
  switch (outcome.status) {
    case 'denied':
      return outcome.reason ? `the person denied it: ${outcome.reason}` : 'the person denied it';
    case 'expired':
      return 'the person did not answer in time; nothing was sent. Ask them before trying again.';
    case 'cancelled':
      return `the request was withdrawn before it happened (${outcome.reason}); nothing was sent`;
    case 'undone':
      return UNDONE_REASON;
  }
}

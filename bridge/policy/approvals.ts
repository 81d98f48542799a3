/**
 * The approval queue (ARCHITECTURE.md custody rules 2 and 3): every write waits here until the person decides
 * on this device. Only calls on this object — made by the popup, the web UI or the terminal prompt — can
 * approve; nothing the relay sends can (a relay `cancel` can only withdraw a request). Each request settles
 * exactly once: approved (after its undo window), undone, denied, expired, or cancelled; later decisions are
 * ignored.
 */
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../clock.js';
import { type ApprovalHold, ApprovalView, MAX_MESSAGE_LENGTH } from '../protocol/index.js';
import type { ApprovalViewDraft } from './approvalView.js';
import type { StandingRuleKey } from './standingRules.js';

/** Default time a request waits for the person, in ms (120 s; the CLI's `--approval-timeout` default). */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 120_000;

/** Default undo window after an approval, in ms (5 s; the CLI's `--undo-window` default; issue 8 §2). */
export const DEFAULT_UNDO_MS = 5_000;

/** Longest undo window, in ms (60 s): longer would keep the AI and the relay waiting for nothing. */
export const MAX_UNDO_MS = 60_000;

/** Cap on a deny or cancel reason, in characters (code points). */
export const MAX_REASON_LENGTH = 500;

/** How many decided call ids are remembered to refuse a replayed request (see {@link ApprovalQueue.request}). */
const DECIDED_MEMORY = 1024;

/**
 * A write that needs the person's decision: the view every surface renders, the text an approval sends, and the
 * standing rule the person may make from it.
 */
export interface ApprovalRequest {
  /** The relay's call id; also the key that makes `request` idempotent. */
  callId: string;
  /** What the person is shown (see `buildApprovalView`); the queue adds call id, times and the undo window. */
  view: ApprovalViewDraft;
  /**
   * The text an approval sends unless the person edits it: the message text, `''` for writes without one. It
   * is editable exactly when `view.text.editable` (an edit of any other write is still passed on, and refused by
   * the write gate).
   */
  text: string;
  /** The key of the standing rule "always" would make; absent when none may be made (`view.rule.allowed`). */
  rule?: StandingRuleKey;
}

/** A request waiting for the person. Times in ms since the epoch. */
export interface PendingApproval {
  callId: string;
  /** Tool name, e.g. `send_message` (also `view.tool`). */
  tool: string;
  /** The complete view, validated against the `ApprovalView` schema. */
  view: ApprovalView;
  text: string;
  /** True when the person may edit `text` in the prompt. */
  editable: boolean;
  rule?: StandingRuleKey;
  createdAt: number;
  expiresAt: number;
}

/**
 * How a request ended. `approved` carries the text to send (the person's edit if they made one, `edited`
 * true when it differs from the request) and who decided — it settles after the undo window; `undone` is an
 * approval the person took back within the undo window; `denied` the person's optional reason; `cancelled` why
 * the request was withdrawn (relay cancel, link lost, shutdown, abort signal) — also during the undo window.
 */
export type ApprovalOutcome =
  | { status: 'approved'; text: string; edited: boolean; decidedBy: 'person' | 'auto' }
  | { status: 'undone' }
  | { status: 'denied'; reason?: string }
  | { status: 'expired' }
  | { status: 'cancelled'; reason: string };

/** An approval held for its undo window (see {@link ApprovalHold} in the protocol, what surfaces render). */
export type HeldApproval = ApprovalHold;

/**
 * Events of an {@link ApprovalQueue}, with their listener arguments:
 * `added` (a new pending request), `held` (approved, now in its undo window: show a countdown and Undo),
 * `decided` (every final settlement — approved after the undo window, undone, denied, expired, cancelled),
 * `expired` (emitted just before the matching `decided`).
 */
export interface ApprovalEvents {
  added: [approval: PendingApproval];
  held: [hold: HeldApproval];
  decided: [callId: string, outcome: ApprovalOutcome];
  expired: [callId: string];
}

interface Entry {
  pending: PendingApproval;
  /** Set while the approval waits out its undo window. */
  hold?: { approval: ApprovalHold; outcome: ApprovalOutcome & { status: 'approved' } };
  promise: Promise<ApprovalOutcome>;
  resolve: (outcome: ApprovalOutcome) => void;
  timer: unknown;
  detachSignal: () => void;
  onHeld?: (hold: HeldApproval) => void;
}

/** Options of the {@link ApprovalQueue} constructor. */
export interface ApprovalQueueOptions {
  /** Source of time and timers (default the system clock). */
  clock?: Clock;
  /** How long a request waits by default, in ms (default {@link DEFAULT_APPROVAL_TIMEOUT_MS}). */
  timeoutMs?: number;
  /**
   * The undo window after an approval, in ms (default {@link DEFAULT_UNDO_MS}; 0 = none): the approval settles
   * only when it has passed, and {@link ApprovalQueue.undo} takes it back until then (issue 8 §2).
   */
  undoMs?: number;
}

/**
 * The queue of writes waiting for the person. Listeners run synchronously, after the queue's state has
 * changed (so `pending()` inside a `decided` listener no longer lists the request); a listener that throws
 * propagates to whoever caused the event.
 */
export class ApprovalQueue {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #undoMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #decided = new Set<string>();
  readonly #events = new EventEmitter();

  /**
   * @throws RangeError when `timeoutMs` is not a positive finite number, or `undoMs` is not an integer from 0 to
   *   {@link MAX_UNDO_MS}.
   */
  constructor(opts: ApprovalQueueOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = checkTimeout(opts.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS);
    this.#undoMs = checkUndo(opts.undoMs ?? DEFAULT_UNDO_MS);
    // Listeners are UI surfaces (popup, web UI, terminal); more than 10 is normal, not a leak.
    this.#events.setMaxListeners(0);
  }

  /** The undo window after an approval, in ms (0 = none). */
  get undoMs(): number {
    return this.#undoMs;
  }

  /**
   * Asks the person to decide on a write and waits for the outcome; never rejects for a decision.
   * - A second request with the same `callId` while the first is pending returns the same promise.
   * - A request whose `callId` was already decided (among the last 1024) is not shown again: it resolves
   *   `cancelled` at once, so a replayed call can never be approved twice (custody rule 3).
   * - `timeoutMs` (default the queue's) elapses → `expired`; `signal` aborts → `cancelled` with the abort
   *   reason (an already-aborted signal resolves `cancelled` without adding anything).
   * - `onHeld` runs (synchronously, inside `approve`) when an approval enters its undo window — the write gate
   *   records the decision then, so a crash during the window leaves it in the audit chain.
   * @throws TypeError when `callId` is empty or the view does not fit the `ApprovalView` schema; RangeError when
   *   `timeoutMs` is not a positive finite number.
   */
  request(
    req: ApprovalRequest,
    opts: { timeoutMs?: number; signal?: AbortSignal; onHeld?: (hold: HeldApproval) => void } = {},
  ): Promise<ApprovalOutcome> {
    if (typeof req.callId !== 'string' || req.callId === '')
      throw new TypeError('approval request needs a callId');
    const existing = this.#entries.get(req.callId);
    if (existing) return existing.promise;
    const timeoutMs = checkTimeout(opts.timeoutMs ?? this.#timeoutMs);
    if (this.#decided.has(req.callId)) {
      return Promise.resolve({
        status: 'cancelled',
        reason: 'this call was already decided; it is not asked again',
      });
    }
    if (opts.signal?.aborted)
      return Promise.resolve({ status: 'cancelled', reason: abortReason(opts.signal) });

    const createdAt = this.#clock.now();
    const checked = ApprovalView.safeParse({
      ...req.view,
      callId: req.callId,
      createdAt,
      expiresAt: createdAt + timeoutMs,
      undoMs: this.#undoMs,
    });
    if (!checked.success) throw new TypeError(`approval view does not fit its schema: ${checked.error.message}`);
    const pending: PendingApproval = {
      callId: req.callId,
      tool: checked.data.tool,
      view: checked.data,
      text: req.text,
      editable: checked.data.text?.editable === true,
      ...(req.rule && checked.data.rule.allowed ? { rule: { ...req.rule } } : {}),
      createdAt,
      expiresAt: createdAt + timeoutMs,
    };
    let resolve!: (outcome: ApprovalOutcome) => void;
    const promise = new Promise<ApprovalOutcome>((r) => {
      resolve = r;
    });
    const entry: Entry = {
      pending,
      promise,
      resolve,
      timer: undefined,
      detachSignal: () => {},
      ...(opts.onHeld ? { onHeld: opts.onHeld } : {}),
    };
    entry.timer = this.#clock.setTimeout(() => this.#settle(req.callId, { status: 'expired' }), timeoutMs);
    const signal = opts.signal;
    if (signal) {
      const onAbort = () => this.#settle(req.callId, { status: 'cancelled', reason: abortReason(signal) });
      signal.addEventListener('abort', onAbort, { once: true });
      entry.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    this.#entries.set(req.callId, entry);
    this.#emit('added', copyPending(pending));
    return promise;
  }

  /**
   * Approves a pending request, optionally with the person's edited text.
   * @param opts.text replacement text; `edited` is true when it differs from the requested text.
   * @param opts.by who decided (default `person`; `auto` for a standing rule the person made on this device).
   * With an undo window the request then waits it out (`held` event, {@link holds}) and settles `approved` at
   * its end unless {@link undo} or {@link cancel} comes first; without one it settles at once.
   * @returns true when the request was pending and is now approved; false when it was not pending (already
   *   decided, held, expired, cancelled, unknown) or when the edited text is unsendable — empty, only whitespace, or
   *   longer than 4096 characters counted as the protocol's SendMessageArgs counts them (UTF-16
   *   units, MAX_MESSAGE_LENGTH) — in which case it stays pending.
   */
  approve(callId: string, opts: { text?: string; by?: 'person' | 'auto' } = {}): boolean {
    const entry = this.#entries.get(callId);
    if (!entry || entry.hold) return false;
    const text = opts.text ?? entry.pending.text;
    if (opts.text !== undefined && !isSendable(opts.text)) return false;
    const outcome = {
      status: 'approved',
      text,
      edited: text !== entry.pending.text,
      decidedBy: opts.by ?? 'person',
    } as const;
    if (this.#undoMs === 0) return this.#settle(callId, outcome);
    this.#clock.clearTimeout(entry.timer);
    const heldAt = this.#clock.now();
    const approval: ApprovalHold = {
      callId,
      tool: entry.pending.tool,
      effect: entry.pending.view.effect,
      decidedBy: outcome.decidedBy,
      heldAt,
      sendsAt: heldAt + this.#undoMs,
    };
    entry.hold = { approval, outcome };
    entry.timer = this.#clock.setTimeout(() => this.#settle(callId, outcome), this.#undoMs);
    entry.onHeld?.({ ...approval });
    this.#emit('held', { ...approval });
    return true;
  }

  /**
   * Takes back an approval during its undo window: the write is never performed (outcome `undone`).
   * @returns false when the call is not in its undo window (still pending, already settled, unknown).
   */
  undo(callId: string): boolean {
    if (!this.#entries.get(callId)?.hold) return false;
    return this.#settle(callId, { status: 'undone' });
  }

  /** Approvals waiting out their undo window, oldest first (copies). */
  holds(): HeldApproval[] {
    return [...this.#entries.values()].flatMap((e) => (e.hold ? [{ ...e.hold.approval }] : []));
  }

  /**
   * Denies a pending request. The reason (shown to the AI) is trimmed and capped at 500 characters; an empty
   * one is left out.
   * @returns false when the request was not pending.
   */
  deny(callId: string, reason?: string): boolean {
    if (this.#entries.get(callId)?.hold) return false;
    const clean = reason === undefined ? '' : cleanReason(reason);
    return this.#settle(callId, clean ? { status: 'denied', reason: clean } : { status: 'denied' });
  }

  /**
   * Withdraws a pending or held request (relay `cancel`, deadline, link lost): a held approval is then never
   * performed. Reason trimmed and capped at 500.
   * @returns false when the request was neither pending nor held.
   */
  cancel(callId: string, reason: string): boolean {
    return this.#settle(callId, { status: 'cancelled', reason: cleanReason(reason) || 'cancelled' });
  }

  /** Withdraws every pending and held request, oldest first (shutdown, link lost). */
  cancelAll(reason: string): void {
    for (const callId of [...this.#entries.keys()]) this.cancel(callId, reason);
  }

  /** Requests waiting for the person, oldest first (copies: changing them changes nothing). */
  pending(): PendingApproval[] {
    return [...this.#entries.values()].filter((e) => !e.hold).map((e) => copyPending(e.pending));
  }

  /** Adds a listener for one of the {@link ApprovalEvents}. */
  on<E extends keyof ApprovalEvents>(event: E, listener: (...args: ApprovalEvents[E]) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener added with {@link on}. */
  off<E extends keyof ApprovalEvents>(event: E, listener: (...args: ApprovalEvents[E]) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  #emit<E extends keyof ApprovalEvents>(event: E, ...args: ApprovalEvents[E]): void {
    this.#events.emit(event, ...args);
  }

  /** The one place a request settles: state first, then the promise, then events. */
  #settle(callId: string, outcome: ApprovalOutcome): boolean {
    const entry = this.#entries.get(callId);
    if (!entry) return false;
    this.#entries.delete(callId);
    this.#clock.clearTimeout(entry.timer);
    entry.detachSignal();
    this.#remember(callId);
    entry.resolve(outcome);
    if (outcome.status === 'expired') this.#emit('expired', callId);
    this.#emit('decided', callId, outcome);
    return true;
  }

  #remember(callId: string): void {
    this.#decided.add(callId);
    if (this.#decided.size > DECIDED_MEMORY) {
      const oldest = this.#decided.values().next().value;
      if (oldest !== undefined) this.#decided.delete(oldest);
    }
  }
}

function checkTimeout(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`approval timeout must be a positive number of ms, got ${ms}`);
  return ms;
}

function checkUndo(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_UNDO_MS)
    throw new RangeError(`undo window must be 0 to ${MAX_UNDO_MS} ms, got ${ms}`);
  return ms;
}

function isSendable(text: string): boolean {
  return typeof text === 'string' && text.trim().length > 0 && text.length <= MAX_MESSAGE_LENGTH;
}

function cleanReason(reason: string): string {
  const trimmed = String(reason).trim();
  const points = [...trimmed];
  return points.length <= MAX_REASON_LENGTH ? trimmed : points.slice(0, MAX_REASON_LENGTH).join('').trimEnd();
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  const text = r instanceof Error ? r.message : typeof r === 'string' ? r : '';
  return cleanReason(text) || 'the call was cancelled';
}

function copyPending(p: PendingApproval): PendingApproval {
  return structuredClone(p);
}

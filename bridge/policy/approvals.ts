/**
 * The approval queue (ARCHITECTURE.md custody rules 2 and 3): every write waits here until the person decides
 * on this device. Only calls on this object — made by the popup, the web UI or the terminal prompt — can
 * approve; nothing the relay sends can (a relay `cancel` can only withdraw a request). Each request settles
 * exactly once: approved, denied, expired, or cancelled; later decisions are ignored.
 */
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../clock.js';
import { MAX_MESSAGE_LENGTH } from '../protocol/index.js';

/** Default time a request waits for the person, in ms (120 s; the CLI's `--approval-timeout` default). */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 120_000;

/** Cap on a deny or cancel reason, in characters (code points). */
export const MAX_REASON_LENGTH = 500;

/** How many decided call ids are remembered to refuse a replayed request (see {@link ApprovalQueue.request}). */
const DECIDED_MEMORY = 1024;

/** A write that needs the person's decision: what the popup shows. */
export interface ApprovalRequest {
  /** The relay's call id; also the key that makes `request` idempotent. */
  callId: string;
  /** Tool name, e.g. `send_message`. */
  tool: string;
  /** The resolved peer: canonical ref (`user:123`), display title, @username (without `@`) and numeric id. */
  peer: { ref: string; title: string; username?: string; id: string };
  /** The full text to be sent (or the caption / description of the write). */
  text: string;
  /** Which MCP client asked, when the relay said. */
  client?: string;
  /**
   * False when `text` describes the write (delete, pin, react, …) rather than being the content sent: prompts
   * then offer no edit (an edited approval would be refused). Absent = editable.
   */
  editable?: boolean;
  /** How Telegram reads the text sent (issue 8 §3); absent = `plain`, sent byte for byte. */
  textFormat?: 'plain' | 'markdown' | 'html';
  /** With markdown/html: the text as Telegram will show it (plus link targets), what the person approves. */
  renderedText?: string;
}

/** A request waiting for the person. Times in ms since the epoch. */
export interface PendingApproval extends ApprovalRequest {
  createdAt: number;
  expiresAt: number;
}

/**
 * How a request ended. `approved` carries the text to send (the person's edit if they made one, `edited`
 * true when it differs from the request) and who decided; `denied` the person's optional reason;
 * `cancelled` why the request was withdrawn (relay cancel, link lost, shutdown, abort signal).
 */
export type ApprovalOutcome =
  | { status: 'approved'; text: string; edited: boolean; decidedBy: 'person' | 'auto' }
  | { status: 'denied'; reason?: string }
  | { status: 'expired' }
  | { status: 'cancelled'; reason: string };

/**
 * Events of an {@link ApprovalQueue}, with their listener arguments:
 * `added` (a new pending request), `decided` (every settlement, including expiry and cancellation),
 * `expired` (emitted just before the matching `decided`).
 */
export interface ApprovalEvents {
  added: [approval: PendingApproval];
  decided: [callId: string, outcome: ApprovalOutcome];
  expired: [callId: string];
}

interface Entry {
  pending: PendingApproval;
  promise: Promise<ApprovalOutcome>;
  resolve: (outcome: ApprovalOutcome) => void;
  timer: unknown;
  detachSignal: () => void;
}

/** Options of the {@link ApprovalQueue} constructor. */
export interface ApprovalQueueOptions {
  /** Source of time and timers (default the system clock). */
  clock?: Clock;
  /** How long a request waits by default, in ms (default {@link DEFAULT_APPROVAL_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * The queue of writes waiting for the person. Listeners run synchronously, after the queue's state has
 * changed (so `pending()` inside a `decided` listener no longer lists the request); a listener that throws
 * propagates to whoever caused the event.
 */
export class ApprovalQueue {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #decided = new Set<string>();
  readonly #events = new EventEmitter();

  /** @throws RangeError when `timeoutMs` is not a positive finite number. */
  constructor(opts: ApprovalQueueOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = checkTimeout(opts.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS);
    // Listeners are UI surfaces (popup, web UI, terminal); more than 10 is normal, not a leak.
    this.#events.setMaxListeners(0);
  }

  /**
   * Asks the person to decide on a write and waits for the outcome; never rejects for a decision.
   * - A second request with the same `callId` while the first is pending returns the same promise.
   * - A request whose `callId` was already decided (among the last 1024) is not shown again: it resolves
   *   `cancelled` at once, so a replayed call can never be approved twice (custody rule 3).
   * - `timeoutMs` (default the queue's) elapses → `expired`; `signal` aborts → `cancelled` with the abort
   *   reason (an already-aborted signal resolves `cancelled` without adding anything).
   * @throws TypeError when `callId` is empty or `timeoutMs` is not a positive finite number.
   */
  request(
    req: ApprovalRequest,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
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
    const pending: PendingApproval = {
      callId: req.callId,
      tool: req.tool,
      peer: { ...req.peer },
      text: req.text,
      ...(req.client === undefined ? {} : { client: req.client }),
      ...(req.editable === false ? { editable: false } : {}),
      ...(req.textFormat === undefined ? {} : { textFormat: req.textFormat }),
      ...(req.renderedText === undefined ? {} : { renderedText: req.renderedText }),
      createdAt,
      expiresAt: createdAt + timeoutMs,
    };
    let resolve!: (outcome: ApprovalOutcome) => void;
    const promise = new Promise<ApprovalOutcome>((r) => {
      resolve = r;
    });
    const entry: Entry = { pending, promise, resolve, timer: undefined, detachSignal: () => {} };
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
   * @returns true when the request was pending and is now approved; false when it was not pending (already
   *   decided, expired, cancelled, unknown) or when the edited text is unsendable — empty, only whitespace, or
   *   longer than 4096 characters counted as the protocol's SendMessageArgs counts them (UTF-16
   *   units, MAX_MESSAGE_LENGTH) — in which case it stays pending.
   */
  approve(callId: string, opts: { text?: string; by?: 'person' | 'auto' } = {}): boolean {
    const entry = this.#entries.get(callId);
    if (!entry) return false;
    const text = opts.text ?? entry.pending.text;
    if (opts.text !== undefined && !isSendable(opts.text)) return false;
    return this.#settle(callId, {
      status: 'approved',
      text,
      edited: text !== entry.pending.text,
      decidedBy: opts.by ?? 'person',
    });
  }

  /**
   * Denies a pending request. The reason (shown to the AI) is trimmed and capped at 500 characters; an empty
   * one is left out.
   * @returns false when the request was not pending.
   */
  deny(callId: string, reason?: string): boolean {
    const clean = reason === undefined ? '' : cleanReason(reason);
    return this.#settle(callId, clean ? { status: 'denied', reason: clean } : { status: 'denied' });
  }

  /**
   * Withdraws a pending request (relay `cancel`, deadline, link lost). Reason trimmed and capped at 500.
   * @returns false when the request was not pending.
   */
  cancel(callId: string, reason: string): boolean {
    return this.#settle(callId, { status: 'cancelled', reason: cleanReason(reason) || 'cancelled' });
  }

  /** Withdraws every pending request, oldest first (shutdown, link lost). */
  cancelAll(reason: string): void {
    for (const callId of [...this.#entries.keys()]) this.cancel(callId, reason);
  }

  /** Requests waiting for the person, oldest first (copies: changing them changes nothing). */
  pending(): PendingApproval[] {
    return [...this.#entries.values()].map((e) => copyPending(e.pending));
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
  return { ...p, peer: { ...p.peer } };
}

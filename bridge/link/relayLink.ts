/**
 * The relay link: the device's one outgoing WebSocket to the relay (PROTOCOL.md "Transport").
 *
 * Dials `GET <relay>/bridge` with `Authorization: Bearer <bridge token>`, sends `hello`, answers `ping`,
 * runs each `call` through `onCall`, answers with `response` / `error`, and turns `cancel` into an abort.
 * It detects a dead connection (nothing heard for 30 s), and reconnects by itself with jittered
 * exponential backoff (2 s doubling to 60 s).
 *
 * PROTOCOL.md compatibility: PROTOCOL.md says "2 s doubling to 60 s, jittered, reset after a connection that
 * lived 60 s". We go further in two compatible ways (issue 12), so a relay restart costs well under a second:
 * - the backoff resets when the relay's `welcome` arrives (the relay accepted this device), not only after 60 s
 *   of uptime (still the rule for a plain mctl-style relay, which never sends `welcome`);
 * - after a good connection (welcomed, or 60 s old) drops, the first redial comes after 100–300 ms (uniform
 *   jitter, so a restarted relay is not hit by every device at once). While the relay then stays unreachable
 *   the way a restarting relay is (connection refused or reset, or a proxy in front answering 502/503/504), the
 *   redials keep coming every 200–600 ms for up to 10 s after the drop (`quickWindowMs`): a relay that takes
 *   a second to start is reached within half a second of listening. Any other failure (401, 429, a timeout),
 *   and everything after the window, gets the 2 s–60 s doubling. A connection closed as `replaced` (another
 *   device of the same user took over) gets no quick redial, so two devices do not take the account from each
 *   other five times a second.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import {
  type CallFrame,
  type ClientConsentFrame,
  type ClientScope,
  CloseCode,
  encodeFrame,
  type Frame,
  IDLE_TIMEOUT_MS,
  MAX_FRAME_BYTES,
  PING_INTERVAL_MS,
  PROTOCOL_NAME,
  parseFrame,
  type RelayLimits,
  ToolErrorCode,
  ToolError,
} from '../protocol/index.js';

/** What a call handler gets: an abort signal (relay `cancel` or link loss) and a progress reporter. */
export interface CallScope {
  signal: AbortSignal;
  progress(message: string): void;
}

/**
 * Backoff settings, in ms (PROTOCOL.md: 2 s doubling to 60 s, reset after 60 s of connection; plus the quick
 * first redial after a good connection, see the module docs).
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A connection open this long counts as good even without `welcome` (a plain relay). */
  resetAfterMs: number;
  /** The first redial after a good connection drops waits a uniform random time in [min, max]. */
  firstRedialMinMs: number;
  firstRedialMaxMs: number;
  /**
   * For this long after a good connection dropped, a relay that is unreachable as a restarting one is
   * (connection refused or reset, HTTP 502/503/504) is redialled every [2·min, 2·max] of the first redial
   * instead of the doubling; 0 turns this off.
   */
  quickWindowMs: number;
}

/** Options of {@link RelayLink}. */
export interface RelayLinkOptions {
  /** Relay base URL (`https://relay.example`) or full bridge URL (`wss://relay.example/bridge`). */
  url: string;
  /** The bridge token (secret; never logged), or a function minting a fresh one per connection. */
  token: string | (() => Promise<string>);
  /** Runs one call; resolves with the result or throws (ToolError → `[code] message`). */
  onCall(call: CallFrame, scope: CallScope): Promise<unknown>;
  /**
   * Extra headers per connection attempt: the paired device's proof of possession (see devicePairing.ts).
   * Rejecting fails this attempt like a token error.
   */
  connectHeaders?: () => Promise<Record<string, string>>;
  /**
   * Asks the person whether a new AI client may use the account, and with which scope (custody rule 7).
   * Absent: every such request is declined (this device cannot ask).
   */
  onClientConsent?: (request: ClientConsentFrame) => Promise<ClientConsentAnswer>;
  /** Identity sent in `hello`. */
  hello: { app: string; version: string; tools: string[] };
  backoff?: Partial<BackoffOptions>;
  /** Keep-alive interval, in ms (default 25 000). */
  pingIntervalMs?: number;
  /** Close a connection silent this long, in ms (default 30 000). */
  idleTimeoutMs?: number;
  logger?: Logger;
}

/** The person's answer to a `client_consent` frame. */
export type ClientConsentAnswer = { approved: true; scope: ClientScope } | { approved: false; reason?: string };

/** Link state as the UI shows it. */
export type LinkStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'connected'; since: number }
  | { state: 'waiting'; retryInMs: number; attempt: number; reason: string }
  | { state: 'stopped' };

interface LinkEvents {
  status: [LinkStatus];
  welcome: [RelayLimits];
}

/** Normalises a relay URL to its `/bridge` WebSocket URL (http→ws, https→wss). @throws Error on a bad URL. */
export function bridgeUrlOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new Error(`relay URL must be http(s) or ws(s): ${url}`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/bridge';
  return u.toString();
}

/** One device↔relay connection that keeps itself alive. */
export class RelayLink extends EventEmitter<LinkEvents> {
  private readonly url: string;
  private readonly backoff: BackoffOptions;
  private readonly pingIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private ws: WebSocket | null = null;
  private stopped = true;
  private attempt = 0;
  /** Until when (ms since the epoch) an unreachable relay is redialled quickly; see {@link BackoffOptions}. */
  private quickUntil = 0;
  /** Whether the last dial failed the way a restarting relay fails (refused, reset, 502/503/504). */
  private restarting = false;
  private connectedAt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, AbortController>();
  private limits: RelayLimits | null = null;
  private current: LinkStatus = { state: 'stopped' };

  constructor(private readonly options: RelayLinkOptions) {
    super();
    this.url = bridgeUrlOf(options.url);
    this.backoff = {
      initialMs: 2_000,
      maxMs: 60_000,
      resetAfterMs: 60_000,
      firstRedialMinMs: 100,
      firstRedialMaxMs: 300,
      quickWindowMs: 10_000,
      ...options.backoff,
    };
    this.pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  }

  /** Limits from the relay's `welcome`, or null for a plain (mctl-style) relay or before it arrives. */
  get relayLimits(): RelayLimits | null {
    return this.limits;
  }

  /** Current state. */
  get status(): LinkStatus {
    return this.current;
  }

  /** Number of calls running now. */
  get callsInFlight(): number {
    return this.inFlight.size;
  }

  /** Starts dialing (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    void this.dial();
  }

  /** Closes the connection, aborts calls in flight, and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.teardown('the bridge is shutting down');
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'bridge stopped');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000).unref();
      });
    }
    this.setStatus({ state: 'stopped' });
  }

  private setStatus(status: LinkStatus): void {
    this.current = status;
    this.emit('status', status);
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    this.attempt += 1;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    let token: string;
    let extraHeaders: Record<string, string> = {};
    try {
      token = typeof this.options.token === 'string' ? this.options.token : await this.options.token();
      if (this.options.connectHeaders) extraHeaders = await this.options.connectHeaders();
    } catch (err) {
      this.restarting = false;
      this.scheduleRetry(`could not get a bridge token: ${(err as Error).message}`);
      return;
    }
    if (this.stopped) return;
    const ws = new WebSocket(this.url, {
      headers: { ...extraHeaders, Authorization: `Bearer ${token}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let failure = 'connection closed';
    let refused = false;
    // Until the relay says otherwise, a failure to connect looks like a relay that is not up (yet).
    this.restarting = true;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      this.restarting = res.statusCode === 502 || res.statusCode === 503 || res.statusCode === 504;
      failure =
        res.statusCode === 401
          ? 'the relay refused the bridge token (401): pair this device again or check the token'
          : `the relay answered HTTP ${res.statusCode}`;
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      this.restarting = false;
      this.connectedAt = Date.now();
      this.limits = null;
      this.options.logger?.info({ url: redactUrl(this.url) }, 'relay link open');
      this.setStatus({ state: 'connected', since: this.connectedAt });
      this.send({ type: 'hello', protocol: PROTOCOL_NAME, ...this.options.hello });
      this.pingTimer = setInterval(() => this.send({ type: 'ping', id: 'ping' }), this.pingIntervalMs);
      this.armIdle();
    });
    ws.on('message', (data, isBinary) => {
      this.armIdle();
      if (isBinary) return;
      this.onFrame(data as Buffer);
    });
    ws.on('pong', () => this.armIdle());
    ws.on('error', (err: Error & { code?: string }) => {
      if (refused) return;
      failure = describeSocketError(err);
      if (err.code !== 'ECONNREFUSED' && err.code !== 'ECONNRESET') this.restarting = false;
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      const why = this.connectedAt
        ? `closed by relay (${code}${reason.length ? ` ${reason.toString()}` : ''})`
        : failure;
      this.options.logger?.info({ code }, 'relay link closed');
      this.teardown('the relay connection was lost');
      if (this.connectedAt && Date.now() - this.connectedAt >= this.backoff.resetAfterMs) this.attempt = 0;
      // Replaced by another device of this user: back off normally (attempt 0 would redial at once).
      if (code === CloseCode.replaced) this.attempt = Math.max(this.attempt, 1);
      this.connectedAt = 0;
      this.scheduleRetry(why);
    });
  }

  /**
   * Waits before the next dial: attempt 0 (the connection that just dropped was good) → the quick first redial
   * in [firstRedialMinMs, firstRedialMaxMs]; attempt n ≥ 1 → jittered in [exp/2, exp], exp = initial·2^(n−1)
   * capped at maxMs. Jitter keeps many devices from reconnecting in lockstep after a relay restart.
   */
  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    const { initialMs, maxMs, firstRedialMinMs: min, firstRedialMaxMs: max, quickWindowMs } = this.backoff;
    const exp = Math.min(maxMs, initialMs * 2 ** Math.max(0, this.attempt - 1));
    if (this.attempt === 0) this.quickUntil = Date.now() + quickWindowMs;
    const quick = this.attempt > 0 && this.restarting && Date.now() < this.quickUntil;
    const retryInMs =
      this.attempt === 0
        ? Math.round(min + Math.random() * (max - min))
        : quick
          ? Math.round(2 * min + Math.random() * 2 * (max - min))
          : Math.round(exp / 2 + Math.random() * (exp / 2));
    this.setStatus({ state: 'waiting', retryInMs, attempt: this.attempt, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.dial();
    }, retryInMs);
  }

  private teardown(reason: string): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.pingTimer = null;
    this.idleTimer = null;
    for (const ctl of this.inFlight.values()) ctl.abort(reason);
    this.inFlight.clear();
    this.ws?.removeAllListeners('message');
    this.ws = this.ws && this.ws.readyState === WebSocket.CLOSED ? null : this.ws;
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const ws = this.ws;
    this.idleTimer = setTimeout(() => {
      this.options.logger?.warn('relay silent too long; reconnecting');
      ws?.terminate();
    }, this.idleTimeoutMs);
  }

  private send(frame: Frame): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(encodeFrame(frame));
  }

  private onFrame(data: Buffer): void {
    const parsed = parseFrame(data);
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'invalid') {
      this.options.logger?.warn({ error: parsed.error }, 'invalid frame from relay ignored');
      if (parsed.id)
        this.send({ type: 'error', id: parsed.id, error: `[invalid_arguments] ${parsed.error}` });
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'ping':
        this.send({ type: 'pong', id: 'ping' });
        return;
      case 'welcome':
        this.attempt = 0; // the relay accepted this device: the next drop gets the quick first redial
        this.limits = frame.limits;
        this.emit('welcome', frame.limits);
        return;
      case 'call':
        void this.runCall(frame);
        return;
      case 'cancel':
        this.inFlight.get(frame.id)?.abort(frame.reason || 'cancelled by the relay');
        return;
      case 'client_consent':
        void this.answerConsent(frame);
        return;
      default:
        return;
    }
  }

  private async answerConsent(request: ClientConsentFrame): Promise<void> {
    const ws = this.ws;
    let answer: ClientConsentAnswer;
    try {
      answer = this.options.onClientConsent
        ? await this.options.onClientConsent(request)
        : { approved: false, reason: 'This tg-bridge app cannot approve new AI clients.' };
    } catch (err) {
      this.options.logger?.error({ err: errName(err) }, 'client consent failed');
      answer = { approved: false, reason: 'The device could not ask the person.' };
    }
    if (this.ws !== ws) return;
    this.send(
      answer.approved
        ? { type: 'client_decision', id: request.id, approved: true, scope: answer.scope }
        : { type: 'client_decision', id: request.id, approved: false, ...(answer.reason ? { reason: answer.reason.slice(0, 500) } : {}) },
    );
  }

  private async runCall(call: CallFrame): Promise<void> {
    if (this.inFlight.has(call.id)) return; // a duplicate delivery: the first run answers it
    const ctl = new AbortController();
    this.inFlight.set(call.id, ctl);
    const ws = this.ws;
    const answer = (frame: Frame) => {
      if (this.ws === ws) this.send(frame);
    };
    try {
      const result = await this.options.onCall(call, {
        signal: ctl.signal,
        progress: (message) => answer({ type: 'progress', id: call.id, message: message.slice(0, 500) }),
      });
      answer({ type: 'response', id: call.id, result: result ?? null });
    } catch (err) {
      const text =
        err instanceof ToolError
          ? err.toFrameText()
          : new ToolError(ToolErrorCode.internal, 'an unexpected error happened on the device').toFrameText();
      if (!(err instanceof ToolError)) this.options.logger?.error({ err: errName(err) }, 'tool call failed');
      answer({ type: 'error', id: call.id, error: text });
    } finally {
      if (this.inFlight.get(call.id) === ctl) this.inFlight.delete(call.id);
    }
  }
}

function describeSocketError(err: Error & { code?: string }): string {
  if (err.code === 'ECONNREFUSED') return 'the relay is not reachable (connection refused)';
  if (err.code === 'ENOTFOUND') return 'the relay host name does not resolve';
  return `connection error: ${err.code ?? err.message}`;
}

function redactUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}

function errName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
}

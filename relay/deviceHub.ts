/**
 * The device hub: every live device WebSocket (`GET /bridge`), one per user, and the tool calls in flight on
 * each (PROTOCOL.md "Transport"). It forwards a call as a `call` frame, matches `response` / `error` frames
 * by call id, enforces each call's deadline, turns a deadline or an MCP client's cancellation into a `cancel`
 * frame, extends a deadline when the device reports `progress`, and keeps sockets alive with `ping` frames.
 *
 * Logs carry user ids, call ids, tool names and outcome codes only: never tokens, arguments, results or
 * error texts (they may quote Telegram content).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import {
  type ClientScope,
  CloseCode,
  encodeFrame,
  type Frame,
  isToolName,
  MAX_CALLS_IN_FLIGHT,
  PROTOCOL_NAME,
  parseFrame,
  TOOLS,
  ToolErrorCode,
  toolErrorCodeOf,
  toolErrorText,
} from '../bridge/protocol/index.js';

/** Timing settings of the hub, all in ms. */
export interface DeviceHubOptions {
  /** Default deadline of one call (PROTOCOL.md: 30 s). */
  callDeadlineMs: number;
  /** How long a device may wait for the person's approval; announced in `welcome`. */
  approvalTimeoutMs: number;
  /** How often the relay sends `ping` (PROTOCOL.md: 25 s). */
  pingIntervalMs: number;
  /** A device socket silent this long is closed with {@link CloseCode.idle} (PROTOCOL.md: 30 s). */
  idleTimeoutMs: number;
  logger: Logger;
  /** Told when a user's device socket starts or stops being held by this hub (replica presence, replicas/). */
  presence?: DevicePresenceListener;
}

/**
 * Hears which users' devices this hub holds. `connectionId` names one socket (random per connection), so a
 * listener can tell a newer socket of the same user from the one that ended.
 */
export interface DevicePresenceListener {
  /** A device socket of `userId` was attached (a previous socket of the same user, if any, was replaced). */
  attached(userId: string, connectionId: string): void;
  /** The hub no longer holds any socket of `userId`; `connectionId` is the socket that ended. */
  detached(userId: string, connectionId: string): void;
}

/**
 * How a forwarded call ended. `ok: true` carries the device's result as received (any JSON). `ok: false`
 * carries one sentence for the AI, prefixed `[code] ` when the cause is known (see `toolErrorText`).
 */
export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** Per-call options of {@link DeviceHub.call}. */
export interface ForwardOptions {
  /** This call's deadline, in ms; defaults to the hub's `callDeadlineMs`. */
  deadlineMs?: number;
  /** Aborted when the MCP client cancels: the device then gets a `cancel` frame. */
  signal?: AbortSignal;
  /** Called with each `progress` frame's message for this call. */
  onProgress?: (message: string) => void;
  /** Which MCP client asked (name and version), passed to the device for its approval prompt. */
  client?: string;
  /** OAuth client id whose token made the call; the device applies that client's scope (custody rule 7). */
  oauthClient?: string;
}

/** A new OAuth client the person must approve on their device (custody rule 7). */
export interface ClientConsentRequest {
  clientId: string;
  clientName: string;
  /** The relay as the person knows it (public URL). */
  relay: string;
}

/**
 * The device's answer to a {@link ClientConsentRequest}. `offline`: no device connected; `reason` says why a
 * request was not approved (the person's words, a timeout, a device that cannot ask).
 */
export type ClientConsentOutcome =
  | { approved: true; scope: ClientScope }
  | { approved: false; offline: boolean; reason: string };

/**
 * Why a call is withdrawn when its MCP client went away without cancelling (issue 8 §7), and the abort reason
 * of such a call: the reason the relay puts in the `notifications/cancelled` it delivers for the closed HTTP
 * response, the one a replica aborts a call it serves for another with, and the `cancel` text the device shows
 * (instead of "cancelled").
 */
export const MCP_CLIENT_GONE_REASON = 'the MCP client went away (its connection closed) before the person decided';

/** A connected device as {@link DeviceHub.connectedDevices} lists it; `connectedAt` is ms since the epoch. */
export interface DeviceInfo {
  userId: string;
  /** The paired device's id; absent for a device using a bridge token from `--config`. */
  deviceId?: string;
  app?: string;
  version?: string;
  connectedAt: number;
}

/** Text of the close frame sent to a socket a newer connection replaced (at most 123 bytes, RFC 6455). */
const REPLACED_REASON = 'replaced by a newer connection of this device';
/** How long a closing socket gets to finish the close handshake before it is destroyed, in ms. */
const CLOSE_GRACE_MS = 2_000;

/** The live device sockets of all users and the calls in flight on them. */
export class DeviceHub {
  private readonly devices = new Map<string, DeviceConnection>();
  private closed = false;

  constructor(private readonly options: DeviceHubOptions) {}

  /**
   * Takes over an authenticated device socket for `userId`. One live device per user (PROTOCOL.md): an
   * older socket of the same user is closed with {@link CloseCode.replaced} and its calls in flight fail.
   */
  attach(userId: string, ws: WebSocket, deviceId?: string): void {
    if (this.closed) {
      closeSocket(ws, CloseCode.goingAway, 'the relay is shutting down');
      return;
    }
    const previous = this.devices.get(userId);
    const connection = new DeviceConnection(userId, ws, this.options, deviceId, (c) => this.forget(c));
    this.devices.set(userId, connection);
    this.options.presence?.attached(userId, connection.connectionId);
    this.options.logger.info({ userId, replaced: previous !== undefined }, 'device connected');
    previous?.shutdown(
      CloseCode.replaced,
      REPLACED_REASON,
      (tool) => `The bridge app reconnected while running ${tool}. ${unknownOutcomeAdvice(tool)}`,
    );
  }

  /**
   * Forwards one tool call to the user's live device and waits for its answer. Never rejects.
   *
   * Fails without forwarding when no device is connected (`device_offline`), when the device already has
   * MAX_CALLS_IN_FLIGHT calls (`overloaded`, PROTOCOL.md: more than 100), or when `signal` is already
   * aborted. Fails at once when the device disconnects or is replaced mid-call. When the deadline passes
   * (default CALL_DEADLINE_MS, PROTOCOL.md: 30 s) or `signal` aborts, the device gets
   * `{"type":"cancel","id","reason"}`. A `progress` frame extends the deadline once, to the call's start +
   * its deadline + the approval timeout (default 30 s + 120 s), so a write waiting for the person survives.
   *
   * @param args sent as received (the device validates them again).
   */
  call(
    userId: string,
    tool: string,
    args: Record<string, unknown>,
    options: ForwardOptions = {},
  ): Promise<CallOutcome> {
    const connection = this.devices.get(userId);
    if (this.closed || connection === undefined || !connection.isOpen) {
      return Promise.resolve(failure(ToolErrorCode.deviceOffline, OFFLINE_TEXT));
    }
    return connection.forward(tool, args, options);
  }

  /**
   * Asks the user's device to approve a new OAuth client (frame `client_consent`) and waits for the person's
   * `client_decision`, at most `timeoutMs`. Never rejects: offline, timeout and a closed socket are outcomes.
   */
  askClientConsent(userId: string, request: ClientConsentRequest, timeoutMs: number): Promise<ClientConsentOutcome> {
    const connection = this.devices.get(userId);
    if (this.closed || connection === undefined || !connection.isOpen) {
      return Promise.resolve({ approved: false, offline: true, reason: 'Your tg-bridge app is not connected.' });
    }
    return connection.askConsent(request, timeoutMs);
  }

  /**
   * Disconnects a revoked device at once (close code {@link CloseCode.revoked}); calls in flight fail.
   * @param deviceId the device's id, or undefined for every device socket of the user.
   * @returns whether a socket was closed.
   */
  disconnect(userId: string, deviceId: string | undefined, reason: string): boolean {
    const connection = this.devices.get(userId);
    if (!connection || (deviceId !== undefined && connection.deviceId !== deviceId)) return false;
    this.evict(connection, CloseCode.revoked, reason, 'This device was revoked');
    this.options.logger.info({ userId }, 'device disconnected: revoked');
    return true;
  }

  /** Whether this hub holds a live device socket of `userId`. */
  holds(userId: string): boolean {
    const connection = this.devices.get(userId);
    return !this.closed && connection !== undefined && connection.isOpen;
  }

  /**
   * Closes the user's socket with {@link CloseCode.replaced} because the device connected again elsewhere
   * (another relay replica); calls in flight on it fail as after a local replacement.
   * @returns whether a socket was closed.
   */
  replaceElsewhere(userId: string): boolean {
    const connection = this.devices.get(userId);
    if (!connection) return false;
    this.evict(connection, CloseCode.replaced, REPLACED_REASON, 'The bridge app reconnected');
    this.options.logger.info({ userId }, 'device replaced by a connection on another replica');
    return true;
  }

  /** Unregisters and closes `connection`; its calls in flight fail with "`cause` while running ‹tool›. …". */
  private evict(connection: DeviceConnection, code: number, reason: string, cause: string): void {
    this.forget(connection);
    void connection.shutdown(code, reason, (tool) => `${cause} while running ${tool}. ${unknownOutcomeAdvice(tool)}`);
  }

  /**
   * Unregisters `connection` when it is still the user's current socket and tells the presence listener; a
   * socket already replaced by a newer one of the same user changes nothing.
   */
  private forget(connection: DeviceConnection): void {
    if (this.devices.get(connection.userId) !== connection) return;
    this.devices.delete(connection.userId);
    this.options.presence?.detached(connection.userId, connection.connectionId);
  }

  /** Devices connected now, one per user. */
  connectedDevices(): DeviceInfo[] {
    return [...this.devices.values()].map((c) => c.info());
  }

  /** Closes every device socket (code 1001) and fails their calls in flight. Resolves once sockets closed. */
  async close(): Promise<void> {
    this.closed = true;
    const connections = [...this.devices.values()];
    for (const c of connections) this.forget(c);
    await Promise.all(
      connections.map((c) =>
        c.shutdown(
          CloseCode.goingAway,
          'the relay is shutting down',
          (tool) => `The relay shut down while ${tool} was running. ${unknownOutcomeAdvice(tool)}`,
        ),
      ),
    );
  }
}

/** What the AI reads when the person's device is not connected (to any replica). */
export const OFFLINE_TEXT =
  "The person's Telegram bridge app is not connected to this relay. Ask them to start the tg-bridge app on " +
  'their computer (it connects by itself), then try again.';

/** A failed {@link CallOutcome} with `[code] message` as the AI reads it. */
export function failure(code: ToolErrorCode, message: string): CallOutcome {
  return { ok: false, error: toolErrorText(code, message) };
}

/** What the AI should do after a call whose outcome is unknown; writes must not be repeated blindly. */
export function unknownOutcomeAdvice(tool: string): string {
  const write = isToolName(tool) && TOOLS[tool].write;
  return write
    ? 'Whether it was performed is unknown: check the chat before trying again so nothing is sent twice.'
    : 'Try again once the bridge app is connected.';
}

/** One call waiting for its device's answer (here, or on another replica: replicas/replicaCallRouter.ts). */
export interface PendingCall {
  tool: string;
  startedAt: number;
  deadlineMs: number;
  extended: boolean;
  timer: NodeJS.Timeout;
  onProgress: ((message: string) => void) | undefined;
  finish(outcome: CallOutcome): void;
}

/** One device socket: frames in and out, keep-alive, and the calls in flight on it. */
class DeviceConnection {
  private readonly inFlight = new Map<string, PendingCall>();
  /** Random id of this socket, for presence records (see {@link DevicePresenceListener}). */
  readonly connectionId = randomUUID();
  private readonly connectedAt = Date.now();
  private readonly log: Logger;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly idleTimer: NodeJS.Timeout;
  private app: string | undefined;
  private version: string | undefined;
  private ended = false;
  private closedPromise: Promise<void>;

  private readonly consents = new Map<string, (outcome: ClientConsentOutcome) => void>();

  constructor(
    readonly userId: string,
    private readonly ws: WebSocket,
    private readonly options: DeviceHubOptions,
    readonly deviceId: string | undefined,
    private readonly onEnd: (c: DeviceConnection) => void,
  ) {
    this.log = options.logger.child({ userId });
    this.closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data) => this.onMessage(data));
    ws.on('ping', () => this.heard());
    ws.on('pong', () => this.heard());
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'device socket error'));
    ws.on('close', (code) => {
      this.log.info({ code }, 'device disconnected');
      this.end((tool) => `The bridge app disconnected while running ${tool}. ${unknownOutcomeAdvice(tool)}`);
    });
    this.pingTimer = setInterval(() => this.send({ type: 'ping', id: 'ping' }), options.pingIntervalMs);
    this.idleTimer = setTimeout(() => this.onIdle(), options.idleTimeoutMs);
  }

  get isOpen(): boolean {
    return !this.ended && this.ws.readyState === this.ws.OPEN;
  }

  info(): DeviceInfo {
    return {
      userId: this.userId,
      ...(this.deviceId !== undefined ? { deviceId: this.deviceId } : {}),
      ...(this.app !== undefined ? { app: this.app } : {}),
      ...(this.version !== undefined ? { version: this.version } : {}),
      connectedAt: this.connectedAt,
    };
  }

  forward(tool: string, args: Record<string, unknown>, options: ForwardOptions): Promise<CallOutcome> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.resolve({ ok: false, error: 'The MCP client cancelled the call.' });
    if (this.inFlight.size >= MAX_CALLS_IN_FLIGHT) {
      this.log.warn({ tool, inFlight: this.inFlight.size }, 'call refused: device overloaded');
      return Promise.resolve(
        failure(
          ToolErrorCode.overloaded,
          `The bridge app is already running ${MAX_CALLS_IN_FLIGHT} calls; wait for some to finish, then try again.`,
        ),
      );
    }
    const id = randomUUID();
    const deadlineMs = options.deadlineMs ?? this.options.callDeadlineMs;
    const startedAt = Date.now();
    return new Promise<CallOutcome>((resolve) => {
      const onAbort = () => {
        this.cancel(id, signal?.reason === MCP_CLIENT_GONE_REASON ? MCP_CLIENT_GONE_REASON : 'the MCP client cancelled the call');
        pending.finish({ ok: false, error: 'The MCP client cancelled the call.' });
      };
      const pending: PendingCall = {
        tool,
        startedAt,
        deadlineMs,
        extended: false,
        onProgress,
        timer: setTimeout(() => this.onDeadline(id), deadlineMs),
        finish: (outcome) => {
          if (this.inFlight.get(id) !== pending) return;
          this.inFlight.delete(id);
          clearTimeout(pending.timer);
          signal?.removeEventListener('abort', onAbort);
          this.log.debug(
            {
              callId: id,
              tool,
              ms: Date.now() - startedAt,
              outcome: outcome.ok ? 'ok' : (toolErrorCodeOf(outcome.error) ?? 'error'),
            },
            'call finished',
          );
          resolve(outcome);
        },
      };
      this.inFlight.set(id, pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.log.debug({ callId: id, tool }, 'call forwarded');
      const client = options.client ? options.client.slice(0, 100) : undefined;
      const oauthClient = options.oauthClient;
      this.send({ type: 'call', id, tool, args, ...(client ? { client } : {}), ...(oauthClient ? { oauth_client: oauthClient } : {}) }, (err) => {
        if (err) {
          pending.finish(
            failure(
              ToolErrorCode.deviceOffline,
              `The bridge app's connection broke before ${tool} reached it.`,
            ),
          );
        }
      });
    });
  }

  askConsent(request: ClientConsentRequest, timeoutMs: number): Promise<ClientConsentOutcome> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => finish({ approved: false, offline: false, reason: 'Nobody answered on your device in time.' }),
        timeoutMs,
      );
      const finish = (outcome: ClientConsentOutcome) => {
        if (!this.consents.delete(id)) return;
        clearTimeout(timer);
        resolve(outcome);
      };
      this.consents.set(id, finish);
      this.send(
        {
          type: 'client_consent',
          id,
          client_id: request.clientId,
          client_name: request.clientName.slice(0, 100),
          relay: request.relay.slice(0, 200),
        },
        (err) => {
          if (err) finish({ approved: false, offline: true, reason: 'Your tg-bridge app is not connected.' });
        },
      );
    });
  }

  /**
   * Closes the socket with `code`/`reason`, fails every call in flight with `failText(tool)` as
   * `device_offline`, and resolves once the socket closed (destroyed after CLOSE_GRACE_MS otherwise).
   */
  shutdown(code: number, reason: string, failText: (tool: string) => string): Promise<void> {
    this.end(failText);
    closeSocket(this.ws, code, reason);
    return this.closedPromise;
  }

  /** Stops timers, fails calls in flight, and unregisters this connection. Idempotent. */
  private end(failText: (tool: string) => string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.idleTimer);
    for (const pending of [...this.inFlight.values()]) {
      pending.finish(failure(ToolErrorCode.deviceOffline, failText(pending.tool)));
    }
    for (const finish of [...this.consents.values()]) {
      finish({ approved: false, offline: true, reason: 'Your tg-bridge app disconnected before answering.' });
    }
    this.onEnd(this);
  }

  private heard(): void {
    if (!this.ended) this.idleTimer.refresh();
  }

  private onIdle(): void {
    const seconds = Math.round(this.options.idleTimeoutMs / 1000);
    this.log.info({ idleMs: this.options.idleTimeoutMs }, 'device silent; closing');
    void this.shutdown(
      CloseCode.idle,
      `nothing heard for ${seconds} s`,
      (tool) => `The bridge app stopped answering while running ${tool}. ${unknownOutcomeAdvice(tool)}`,
    );
  }

  private onDeadline(id: string): void {
    const pending = this.inFlight.get(id);
    if (!pending) return;
    const ms = Date.now() - pending.startedAt;
    this.cancel(id, `deadline of ${formatSeconds(ms)} passed`);
    const write = isToolName(pending.tool) && TOOLS[pending.tool].write;
    pending.finish(
      failure(
        ToolErrorCode.deadlineExceeded,
        `The bridge app did not answer ${pending.tool} within ${formatSeconds(ms)}; the relay told it to cancel ` +
          `the call.${write ? ' Check the chat before trying again so nothing is sent twice.' : ' Try again later.'}`,
      ),
    );
  }

  private cancel(id: string, reason: string): void {
    this.log.debug({ callId: id, reason }, 'call cancelled');
    this.send({ type: 'cancel', id, reason });
  }

  private onMessage(data: WebSocket.RawData): void {
    this.heard();
    if (this.ended) return;
    // Binary messages are parsed like text: lenient towards devices that send JSON as binary.
    const parsed = parseFrame(data);
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'invalid') {
      this.log.warn({ error: parsed.error }, 'invalid frame from device ignored');
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'hello':
        this.app = frame.app;
        this.version = frame.version;
        if (frame.protocol !== PROTOCOL_NAME) {
          this.log.warn({ protocol: frame.protocol.slice(0, 50) }, 'device speaks another protocol version');
        }
        this.log.info({ app: frame.app, version: frame.version }, 'device said hello');
        this.send({
          type: 'welcome',
          protocol: PROTOCOL_NAME,
          limits: {
            call_deadline_ms: this.options.callDeadlineMs,
            approval_timeout_ms: this.options.approvalTimeoutMs,
            max_calls_in_flight: MAX_CALLS_IN_FLIGHT,
          },
        });
        return;
      case 'ping':
        this.send({ type: 'pong', id: 'ping' });
        return;
      case 'response':
        this.settle(frame.id, { ok: true, result: frame.result });
        return;
      case 'error':
        this.settle(frame.id, { ok: false, error: frame.error });
        return;
      case 'progress':
        this.onProgress(frame.id, frame.message);
        return;
      case 'client_decision': {
        const finish = this.consents.get(frame.id);
        if (!finish) return;
        if (frame.approved && frame.scope) finish({ approved: true, scope: frame.scope });
        else finish({ approved: false, offline: false, reason: frame.reason ?? 'You denied it on your device.' });
        return;
      }
      default:
        // pong only proves liveness; call/welcome/cancel travel relay→device and mean nothing here.
        return;
    }
  }

  private settle(id: string, outcome: CallOutcome): void {
    const pending = this.inFlight.get(id);
    if (!pending) {
      this.log.debug({ callId: id }, 'answer for a call no longer in flight ignored');
      return;
    }
    pending.finish(outcome);
  }

  private onProgress(id: string, message: string): void {
    const pending = this.inFlight.get(id);
    if (!pending) return;
    if (!pending.extended) {
      pending.extended = true;
      const deadlineAt = pending.startedAt + pending.deadlineMs + this.options.approvalTimeoutMs;
      clearTimeout(pending.timer);
      pending.timer = setTimeout(() => this.onDeadline(id), Math.max(0, deadlineAt - Date.now()));
      this.log.debug({ callId: id }, 'deadline extended for approval');
    }
    try {
      pending.onProgress?.(message);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'progress listener failed');
    }
  }

  private send(frame: Frame, callback?: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback?.(new Error('socket not open'));
      return;
    }
    this.ws.send(encodeFrame(frame), callback);
  }
}

/** `1500` → `"1.5 s"`, `30000` → `"30 s"`. */
function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** Starts the close handshake and destroys the socket if it has not finished after CLOSE_GRACE_MS. */
function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSED) return;
  ws.close(code, reason);
  const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
}

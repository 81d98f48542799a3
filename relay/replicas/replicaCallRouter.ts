/**
 * The call router of a relay replica (issue 11): a call for a device this replica holds goes to the local
 * {@link DeviceHub} exactly as in a single process; a call for a device held by another replica travels there
 * over the {@link ReplicaBus}, and its progress and result travel back. The holding replica runs it through
 * its own hub, so the one-device-per-user rule, the 100-in-flight cap (PROTOCOL.md), deadlines and their
 * extension on progress, overload answers and `cancel` frames behave exactly as for a local call, whichever
 * replica the MCP client reached.
 *
 * Exactly once, right device: each remote call has a fresh random call id; the waiting replica keeps it until
 * the first result and drops (and logs) any later or unknown one, and a result whose sender or user differ
 * from what the call was sent to. The holding replica checks that it still holds the user's device before
 * running a call, and answers `notHere` otherwise: the waiting replica then looks the device up once more.
 *
 * The waiting replica never waits forever: a `PUBLISH` that reaches nobody fails at once (`device_offline`),
 * its own backstop deadline (the call's deadline, extended like the hub's on progress, plus
 * {@link REMOTE_GRACE_MS}) covers a lost message, and while calls wait on a replica it checks that replica's
 * liveness key every heartbeat: a replica that died fails them as a disconnected device would.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ToolErrorCode } from '../../bridge/protocol/index.js';
import type { CallRouter } from '../callRouter.js';
import {
  type CallOutcome,
  type ClientConsentOutcome,
  type ClientConsentRequest,
  type DeviceHub,
  failure,
  type ForwardOptions,
  MCP_CLIENT_GONE_REASON,
  OFFLINE_TEXT,
  type PendingCall,
  unknownOutcomeAdvice,
} from '../deviceHub.js';
import type { DevicePresence } from './devicePresence.js';
import type { BroadcastMessage, DirectMessage, ReplicaBus } from './replicaBus.js';

/** Extra wait of the calling replica beyond the holder's own deadline, for the answer's trip back, in ms. */
export const REMOTE_GRACE_MS = 5_000;

/** Options of {@link ReplicaCallRouter}. Durations in ms. */
export interface ReplicaCallRouterOptions {
  hub: DeviceHub;
  bus: ReplicaBus;
  presence: DevicePresence;
  /** Default deadline of a call (the hub's). */
  callDeadlineMs: number;
  /** How much longer a call that reported progress may run (the hub's approval timeout). */
  approvalTimeoutMs: number;
  /** How often the replicas that calls wait on are checked for liveness; default 2 000. */
  livenessCheckMs?: number;
  logger: Logger;
}

/** A call or consent this replica waits on from another replica. */
interface Waiting {
  userId: string;
  /** The replica it was sent to. */
  holder: string;
  /** What the AI reads when the holder died mid-way. */
  lost(): void;
}

interface WaitingCall extends Waiting, PendingCall {
  kind: 'call';
  retried: boolean;
  /** Sends (or re-sends) the call to `holder`. */
  dispatch(): void;
}

interface WaitingConsent extends Waiting {
  kind: 'consent';
  finish(outcome: ClientConsentOutcome): void;
}

/** See the module comment. */
export class ReplicaCallRouter implements CallRouter {
  private readonly waiting = new Map<string, WaitingCall | WaitingConsent>();
  /** Calls this replica runs for others, by call id: how to cancel them. */
  private readonly serving = new Map<string, { from: string; controller: AbortController }>();
  private readonly livenessTimer: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(private readonly options: ReplicaCallRouterOptions) {
    this.log = options.logger.child({ replica: options.bus.replicaId });
    this.livenessTimer = setInterval(() => void this.checkLiveness(), options.livenessCheckMs ?? 2_000);
    this.livenessTimer.unref();
  }

  /** Runs one tool call on the user's device, wherever it is connected (see the module comment). Never rejects. */
  call(userId: string, tool: string, args: Record<string, unknown>, options: ForwardOptions = {}): Promise<CallOutcome> {
    const { hub } = this.options;
    if (hub.holds(userId)) return hub.call(userId, tool, args, options);
    return this.remoteCall(userId, tool, args, options).catch((err: unknown) => {
      this.log.error({ userId, tool, err: (err as Error).message }, 'remote call failed');
      return failure(ToolErrorCode.deviceOffline, `The relay could not reach the replica holding the bridge app (${REDIS_TROUBLE}).`);
    });
  }

  /** Asks the user's device about a new OAuth client, wherever it is connected. Never rejects. */
  askClientConsent(userId: string, request: ClientConsentRequest, timeoutMs: number): Promise<ClientConsentOutcome> {
    const { hub } = this.options;
    if (hub.holds(userId)) return hub.askClientConsent(userId, request, timeoutMs);
    return this.remoteConsent(userId, request, timeoutMs).catch((err: unknown) => {
      this.log.error({ userId, err: (err as Error).message }, 'remote consent failed');
      return { approved: false, offline: true, reason: `The relay could not reach your tg-bridge app (${REDIS_TROUBLE}).` };
    });
  }

  /**
   * Disconnects a revoked device here and tells every other replica to do the same.
   * @returns whether this replica closed a socket (another replica may close it too).
   */
  disconnectDevice(userId: string, deviceId: string | undefined, reason: string): boolean {
    const closed = this.options.hub.disconnect(userId, deviceId, reason);
    this.options.bus.broadcast({ kind: 'disconnect', userId, ...(deviceId !== undefined ? { deviceId } : {}), reason });
    return closed;
  }

  /** Handles a message addressed to this replica (wired to {@link ReplicaBus.onDirect}). */
  onDirect(message: DirectMessage): void {
    switch (message.kind) {
      case 'call':
        this.serveCall(message);
        return;
      case 'cancel': {
        const served = this.serving.get(message.callId);
        if (!served || served.from !== message.from) {
          this.log.debug({ callId: message.callId }, 'cancel for a call not running here ignored');
          return;
        }
        served.controller.abort(message.gone ? MCP_CLIENT_GONE_REASON : new Error('cancelled'));
        return;
      }
      case 'consent':
        this.serveConsent(message);
        return;
      case 'progress': {
        const waiting = this.waitingFor(message.callId, message.from, undefined, 'call');
        if (waiting?.kind === 'call') this.onProgress(message.callId, waiting, message.message);
        return;
      }
      case 'result': {
        const waiting = this.waitingFor(message.callId, message.from, message.userId, 'call');
        if (waiting?.kind !== 'call') return;
        if (message.notHere) void this.redirect(waiting, message.outcome);
        else waiting.finish(message.outcome);
        return;
      }
      case 'consent_result': {
        const waiting = this.waitingFor(message.callId, message.from, message.userId, 'consent');
        if (waiting?.kind === 'consent') waiting.finish(message.outcome);
        return;
      }
    }
  }

  /** Handles a broadcast about devices (wired to {@link ReplicaBus.onBroadcast}; session messages go elsewhere). */
  onBroadcast(message: BroadcastMessage): void {
    const { hub, presence } = this.options;
    if (message.kind === 'attached') {
      presence.forget(message.userId);
      hub.replaceElsewhere(message.userId);
    } else if (message.kind === 'disconnect') {
      hub.disconnect(message.userId, message.deviceId, message.reason);
    }
  }

  /** Number of remote calls and consents waiting for an answer now (for health output and tests). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Fails whatever still waits on other replicas and cancels calls served for them. */
  close(): void {
    clearInterval(this.livenessTimer);
    for (const w of [...this.waiting.values()]) {
      if (w.kind === 'call') w.finish(failure(ToolErrorCode.deviceOffline, `The relay shut down while ${w.tool} was running. ${unknownOutcomeAdvice(w.tool)}`));
      else w.finish({ approved: false, offline: true, reason: 'The relay shut down before your device answered.' });
    }
    for (const served of this.serving.values()) served.controller.abort(new Error('relay shutting down'));
  }

  private async remoteCall(
    userId: string,
    tool: string,
    args: Record<string, unknown>,
    options: ForwardOptions,
  ): Promise<CallOutcome> {
    const { hub, bus, presence } = this.options;
    const { signal } = options;
    if (signal?.aborted) return { ok: false, error: 'The MCP client cancelled the call.' };
    const holder = await presence.holder(userId);
    // Attached here while we looked: the entry is ours.
    if (hub.holds(userId)) return hub.call(userId, tool, args, options);
    if (holder === undefined || holder === bus.replicaId) return failure(ToolErrorCode.deviceOffline, OFFLINE_TEXT);
    const callId = randomUUID();
    const deadlineMs = options.deadlineMs ?? this.options.callDeadlineMs;
    const startedAt = Date.now();
    return new Promise<CallOutcome>((resolve) => {
      const onAbort = () => {
        const gone = signal?.reason === MCP_CLIENT_GONE_REASON;
        bus.send(waiting.holder, { kind: 'cancel', callId, gone }).catch(() => undefined);
        waiting.finish({ ok: false, error: 'The MCP client cancelled the call.' });
      };
      const waiting: WaitingCall = {
        kind: 'call',
        userId,
        holder,
        tool,
        startedAt,
        deadlineMs,
        extended: false,
        retried: false,
        onProgress: options.onProgress,
        timer: setTimeout(() => this.onBackstop(callId), deadlineMs + REMOTE_GRACE_MS),
        finish: (outcome) => {
          if (this.waiting.get(callId) !== waiting) return;
          this.waiting.delete(callId);
          clearTimeout(waiting.timer);
          signal?.removeEventListener('abort', onAbort);
          this.log.debug({ callId, tool, holder: waiting.holder, ms: Date.now() - startedAt, ok: outcome.ok }, 'remote call finished');
          resolve(outcome);
        },
        lost: () =>
          waiting.finish(
            failure(ToolErrorCode.deviceOffline, `The relay replica holding the bridge app stopped while running ${tool}. ${unknownOutcomeAdvice(tool)}`),
          ),
        dispatch: () => {
          const client = options.client ? options.client.slice(0, 100) : undefined;
          bus
            .send(waiting.holder, {
              kind: 'call',
              callId,
              userId,
              tool,
              args,
              deadlineMs,
              ...(client ? { client } : {}),
              ...(options.oauthClient ? { oauthClient: options.oauthClient } : {}),
            })
            .then(
              (receivers) => {
                // Nobody subscribed: that replica is gone and its presence entry not expired yet.
                if (receivers === 0) waiting.finish(failure(ToolErrorCode.deviceOffline, OFFLINE_TEXT));
              },
              (err: Error) => {
                this.log.warn({ callId, err: err.message }, 'sending a call to its replica failed');
                waiting.finish(failure(ToolErrorCode.deviceOffline, `The relay could not reach the replica holding the bridge app (${REDIS_TROUBLE}).`));
              },
            );
        },
      };
      this.waiting.set(callId, waiting);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.log.debug({ callId, tool, holder }, 'call sent to replica');
      waiting.dispatch();
    });
  }

  private async remoteConsent(userId: string, request: ClientConsentRequest, timeoutMs: number): Promise<ClientConsentOutcome> {
    const { hub, bus, presence } = this.options;
    const offline: ClientConsentOutcome = { approved: false, offline: true, reason: 'Your tg-bridge app is not connected.' };
    const holder = await presence.holder(userId);
    if (hub.holds(userId)) return hub.askClientConsent(userId, request, timeoutMs);
    if (holder === undefined || holder === bus.replicaId) return offline;
    const callId = randomUUID();
    return new Promise<ClientConsentOutcome>((resolve) => {
      const timer = setTimeout(
        () => waiting.finish({ approved: false, offline: false, reason: 'Nobody answered on your device in time.' }),
        timeoutMs + REMOTE_GRACE_MS,
      );
      const waiting: WaitingConsent = {
        kind: 'consent',
        userId,
        holder,
        finish: (outcome) => {
          if (this.waiting.get(callId) !== waiting) return;
          this.waiting.delete(callId);
          clearTimeout(timer);
          resolve(outcome);
        },
        lost: () => waiting.finish({ approved: false, offline: true, reason: 'Your tg-bridge app disconnected before answering.' }),
      };
      this.waiting.set(callId, waiting);
      bus
        .send(holder, {
          kind: 'consent',
          callId,
          userId,
          clientId: request.clientId,
          clientName: request.clientName.slice(0, 100),
          relay: request.relay.slice(0, 200),
          timeoutMs,
        })
        .then(
          (receivers) => {
            if (receivers === 0) waiting.finish(offline);
          },
          () => waiting.finish(offline),
        );
    });
  }

  /** Runs a call another replica sent for a device held here, and sends back its progress and result. */
  private serveCall(message: Extract<DirectMessage, { kind: 'call' }>): void {
    const { hub, bus } = this.options;
    const { callId, from, userId } = message;
    const reply = (m: Parameters<ReplicaBus['send']>[1]) =>
      bus.send(from, m).then(
        (receivers) => {
          if (receivers === 0) this.log.warn({ callId, to: from }, 'the replica waiting for this call is gone');
        },
        (err: Error) => this.log.warn({ callId, err: err.message }, 'answering a replica failed'),
      );
    if (this.serving.has(callId)) {
      this.log.warn({ callId, from }, 'a call id already running here was sent again; ignored');
      return;
    }
    if (!hub.holds(userId)) {
      void reply({ kind: 'result', callId, userId, outcome: failure(ToolErrorCode.deviceOffline, OFFLINE_TEXT), notHere: true });
      return;
    }
    const controller = new AbortController();
    this.serving.set(callId, { from, controller });
    void hub
      .call(userId, message.tool, message.args, {
        deadlineMs: message.deadlineMs,
        signal: controller.signal,
        onProgress: (text) => void reply({ kind: 'progress', callId, message: text }),
        ...(message.client !== undefined ? { client: message.client } : {}),
        ...(message.oauthClient !== undefined ? { oauthClient: message.oauthClient } : {}),
      })
      .then((outcome) => {
        this.serving.delete(callId);
        return reply({ kind: 'result', callId, userId, outcome });
      });
  }

  /** Asks a device held here about an OAuth client for another replica, and sends back the answer. */
  private serveConsent(message: Extract<DirectMessage, { kind: 'consent' }>): void {
    const { hub, bus } = this.options;
    const { callId, from, userId } = message;
    void hub
      .askClientConsent(userId, { clientId: message.clientId, clientName: message.clientName, relay: message.relay }, message.timeoutMs)
      .then((outcome) => bus.send(from, { kind: 'consent_result', callId, userId, outcome }))
      .catch((err: Error) => this.log.warn({ callId, err: err.message }, 'answering a consent failed'));
  }

  /**
   * The waiting entry for an answer, or undefined (logged) when the call id is unknown (answered already,
   * timed out) or the answer comes from another replica or user than the call went to.
   */
  private waitingFor(callId: string, from: string, userId: string | undefined, kind: 'call' | 'consent') {
    const waiting = this.waiting.get(callId);
    if (!waiting || waiting.kind !== kind) {
      this.log.info({ callId, from, kind }, 'answer for an unknown call id dropped');
      return undefined;
    }
    if (waiting.holder !== from || (userId !== undefined && waiting.userId !== userId)) {
      this.log.warn({ callId, from, expected: waiting.holder }, 'misrouted answer dropped');
      return undefined;
    }
    return waiting;
  }

  /** Progress extends the backstop once, like the hub's deadline (start + deadline + approval timeout). */
  private onProgress(callId: string, waiting: WaitingCall, text: string): void {
    if (!waiting.extended) {
      waiting.extended = true;
      clearTimeout(waiting.timer);
      const at = waiting.startedAt + waiting.deadlineMs + this.options.approvalTimeoutMs + REMOTE_GRACE_MS;
      waiting.timer = setTimeout(() => this.onBackstop(callId), Math.max(0, at - Date.now()));
    }
    try {
      waiting.onProgress?.(text);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'progress listener failed');
    }
  }

  /** The holder did not hold the device any more: look it up once more and send the call there, or fail. */
  private async redirect(waiting: WaitingCall, outcome: CallOutcome): Promise<void> {
    const { presence, bus } = this.options;
    let holder: string | undefined;
    try {
      holder = waiting.retried ? undefined : await presence.holder(waiting.userId);
    } catch {
      holder = undefined;
    }
    if (holder === undefined || holder === waiting.holder || holder === bus.replicaId) {
      waiting.finish(outcome);
      return;
    }
    waiting.retried = true;
    waiting.holder = holder;
    waiting.dispatch();
  }

  /** No answer within the backstop: tell the holder to cancel and answer as the hub would at its deadline. */
  private onBackstop(callId: string): void {
    const waiting = this.waiting.get(callId);
    if (waiting?.kind !== 'call') return;
    this.options.bus.send(waiting.holder, { kind: 'cancel', callId, gone: false }).catch(() => undefined);
    const seconds = Math.round((Date.now() - waiting.startedAt) / 1000);
    waiting.finish(
      failure(
        ToolErrorCode.deadlineExceeded,
        `No answer to ${waiting.tool} arrived within ${seconds} s; the relay told the bridge app to cancel it. ${unknownOutcomeAdvice(waiting.tool)}`,
      ),
    );
  }

  /** Fails what waits on replicas whose liveness key expired (they died without answering). */
  private async checkLiveness(): Promise<void> {
    if (this.waiting.size === 0) return;
    const holders = new Set([...this.waiting.values()].map((w) => w.holder));
    for (const holder of holders) {
      let alive = true;
      try {
        alive = await this.options.bus.isAlive(holder);
      } catch {
        continue; // Redis unreachable: the backstop deadlines still hold.
      }
      if (alive) continue;
      this.log.warn({ holder }, 'replica holding devices is gone; failing its calls');
      for (const w of [...this.waiting.values()]) if (w.holder === holder) w.lost();
    }
  }
}

/** Said in answers when Redis itself failed. */
const REDIS_TROUBLE = 'the relay\'s Redis is unreachable; try again in a moment';

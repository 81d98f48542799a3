/**
 * The on-device engine: one Telegram gateway, one audit chain, one approval queue, and the tool registry in
 * front of them. Front doors (the relay link, later the local MCP server and the UI) hand calls to
 * {@link BridgeEngine.call}.
 */
import { createHash } from 'node:crypto';
import type { AuditChain } from './audit/auditChain.js';
import { type Clock, systemClock } from './clock.js';
import { DownloadConfirmations } from './media/downloadConfirmations.js';
import type { MediaOptions } from './media/mediaSource.js';
import type { ApprovalQueue } from './policy/approvals.js';
import { WriteRateLimiter } from './policy/rateLimits.js';
import { StandingRules } from './policy/standingRules.js';
import { isToolName, type RelayLimits, TOOLS } from './protocol/index.js';
import type { TelegramGateway } from './telegram/gateway.js';
import { CallAudit } from './tools/callAudit.js';
import type { ToolContext } from './tools/context.js';
import { auditableTool, runTool } from './tools/registry.js';

/** Default time a write waits for the person, in ms (issue: default 120 s). */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 120_000;
/**
 * Approval ceiling on a relay that sent no `welcome`, in ms: it will give up on the call at 30 s
 * (PROTOCOL.md), so the approval must end first.
 */
export const PLAIN_RELAY_APPROVAL_TIMEOUT_MS = 25_000;
/** How many finished write results are remembered for idempotent replays (by call id). */
const REMEMBERED_WRITES = 1_000;

/** Options of {@link BridgeEngine}. */
export interface BridgeEngineOptions {
  gateway: TelegramGateway;
  audit: AuditChain;
  approvals: ApprovalQueue;
  clock?: Clock;
  /** How long a write waits for the person, in ms (default 120 000). */
  approvalTimeoutMs?: number;
  /** Write limits (default: 30/min per account, 20/h per peer, on `clock`). */
  limiter?: WriteRateLimiter;
  /** Standing rules (default: none, in memory). */
  rules?: StandingRules;
  /**
   * The person's media settings (issue 5 "Media safety"): `mediaDir`, the only folder `send_media` may read
   * `file_path` from (absent = file paths refused); `allowFileUrl` (default false). See {@link MediaOptions}.
   */
  media?: MediaOptions;
}

/** One call as a front door hands it over. */
export interface EngineCall {
  callId: string;
  tool: string;
  args: unknown;
  client?: string;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  /** Upper bound on this call's approval wait, in ms (a relay's deadline); absent = the engine's own timeout. */
  approvalCeilingMs?: number;
}

/** Runs tool calls against Telegram under the device's policy. */
export class BridgeEngine {
  readonly gateway: TelegramGateway;
  readonly audit: AuditChain;
  readonly approvals: ApprovalQueue;
  private readonly clock: Clock;
  private readonly limiter: WriteRateLimiter;
  /** The person's standing rules; created and revoked only on the device. */
  readonly rules: StandingRules;
  private readonly approvalTimeoutMs: number;
  private readonly media: MediaOptions;
  private readonly downloads: DownloadConfirmations;
  /** Write calls by call id, running or finished: an approved write happens at most once (custody rule 3). */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(options: BridgeEngineOptions) {
    this.gateway = options.gateway;
    this.audit = options.audit;
    this.approvals = options.approvals;
    this.clock = options.clock ?? systemClock;
    this.limiter = options.limiter ?? new WriteRateLimiter(() => this.clock.now());
    this.rules = options.rules ?? new StandingRules(this.clock);
    this.approvalTimeoutMs = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    this.media = { ...options.media };
    this.downloads = new DownloadConfirmations(() => this.clock.now());
  }

  /**
   * Approval ceiling for calls from a relay, in ms: what its `welcome` allows, or 25 s for a plain relay that
   * sent none (it gives up on a call at 30 s, PROTOCOL.md).
   */
  static relayApprovalCeilingMs(limits: RelayLimits | null): number {
    return limits ? limits.approval_timeout_ms : PLAIN_RELAY_APPROVAL_TIMEOUT_MS;
  }

  /**
   * Runs one call. Write tools are idempotent by call id: a repeated id gets the first run's outcome.
   * @throws ToolError (see runTool).
   */
  call(call: EngineCall): Promise<unknown> {
    const callId = auditableCallId(call.callId);
    const ctx: ToolContext = {
      callId,
      ...(call.client ? { client: call.client } : {}),
      signal: call.signal ?? new AbortController().signal,
      progress: call.progress ?? (() => {}),
      gateway: this.gateway,
      audit: new CallAudit(this.audit, callId, auditableTool(call.tool)),
      approvals: this.approvals,
      limiter: this.limiter,
      rules: this.rules,
      clock: this.clock,
      media: this.media,
      downloads: this.downloads,
      approvalTimeoutMs: () => this.approvalWaitMs(call.approvalCeilingMs),
    };
    if (!isToolName(call.tool) || !TOOLS[call.tool].write) return runTool(call.tool, call.args, ctx);
    const previous = this.writes.get(callId);
    if (previous) return previous;
    const run = runTool(call.tool, call.args, ctx);
    this.writes.set(callId, run);
    if (this.writes.size > REMEMBERED_WRITES) this.writes.delete(this.writes.keys().next().value!);
    return run;
  }

  /**
   * How long one approval may wait, in ms: the engine's timeout, or — under a relay's deadline — that deadline
   * minus the undo window (the whole decision, undo window included, must end before the relay gives up), at
   * least 1 s.
   */
  private approvalWaitMs(ceilingMs: number | undefined): number {
    if (ceilingMs === undefined) return this.approvalTimeoutMs;
    return Math.min(this.approvalTimeoutMs, Math.max(1_000, ceilingMs - this.approvals.undoMs));
  }

  /** Withdraws pending approvals and closes the gateway and audit chain. */
  async close(reason = 'the bridge is shutting down'): Promise<void> {
    this.approvals.cancelAll(reason);
    await this.gateway.close();
    await this.audit.close();
  }
}

/**
 * Call ids come from the relay (any string up to 128 chars); the audit chain accepts `[A-Za-z0-9._:-]` only.
 * Others are replaced by a stable digest, so idempotency and audit correlation still hold.
 */
export function auditableCallId(id: string): string {
  if (/^[A-Za-z0-9._:-]{1,128}$/.test(id)) return id;
  return `sha256:${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/**
 * The audit of one call, with one owner (issue 8 "Shape"): every entry a call adds to the chain goes through its
 * recorder, which knows what it wrote. The registry asks it whether the call already has its `result` entry
 * instead of stamping markers on thrown errors.
 */
import type {
  AppendOptions,
  AuditChain,
  AuditDecidedBy,
  AuditEntry,
  AuditPhase,
  AuditStatus,
} from '../audit/auditChain.js';

/** One entry as a call records it: the call id, tool and peer are the recorder's. */
export interface CallAuditEntry {
  phase: AuditPhase;
  status: AuditStatus;
  decidedBy?: AuditDecidedBy;
  /** A short code (`flood_wait`), never free text: see the audit chain's `error` field. */
  error?: string;
}

/** The per-call audit recorder handed to tools in their context. */
export class CallAudit {
  readonly #chain: AuditChain;
  readonly #callId: string;
  readonly #tool: string;
  #peer = '';
  readonly #written: Array<Pick<AuditEntry, 'seq' | 'phase' | 'status' | 'decided_by'>> = [];

  /**
   * @param callId an audit-safe call id (see `auditableCallId`).
   * @param tool the tool name as it may be recorded (`unknown` for a name that is not one).
   */
  constructor(chain: AuditChain, callId: string, tool: string) {
    this.#chain = chain;
    this.#callId = callId;
    this.#tool = tool;
  }

  /** Names the peer the call is about (a canonical ref or a raw peer argument); stored as the chain's keyed tag. */
  setPeer(ref: string): void {
    this.#peer = ref ? this.#chain.peerTag(ref) : '';
  }

  /**
   * Appends one entry for this call.
   * @param opts.durable false for an entry the next durable one may cover (a read's intent); default true.
   * @throws AuditInputError / AuditChainError from the chain (nothing is remembered then).
   */
  async record(entry: CallAuditEntry, opts: AppendOptions = {}): Promise<AuditEntry> {
    const written = await this.#chain.append({
      call_id: this.#callId,
      tool: this.#tool,
      peer: this.#peer,
      phase: entry.phase,
      status: entry.status,
      decided_by: entry.decidedBy ?? '—',
      ...(entry.error === undefined ? {} : { error: entry.error }),
    }, opts);
    this.#written.push({
      seq: written.seq,
      phase: written.phase,
      status: written.status,
      decided_by: written.decided_by,
    });
    return written;
  }

  /** True once this call has its `result` entry (the end of its record). */
  get hasResult(): boolean {
    return this.#written.some((e) => e.phase === 'result');
  }

  /** What this recorder wrote, in order (seq, phase, status, decided_by). */
  written(): Array<Pick<AuditEntry, 'seq' | 'phase' | 'status' | 'decided_by'>> {
    return this.#written.map((e) => ({ ...e }));
  }
}

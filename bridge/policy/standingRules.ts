/**
 * Standing rules (issue 5 "Approvals"): the person may let one tool write to one chat without asking, for a
 * limited time ("always allow send_message to this chat for 1 hour"). Off by default; created only on the
 * device (the terminal prompt, the popup, the UI — never from a relay frame); listed and revocable. A write
 * a rule allows is audited with `decided_by: rule`. Rules match the real resolved peer id, never a name.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../clock.js';

/** Longest a rule may last, in ms (24 h): a forgotten rule must not become a permanent hole. */
export const MAX_RULE_DURATION_MS = 24 * 3_600_000;
/** The duration the prompts offer, in ms (1 h). */
export const DEFAULT_RULE_DURATION_MS = 3_600_000;

/** One standing rule. Times in ms since the epoch. */
export interface StandingRule {
  id: string;
  /** Tool the rule allows, e.g. `send_message`. */
  tool: string;
  /** Canonical resolved peer (`user:123`). */
  peerRef: string;
  /** Title shown when listing the rule (display only; never used for matching). */
  peerTitle: string;
  createdAt: number;
  expiresAt: number;
}

interface RuleEvents {
  changed: [rules: StandingRule[]];
}

/** The person's standing rules, in memory (they end with the engine process, which is the safe default). */
export class StandingRules extends EventEmitter<RuleEvents> {
  private readonly rules = new Map<string, StandingRule>();

  constructor(private readonly clock: Clock = systemClock) {
    super();
  }

  /**
   * Adds a rule.
   * @param durationMs 1 s … 24 h.
   * @throws RangeError for a duration outside that range; Error for an empty tool or peer.
   */
  add(input: { tool: string; peerRef: string; peerTitle: string; durationMs: number }): StandingRule {
    if (!input.tool || !input.peerRef) throw new Error('a standing rule needs a tool and a peer');
    if (!(input.durationMs >= 1_000 && input.durationMs <= MAX_RULE_DURATION_MS)) {
      throw new RangeError('a standing rule lasts between 1 second and 24 hours');
    }
    const now = this.clock.now();
    const rule: StandingRule = {
      id: randomUUID(),
      tool: input.tool,
      peerRef: input.peerRef,
      peerTitle: input.peerTitle.slice(0, 100),
      createdAt: now,
      expiresAt: now + input.durationMs,
    };
    this.rules.set(rule.id, rule);
    this.emit('changed', this.list());
    return rule;
  }

  /** Rules still in force, soonest expiry first. */
  list(): StandingRule[] {
    this.prune();
    return [...this.rules.values()].sort((a, b) => a.expiresAt - b.expiresAt).map((r) => ({ ...r }));
  }

  /** Revokes a rule. @returns false when no such rule is in force. */
  revoke(id: string): boolean {
    const had = this.rules.delete(id);
    if (had) this.emit('changed', this.list());
    return had;
  }

  /** Revokes every rule. */
  revokeAll(): void {
    if (this.rules.size === 0) return;
    this.rules.clear();
    this.emit('changed', []);
  }

  /** The rule allowing `tool` on `peerRef` now, if any. */
  match(tool: string, peerRef: string): StandingRule | null {
    this.prune();
    for (const r of this.rules.values()) if (r.tool === tool && r.peerRef === peerRef) return { ...r };
    return null;
  }

  private prune(): void {
    const now = this.clock.now();
    let changed = false;
    for (const [id, r] of this.rules) {
      if (r.expiresAt <= now) {
        this.rules.delete(id);
        changed = true;
      }
    }
    if (changed) this.emit('changed', [...this.rules.values()]);
  }
}

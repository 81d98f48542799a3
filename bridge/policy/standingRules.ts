/**
 * Standing rules (issue 5 "Approvals", issue 8 §4): the person may let one kind of write happen without asking,
 * for a limited time ("send messages to ‹Alice› without asking, for 1 hour"). Off by default; created only on the
 * device (the terminal prompt, the popup, the UI — never from a relay frame); listed and revocable. A write
 * a rule allows is audited with `decided_by: rule`.
 *
 * A rule is keyed on everything that changes what happens ({@link StandingRuleKey}): the tool, the real resolved
 * peer id (never a name), for forwards also the source chat, for deletes whether they delete for everyone —
 * and no rule may ever allow deleting for everyone.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../clock.js';

/** Longest a rule may last, in ms (24 h): a forgotten rule must not become a permanent hole. */
export const MAX_RULE_DURATION_MS = 24 * 3_600_000;
/** The duration the prompts offer, in ms (1 h). */
export const DEFAULT_RULE_DURATION_MS = 3_600_000;

/**
 * What a rule is keyed on (issue 8 §4). Two keys match only when every field is equal (an absent field equals
 * only an absent field): a rule for forwards from chat A to B does not cover forwards from C to B.
 */
export interface StandingRuleKey {
  /** Tool the rule allows, e.g. `send_message`. */
  tool: string;
  /** Canonical resolved peer where the write lands (`user:123`); for forwards the destination. */
  peerRef: string;
  /** forward_messages: the chat the messages come from. */
  sourceRef?: string;
  /** delete_messages: whether the delete is for everyone (always false in a rule: see {@link StandingRules.add}). */
  revoke?: boolean;
}

/** One standing rule. Times in ms since the epoch. */
export interface StandingRule extends StandingRuleKey {
  id: string;
  /** Title shown when listing the rule (display only; never used for matching). */
  peerTitle: string;
  /** The rule's scope in words, as the person read it before making it (display only). */
  scope?: string;
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
   * @param input.durationMs 1 s … 24 h.
   * @throws RangeError for a duration outside that range; Error for an empty tool or peer, and for a rule
   *   allowing deletes for everyone (issue 8 §4: those always ask).
   */
  add(input: StandingRuleKey & { peerTitle: string; durationMs: number; scope?: string }): StandingRule {
    if (!input.tool || !input.peerRef) throw new Error('a standing rule needs a tool and a peer');
    if (input.revoke === true) throw new Error('no standing rule may allow deleting messages for everyone');
    if (!(input.durationMs >= 1_000 && input.durationMs <= MAX_RULE_DURATION_MS)) {
      throw new RangeError('a standing rule lasts between 1 second and 24 hours');
    }
    const now = this.clock.now();
    const rule: StandingRule = {
      id: randomUUID(),
      tool: input.tool,
      peerRef: input.peerRef,
      ...(input.sourceRef === undefined ? {} : { sourceRef: input.sourceRef }),
      ...(input.revoke === undefined ? {} : { revoke: input.revoke }),
      peerTitle: input.peerTitle.slice(0, 100),
      ...(input.scope === undefined ? {} : { scope: input.scope.slice(0, 300) }),
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

  /** The rule in force now whose key equals `key` in every field, if any; never one for deleting for everyone. */
  match(key: StandingRuleKey): StandingRule | null {
    if (key.revoke === true) return null;
    this.prune();
    for (const r of this.rules.values()) {
      if (r.tool === key.tool && r.peerRef === key.peerRef && r.sourceRef === key.sourceRef && r.revoke === key.revoke)
        return { ...r };
    }
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

/** Approval requests for tests, built the way the write gate builds them (buildApprovalView on a write). */
import { buildApprovalView, type ApprovalFacts, type PendingWrite, ruleKeyOf } from '../../../bridge/policy/approvalView.js';
import type { ApprovalRequest } from '../../../bridge/policy/approvals.js';
import type { GatewayMessage, ResolvedPeer } from '../../../bridge/telegram/gateway.js';

/** A user peer: Alice Example (@alice_demo), id 1001. */
export const alice: ResolvedPeer = {
  ref: 'user:1001',
  kind: 'user',
  id: '1001',
  title: 'Alice Example',
  username: 'alice_demo',
};

/** A basic group, id 77. */
export const team: ResolvedPeer = { ref: 'chat:77', kind: 'chat', id: '77', title: 'Team', username: null };

/** One message of `peer`. */
export function message(peer: ResolvedPeer, id: number, text: string, from = 'Priya', out = false): GatewayMessage {
  return { id, peer, fromId: out ? null : 'user:2', fromName: from, text, date: 0, out };
}

/** The request the gate would put to the person for `write`. */
export function requestFor(
  callId: string,
  write: PendingWrite,
  opts: { client?: string; facts?: ApprovalFacts } = {},
): ApprovalRequest {
  const facts = opts.facts ?? { firstContact: false };
  const view = buildApprovalView(write, facts, opts.client === undefined ? {} : { client: opts.client });
  const e = write.effect;
  const text = e.kind === 'send_message' || e.kind === 'edit_message' ? e.text : '';
  return { callId, view, text, ...(view.rule.allowed ? { rule: ruleKeyOf(write) } : {}) };
}

/** A send_message request to Alice, asked by `client` (default `claude`). */
export function sendRequest(callId: string, text = 'See you at 7', client = 'claude'): ApprovalRequest {
  return requestFor(callId, { tool: 'send_message', peer: alice, effect: { kind: 'send_message', text } }, { client });
}

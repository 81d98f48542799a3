/** Waiting on an approval queue's events in tests: the next request shown, and how one request ended. */
import type { ApprovalOutcome, ApprovalQueue, PendingApproval } from '../../bridge/policy/approvals.js';

/** Resolves with the next request the queue shows the person. */
export function nextApproval(queue: ApprovalQueue): Promise<PendingApproval> {
  return new Promise((resolve) => {
    const on = (p: PendingApproval) => {
      queue.off('added', on);
      resolve(p);
    };
    queue.on('added', on);
  });
}

/** Resolves with how request `callId` ended (approved, denied, expired, cancelled). */
export function outcomeOf(queue: ApprovalQueue, callId: string): Promise<ApprovalOutcome> {
  return new Promise((resolve) => {
    const on = (id: string, outcome: ApprovalOutcome) => {
      if (id !== callId) return;
      queue.off('decided', on);
      resolve(outcome);
    };
    queue.on('decided', on);
  });
}

/**
 * The terminal approval prompt (ApprovalPrompt port, headless): shows each pending write with its full text,
 * the resolved peer and the time left, and takes approve / deny (with a reason) / edit from the keyboard.
 */
import { createInterface, type Interface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { ApprovalQueue, PendingApproval } from '../policy/approvals.js';
import { DEFAULT_RULE_DURATION_MS, type StandingRules } from '../policy/standingRules.js';

/** Options of {@link attachTerminalApprovals}. */
export interface TerminalApprovalsOptions {
  input?: Readable;
  output?: Writable;
  /** Current time in ms (for "time left"); default Date.now. */
  now?: () => number;
  /** When given, the prompt offers "[a]lways: allow this tool to this chat for 1 hour". */
  rules?: StandingRules;
}

/**
 * Answers the queue's pending approvals at a terminal, one at a time, oldest first.
 * @returns a function that detaches the prompt (pending approvals stay pending).
 */
export function attachTerminalApprovals(
  queue: ApprovalQueue,
  options: TerminalApprovalsOptions = {},
): () => void {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const now = options.now ?? Date.now;
  const waiting: PendingApproval[] = [];
  let current: { callId: string; abort: AbortController; answering: boolean } | null = null;
  let rl: Interface | null = null;
  let detached = false;
  let inputClosed = false;

  const write = (s: string) => output.write(s);
  const next = () => {
    if (current || detached || inputClosed) return;
    const item = waiting.shift();
    if (!item) return;
    if (!queue.pending().some((p) => p.callId === item.callId)) {
      next();
      return;
    }
    const abort = new AbortController();
    current = { callId: item.callId, abort, answering: false };
    void ask(item, abort.signal).finally(() => {
      current = null;
      next();
    });
  };

  const ask = async (item: PendingApproval, signal: AbortSignal) => {
    if (!rl) {
      rl = createInterface({ input, output, terminal: false });
      rl.once('close', () => {
        inputClosed = true;
        if (!detached) {
          write('\n  (input closed: approvals can no longer be answered in this terminal; pending ones will expire)\n');
        }
      });
    }
    const lines = rl;
    // Our own decision fires 'decided' synchronously; don't report it as "answered elsewhere".
    const decide = <T>(fn: () => T): T => {
      if (current) current.answering = true;
      try {
        return fn();
      } finally {
        if (current) current.answering = false;
      }
    };
    write(renderApproval(item, now()));
    try {
      for (;;) {
        const canEdit = item.editable !== false;
        const question = `Approve? [y]es / [n]o${canEdit ? ' / [e]dit' : ''}${
          options.rules ? ' / [a]lways for this chat (1 h)' : ''
        }: `;
        const answer = (await lines.question(question, { signal })).trim().toLowerCase();
        if (options.rules && (answer === 'a' || answer === 'always')) {
          options.rules.add({
            tool: item.tool,
            peerRef: item.peer.ref,
            peerTitle: item.peer.title,
            durationMs: DEFAULT_RULE_DURATION_MS,
          });
          decide(() => queue.approve(item.callId, { by: 'person' }));
          write(`  → approved; ${item.tool} to this chat is allowed without asking for 1 hour\n\n`);
          return;
        }
        if (answer === 'y' || answer === 'yes') {
          decide(() => queue.approve(item.callId, { by: 'person' }));
          write('  → approved\n\n');
          return;
        }
        if (answer === 'n' || answer === 'no') {
          const reason = (
            await lines.question('Reason for the AI (optional, Enter to skip): ', { signal })
          ).trim();
          decide(() => queue.deny(item.callId, reason || undefined));
          write('  → denied\n\n');
          return;
        }
        if (canEdit && (answer === 'e' || answer === 'edit')) {
          const text = (await lines.question('New text (one line): ', { signal })).trim();
          if (!text) {
            write('  (empty text; nothing changed)\n');
            continue;
          }
          if (decide(() => queue.approve(item.callId, { text, by: 'person' }))) {
            write('  → approved with your edit\n\n');
            return;
          }
          write('  (that text cannot be sent: 1 to 4096 characters)\n');
          continue;
        }
        const keys = ['y', 'n', ...(canEdit ? ['e'] : []), ...(options.rules ? ['a'] : [])];
        write(`  Please type ${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}.\n`);
      }
    } catch (err) {
      // Decided elsewhere (expired, cancelled, answered in another window), or nobody can type here any more.
      if (signal.aborted || inputClosed) return;
      throw err;
    }
  };

  const onAdded = (p: PendingApproval) => {
    waiting.push(p);
    next();
  };
  const onSettled = (callId: string, why: string) => {
    const i = waiting.findIndex((p) => p.callId === callId);
    if (i >= 0) waiting.splice(i, 1);
    if (current?.callId === callId && !current.answering && !current.abort.signal.aborted) {
      current.abort.abort();
      write(`\n  → ${why}\n\n`);
    }
  };
  const onDecided = (callId: string, outcome: { status: string }) => {
    if (outcome.status === 'expired') onSettled(callId, 'expired: no answer in time, nothing was sent');
    else if (outcome.status === 'cancelled')
      onSettled(callId, 'withdrawn by the relay or the AI; nothing was sent');
    else onSettled(callId, `answered elsewhere (${outcome.status})`);
  };
  queue.on('added', onAdded);
  const onExpired = (callId: string) => onSettled(callId, 'expired: no answer in time, nothing was sent');
  queue.on('decided', onDecided);
  queue.on('expired', onExpired);
  for (const p of queue.pending()) onAdded(p);
  return () => {
    detached = true;
    queue.off('added', onAdded);
    queue.off('decided', onDecided);
    queue.off('expired', onExpired);
    current?.abort.abort();
    rl?.close();
  };
}

/** Renders one pending approval as a terminal block: tool, peer (title, @username, id), client, text, time left. */
export function renderApproval(p: PendingApproval, nowMs: number): string {
  const secondsLeft = Math.max(0, Math.round((p.expiresAt - nowMs) / 1000));
  const who = [p.peer.title, p.peer.username ? `@${p.peer.username}` : null, p.peer.ref]
    .filter(Boolean)
    .join(' · ');
  const lines = [
    '',
    `┌─ ${p.tool} is waiting for your approval`,
    `│ to:      ${who}`,
    ...(p.client ? [`│ asked by: ${p.client}`] : []),
    `│ time left: ${secondsLeft} s`,
    '│ text:',
    ...p.text.split('\n').map((l) => `│   ${l}`),
    ...(p.renderedText !== undefined
      ? [`│ as Telegram will show it (${p.textFormat ?? 'formatted'}):`, ...p.renderedText.split('\n').map((l) => `│   ${l}`)]
      : []),
    '└─',
  ];
  return `${lines.join('\n')}\n`;
}

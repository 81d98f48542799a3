/**
 * The terminal approval prompt (ApprovalPrompt port, headless; issue 8 §1–§2): shows each pending write from its
 * approval view only — effect, flags, peer, the text exactly as sent, time left, undo window, the exact scope of
 * "always" — and takes approve / deny (with a reason) / edit / always, then undo during the undo window.
 *
 * The person approves what they saw: when the request on screen changes (withdrawn, expired, answered, another
 * takes its place) input is ignored for 1 s and the prompt says so; a line whose first key was typed before
 * that is discarded, never applied to the new request. Every string is escaped again before it is written
 * (`visibleText`), so no control byte from outside reaches the terminal even from a hand-made view.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { type Clock, systemClock } from '../clock.js';
import type { ApprovalOutcome, ApprovalQueue, HeldApproval, PendingApproval } from '../policy/approvals.js';
import type { StandingRules } from '../policy/standingRules.js';
import {
  APPROVAL_INPUT_GUARD_MS,
  type ApprovalMessage,
  type ApprovalPeer,
  type ApprovalView,
} from '../protocol/approvalView.js';
import { visibleText } from '../protocol/visibleText.js';
import { describeEntities, renderText } from '../telegram/formatting.js';
import { formatSize } from '../tools/sendMedia.js';

/** How long input is ignored after the request on screen changed, in ms (issue 8 §2; shared by all surfaces). */
export const INPUT_GUARD_MS = APPROVAL_INPUT_GUARD_MS;

/** Options of {@link attachTerminalApprovals}. */
export interface TerminalApprovalsOptions {
  input?: Readable;
  output?: Writable;
  /** Time and timers (time left, the input guard, the undo countdown); default the system clock. */
  clock?: Clock;
  /** When given, the prompt offers "[a]lways" with the exact scope the view states (when one may be made). */
  rules?: StandingRules;
  /**
   * On a terminal (`input.isTTY`), keys are read one by one (raw mode, echoed here) so a line's first key has its
   * own time; Ctrl-C then calls this (default: send SIGINT to this process, as the terminal would have).
   */
  onInterrupt?: () => void;
}

type Screen =
  | {
      kind: 'ask';
      item: PendingApproval;
      shownAt: number;
      guardUntil: number;
      step: 'choice' | 'reason' | 'edit' | 'confirmEdit';
      /** The person's edit of a formatted text, shown rendered and waiting for their yes. */
      edit?: string;
    }
  | { kind: 'hold'; callId: string; sendsAt: number; timer: unknown };

/**
 * Answers the queue's pending approvals at a terminal, one at a time, oldest first.
 * @returns a function that detaches the prompt (pending approvals stay pending, held ones keep their window).
 */
export function attachTerminalApprovals(queue: ApprovalQueue, options: TerminalApprovalsOptions = {}): () => void {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const clock = options.clock ?? systemClock;
  const rules = options.rules;
  const waiting: string[] = [];
  let screen: Screen | null = null;
  /** When the last request left the screen (ms), for the input guard. */
  let leftAt = Number.NEGATIVE_INFINITY;
  let detached = false;
  let inputClosed = false;
  /** Set while this prompt itself decides, so its own decision is not reported as "answered elsewhere". */
  let deciding = false;

  const write = (s: string) => {
    if (!detached) output.write(s);
  };
  const decide = <T>(fn: () => T): T => {
    deciding = true;
    try {
      return fn();
    } finally {
      deciding = false;
    }
  };

  const leave = () => {
    if (screen?.kind === 'hold') clock.clearTimeout(screen.timer);
    screen = null;
    leftAt = clock.now();
  };

  const next = () => {
    if (screen || detached || inputClosed) return;
    for (;;) {
      const callId = waiting.shift();
      if (callId === undefined) return;
      const item = queue.pending().find((p) => p.callId === callId);
      if (!item) continue;
      const shownAt = clock.now();
      const changed = shownAt - leftAt < INPUT_GUARD_MS;
      screen = { kind: 'ask', item, shownAt, guardUntil: changed ? shownAt + INPUT_GUARD_MS : shownAt, step: 'choice' };
      write(renderApproval(item.view, shownAt));
      if (changed) write('  ! The request on screen changed: input is ignored for 1 s. Read it, then answer.\n');
      write(question(item));
      return;
    }
  };

  const question = (item: PendingApproval): string => {
    const keys = ['[y]es', '[n]o', ...(item.editable ? ['[e]dit'] : []), ...(canAlways(item) ? ['[a]lways'] : [])];
    return `Approve? ${keys.join(' / ')}: `;
  };
  const canAlways = (item: PendingApproval) => rules !== undefined && item.rule !== undefined && item.view.rule.allowed;

  const onLine = (line: string, startedAt: number) => {
    if (detached) return;
    const s = screen;
    if (!s) {
      if (line.trim()) write('  (nothing is waiting for approval; input ignored)\n');
      return;
    }
    if (s.kind === 'hold') {
      if (line.trim().toLowerCase() === 'u' || line.trim().toLowerCase() === 'undo') {
        if (decide(() => queue.undo(s.callId))) return;
        write('  (too late to undo)\n');
      } else write('  (type u and Enter to undo, or wait)\n');
      return;
    }
    if (startedAt < s.guardUntil) {
      write('  (ignored: typed before or just after the request changed — read it, then answer)\n');
      write(question(s.item));
      return;
    }
    const item = s.item;
    const answer = line.trim();
    if (s.step === 'reason') {
      decide(() => queue.deny(item.callId, answer || undefined));
      write('  → denied\n\n');
      leave();
      next();
      return;
    }
    if (s.step === 'confirmEdit') {
      const key = answer.toLowerCase();
      if (key === 'y' || key === 'yes') {
        approveEdit(s.edit ?? '');
        return;
      }
      if (key !== 'n' && key !== 'no') {
        write('  Please type y or n. Send this edit? [y]es / [n]o: ');
        return;
      }
      s.step = 'choice';
      write(question(item));
      return;
    }
    if (s.step === 'edit') {
      const format = item.view.text?.format ?? 'plain';
      if (!answer) {
        write('  (empty text; nothing changed)\n');
      } else if (format !== 'plain') {
        // The edit is read as the AI's text was: the person sees what Telegram will show before saying yes.
        const preview = renderEdit(answer, format);
        if (preview) {
          write(preview);
          s.step = 'confirmEdit';
          s.edit = answer;
          write('Send this edit? [y]es / [n]o: ');
          return;
        }
        write(`  (read as ${format}, that text shows nothing in Telegram; nothing changed)\n`);
      } else {
        approveEdit(answer);
        return;
      }
      s.step = 'choice';
      write(question(item));
      return;
    }
    const key = answer.toLowerCase();
    if (canAlways(item) && (key === 'a' || key === 'always') && item.view.rule.allowed) {
      rules!.add({
        ...item.rule!,
        peerTitle: item.view.peer.title,
        durationMs: item.view.rule.durationMs,
        scope: item.view.rule.scope,
      });
      decide(() => queue.approve(item.callId, { by: 'person' }));
      afterApproval(item, `approved; rule made: ${line1(item.view.rule.scope)}`);
      return;
    }
    if (key === 'y' || key === 'yes') {
      decide(() => queue.approve(item.callId, { by: 'person' }));
      afterApproval(item, 'approved');
      return;
    }
    if (key === 'n' || key === 'no') {
      s.step = 'reason';
      write('Reason for the AI (optional, Enter to skip): ');
      return;
    }
    if (item.editable && (key === 'e' || key === 'edit')) {
      s.step = 'edit';
      const format = item.view.text?.format ?? 'plain';
      write(format === 'plain' ? 'New text (one line): ' : `New text (one line, read as ${format}): `);
      return;
    }
    const keys = ['y', 'n', ...(item.editable ? ['e'] : []), ...(canAlways(item) ? ['a'] : [])];
    write(`  Please type ${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}.\n`);
    write(question(item));
  };

  /** Approves the on-screen request with the person's edit, or says why that text cannot be sent. */
  const approveEdit = (text: string) => {
    const s = screen;
    if (s?.kind !== 'ask') return;
    if (decide(() => queue.approve(s.item.callId, { text, by: 'person' }))) {
      afterApproval(s.item, 'approved with your edit');
      return;
    }
    write('  (that text cannot be sent: 1 to 4096 characters)\n');
    s.step = 'choice';
    write(question(s.item));
  };

  /** After this prompt approved: the undo countdown when the queue holds the write, else the next request. */
  const afterApproval = (item: PendingApproval, said: string) => {
    const hold = queue.holds().find((h) => h.callId === item.callId);
    if (!hold) {
      write(`  → ${said}\n\n`);
      leave();
      next();
      return;
    }
    write(`  → ${said}. It happens in ${secondsUntil(hold.sendsAt)} s — type u and Enter to undo.\n`);
    screen = { kind: 'hold', callId: hold.callId, sendsAt: hold.sendsAt, timer: undefined };
    tick(hold);
  };

  /** The visible countdown: one line a second until the undo window ends (the `decided` event stops it). */
  const tick = (hold: HeldApproval) => {
    const s = screen;
    if (s?.kind !== 'hold' || s.callId !== hold.callId) return;
    s.timer = clock.setTimeout(
      () => {
        const remaining = secondsUntil(hold.sendsAt);
        if (remaining > 0) write(`  ${remaining} s… (u to undo)\n`);
        tick(hold);
      },
      Math.min(1_000, Math.max(1, hold.sendsAt - clock.now())),
    );
  };
  const secondsUntil = (at: number) => Math.max(0, Math.ceil((at - clock.now()) / 1_000));

  const onAdded = (p: PendingApproval) => {
    waiting.push(p.callId);
    next();
  };
  const onDecided = (callId: string, outcome: ApprovalOutcome) => {
    const i = waiting.indexOf(callId);
    if (i >= 0) waiting.splice(i, 1);
    const s = screen;
    if (!s) return;
    if (s.kind === 'hold' && s.callId === callId) {
      write(
        outcome.status === 'approved'
          ? '  → the undo window is over: the write goes ahead now\n\n'
          : outcome.status === 'undone'
            ? '  → undone: nothing was sent\n\n'
            : `  → ${settledWhy(outcome)}\n\n`,
      );
      leave();
      next();
      return;
    }
    if (s.kind === 'ask' && s.item.callId === callId && !deciding) {
      write(`\n  → ${settledWhy(outcome)}\n\n`);
      leave();
      next();
    }
  };
  /** Held by another surface while on screen here: it was answered elsewhere. */
  const onHeld = (hold: HeldApproval) => {
    const s = screen;
    if (deciding || s?.kind !== 'ask' || s.item.callId !== hold.callId) return;
    write('\n  → answered elsewhere (approved there, in its undo window)\n\n');
    leave();
    next();
  };

  // Lines are split here (not by readline) to know when each line's first key arrived. On a terminal the keys
  // come one by one (raw mode): a cooked terminal would hold a line back until Enter, hiding when it was typed.
  const tty = input as Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  const raw = tty.isTTY === true && typeof tty.setRawMode === 'function';
  const onInterrupt = options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT'));
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let startedAt: number | null = null;
  /** Inside an escape sequence (arrow keys, …) in raw mode: its keys are dropped. */
  let escape: 'none' | 'esc' | 'csi' = 'none';
  const endLine = () => {
    const line = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
    const at = startedAt ?? clock.now();
    buffer = '';
    startedAt = null;
    onLine(line, at);
  };
  const onKey = (ch: string) => {
    if (escape === 'esc') {
      escape = ch === '[' || ch === 'O' ? 'csi' : 'none';
      return;
    }
    if (escape === 'csi') {
      if (ch >= '@' && ch <= '~') escape = 'none';
      return;
    }
    if (ch === '\r' || ch === '\n') {
      write('\n');
      endLine();
    } else if (ch === '\u0003') onInterrupt();
    else if (ch === '\u001b') escape = 'esc';
    else if (ch === '\u007f' || ch === '\b') {
      if (buffer) {
        buffer = [...buffer].slice(0, -1).join('');
        write('\b \b');
      }
    } else if (ch === '\u0015') {
      buffer = '';
      write('\n');
    } else if (ch >= ' ') {
      if (startedAt === null) startedAt = clock.now();
      buffer += ch;
      write(visibleText(ch).text);
    }
  };
  const onData = (chunk: Buffer | string) => {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    for (const ch of text) {
      if (raw) onKey(ch);
      else if (ch === '\n') endLine();
      else {
        if (startedAt === null) startedAt = clock.now();
        buffer += ch;
      }
    }
  };
  const onEnd = () => {
    if (inputClosed) return;
    inputClosed = true;
    if (!detached) {
      write('\n  (input closed: approvals can no longer be answered in this terminal; pending ones will expire)\n');
    }
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('close', onEnd);
  if (raw) tty.setRawMode!(true);
  // A stream paused earlier (e.g. by the login prompt's readline) does not flow again on its own.
  if (typeof input.resume === 'function') input.resume();
  queue.on('added', onAdded);
  queue.on('held', onHeld);
  queue.on('decided', onDecided);
  for (const p of queue.pending()) onAdded(p);
  return () => {
    detached = true;
    if (screen?.kind === 'hold') clock.clearTimeout(screen.timer);
    screen = null;
    queue.off('added', onAdded);
    queue.off('held', onHeld);
    queue.off('decided', onDecided);
    input.off('data', onData);
    input.off('end', onEnd);
    input.off('close', onEnd);
    if (raw) tty.setRawMode!(false);
    if (input === process.stdin) process.stdin.pause();
  };
}

/** A text longer than this many lines is followed by the effect and the warnings again. */
const LONG_TEXT_LINES = 20;

/** Tools that put something in front of the peer (the view says "to:"); the others act "in:" a chat. */
const SENDS_TO = new Set(['send_message', 'send_media', 'forward_messages']);

function settledWhy(outcome: ApprovalOutcome): string {
  switch (outcome.status) {
    case 'expired':
      return 'the request changed: it expired with no answer in time; nothing was sent';
    case 'cancelled':
      return 'the request changed: withdrawn by the relay or the AI; nothing was sent';
    default:
      return `the request changed: answered elsewhere (${outcome.status})`;
  }
}

/** One line of a display string, escaped again (defence in depth: views are escaped when built). */
function line1(s: string): string {
  return visibleText(s).text;
}

/**
 * What Telegram will show of the person's edit read as `format` (the same parser the send uses), with where its
 * links point; null when it renders to nothing.
 */
function renderEdit(text: string, format: 'markdown' | 'html'): string | null {
  const rendered = renderText(text, format);
  if (rendered.text.trim() === '') return null;
  const lines = ['│ Telegram will show:', ...rendered.text.split('\n').map((l) => `│   ${line1(l)}`)];
  for (const l of describeEntities(rendered)) lines.push(linkLine(l));
  return `${lines.join('\n')}\n`;
}

/** One link target or custom emoji of a rendered text, on its own labelled line (never among the text's lines). */
function linkLine(l: string): string {
  return l.startsWith('link ') ? `│ link:      ${line1(l.slice(5))}` : `│ also:      ${line1(l)}`;
}

function peerLine(p: ApprovalPeer): string {
  return [`‹${line1(p.title)}›`, p.username ? `@${line1(p.username)}` : null, `${line1(p.ref)} (${p.kind})`]
    .filter(Boolean)
    .join(' · ');
}

function messageLine(m: ApprovalMessage): string {
  return `#${m.id} ${line1(m.from)}: ${line1(m.preview)}`;
}

/**
 * Renders an approval view as a terminal block: flags first (prominent), the effect, the peer, what it answers
 * or acts on, the text exactly as sent, media, the asking client, time left, the undo window and what
 * "always" would allow. Uses nothing but the view.
 * @param nowMs current time in ms (for the time left).
 */
export function renderApproval(view: ApprovalView, nowMs: number): string {
  const secondsLeft = Math.max(0, Math.round((view.expiresAt - nowMs) / 1000));
  const lines = ['', `┌─ ${line1(view.tool)} is waiting for your approval`];
  for (const f of view.flags) lines.push(`│ ⚠ ${line1(f.code).toUpperCase().replace(/_/g, ' ')}: ${line1(f.message)}`);
  lines.push(`│ ${line1(view.effect)}`);
  if (view.source) lines.push(`│ from:      ${peerLine(view.source)}`);
  lines.push(`│ ${SENDS_TO.has(view.tool) ? 'to:' : 'in:'}        ${peerLine(view.peer)}`);
  if (view.replyTo) {
    lines.push(
      view.replyTo.from || view.replyTo.preview
        ? `│ reply to:  ${messageLine(view.replyTo)}`
        : `│ reply to:  #${view.replyTo.id} (not found in this chat)`,
    );
  }
  if (view.client) lines.push(`│ asked by:  ${line1(view.client)}`);
  lines.push(`│ time left: ${secondsLeft} s`);
  if (view.media) {
    const name = view.media.fileName ? ` "${line1(view.media.fileName)}"` : '';
    const bytes = view.media.bytes === undefined ? '' : ` · ${formatSize(view.media.bytes)}`;
    lines.push(`│ media:     ${line1(view.media.kind)}${name}${bytes}`);
  }
  if (view.messages?.length) {
    lines.push('│ messages:');
    for (const m of view.messages) lines.push(`│   ${messageLine(m)}`);
    if (view.moreMessages) lines.push(`│   … and ${view.moreMessages} more`);
  }
  if (view.text) {
    const how = view.text.format === 'plain' ? 'sent exactly as shown' : `parsed as ${view.text.format}`;
    lines.push(`│ ${view.media ? 'caption' : 'text'} (${how}):`);
    for (const l of view.text.shown.split('\n')) lines.push(`│   ${line1(l)}`);
    if (view.text.rendered !== undefined) {
      lines.push('│ Telegram will show:');
      for (const l of view.text.rendered.split('\n')) lines.push(`│   ${line1(l)}`);
    }
    for (const l of view.text.links ?? []) lines.push(linkLine(l));
    const textLines = view.text.shown.split('\n').length;
    if (textLines > LONG_TEXT_LINES) {
      // The top of the prompt has scrolled away: say again what this is and what it warns of.
      lines.push(`│ (end of the ${textLines}-line text) ${line1(view.effect)} · ${line1(view.peer.ref)} (${view.peer.kind})`);
      if (view.flags.length > 0) {
        lines.push(`│ ⚠ still: ${view.flags.map((f) => line1(f.code).toUpperCase().replace(/_/g, ' ')).join(', ')}`);
      }
    }
  }
  if (view.undoMs > 0) lines.push(`│ undo:      ${Math.round(view.undoMs / 1000)} s to take it back after you approve`);
  lines.push(
    view.rule.allowed
      ? `│ always:    ${line1(view.rule.scope)}`
      : `│ always:    not offered — ${line1(view.rule.why)}`,
  );
  lines.push('└─');
  return `${lines.join('\n')}\n`;
}

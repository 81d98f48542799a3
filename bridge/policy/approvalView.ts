/**
 * The one place a pending write becomes the approval view every surface renders (issue 8 §1): the effect in one
 * sentence, the peer, what the write answers or acts on, the text exactly as it will be sent, the media, the
 * asking client, the flags, and the standing rule the person could make — with its exact scope (§4).
 *
 * Write tools describe their effect as data ({@link WriteEffect}); nothing here trusts a string: every title,
 * name, file name, client name and text goes through `visibleText`, and any hidden character raises the
 * `hidden_characters` flag.
 */
import {
  type ApprovalFlag,
  type ApprovalMessage,
  type ApprovalPeer,
  type ApprovalPeerKind,
  type ApprovalRuleOffer,
  type ApprovalText,
  type ApprovalView,
  MAX_CLIENT_NAME_LENGTH,
  MAX_VIEW_MESSAGES,
  MAX_VIEW_TITLE_LENGTH,
} from '../protocol/approvalView.js';
import { mixedScripts, visibleText } from '../protocol/visibleText.js';
import type { GatewayMessage, ResolvedPeer, TelegramGateway } from '../telegram/gateway.js';
import { DEFAULT_RULE_DURATION_MS, type StandingRuleKey } from './standingRules.js';

/** How Telegram will parse a text: `plain` sends it byte for byte (issue 8 §3). */
export type TextFormat = 'plain' | 'markdown' | 'html';

/**
 * What a write does, as data (one variant per write tool). Messages are those the write acts on, as the gateway
 * loaded them (raw Telegram text: the view escapes it).
 */
export type WriteEffect =
  | { kind: 'send_message'; text: string; replyTo?: number }
  | {
      kind: 'send_media';
      media: { kind: string; fileName: string; bytes?: number; mimeType: string };
      caption?: string;
    }
  | { kind: 'edit_message'; message: GatewayMessage; text: string }
  | { kind: 'delete_messages'; messages: GatewayMessage[]; revoke: boolean }
  | { kind: 'forward_messages'; source: ResolvedPeer; messages: GatewayMessage[] }
  | { kind: 'set_reaction'; message: GatewayMessage; emoji: string | null }
  | { kind: 'pin_message'; message: GatewayMessage; unpin: boolean }
  | { kind: 'mark_read'; maxId?: number };

/**
 * A write waiting for the person, as the write gate hands it over: the peer where it lands, the effect, and —
 * for text the formatting module parses — how (`textFormat`, default plain) and what Telegram will show
 * (`renderedText`, the text after Markdown/HTML parsing) and where its links point (`renderedLinks`, one line each,
 * shown apart from the text).
 */
export interface PendingWrite {
  tool: string;
  peer: ResolvedPeer;
  effect: WriteEffect;
  textFormat?: TextFormat;
  renderedText?: string;
  renderedLinks?: string[];
}

/** Facts looked up on Telegram before asking: the message a reply answers, and whether it is a first contact. */
export interface ApprovalFacts {
  /** The message `reply_to` names: found, `null` when it is not in that chat, absent when there is no reply. */
  replyTo?: GatewayMessage | null;
  /** True when the account has never written to the peer (or it is not among its dialogs). */
  firstContact: boolean;
}

/** The view without what the approval queue adds when it shows it (call id, times, undo window). */
export type ApprovalViewDraft = Omit<ApprovalView, 'callId' | 'createdAt' | 'expiresAt' | 'undoMs'>;

/** Effects that put something new in front of the peer: only these get the first-contact check. */
const REACHES_OUT = new Set<WriteEffect['kind']>(['send_message', 'send_media', 'forward_messages']);

/**
 * Looks up what the view needs from Telegram: the message a reply answers (by id, in that chat) and, for writes
 * that reach out (send, send media, forward), whether the account ever wrote there. A failed first-contact
 * check counts as a first contact (the warning errs on the safe side).
 * @throws whatever the gateway raises for the reply lookup (e.g. ToolError `flood_wait`).
 */
export async function gatherApprovalFacts(gateway: TelegramGateway, write: PendingWrite): Promise<ApprovalFacts> {
  const facts: ApprovalFacts = { firstContact: false };
  if (write.effect.kind === 'send_message' && write.effect.replyTo !== undefined) {
    const [m] = await gateway.getMessagesById(write.peer, [write.effect.replyTo]);
    facts.replyTo = m ?? null;
  }
  if (REACHES_OUT.has(write.effect.kind)) {
    facts.firstContact = !(await gateway.hasWrittenTo(write.peer).catch(() => false));
  }
  return facts;
}

/**
 * The standing-rule key of a write (issue 8 §4): tool and destination, plus the source chat for forwards and
 * `revoke` for deletes. A rule matches a write only when every field is equal.
 */
export function ruleKeyOf(write: PendingWrite): StandingRuleKey {
  const key: StandingRuleKey = { tool: write.tool, peerRef: write.peer.ref };
  if (write.effect.kind === 'forward_messages') key.sourceRef = write.effect.source.ref;
  if (write.effect.kind === 'delete_messages') key.revoke = write.effect.revoke;
  return key;
}

/**
 * Builds the approval view of a write.
 * @param opts.client the MCP client's name as the relay reported it (untrusted; capped at 64 characters).
 * @param opts.ruleDurationMs how long a standing rule made from this view lasts (default 1 h).
 * @returns everything but call id, times and undo window (the approval queue adds those).
 */
export function buildApprovalView(
  write: PendingWrite,
  facts: ApprovalFacts,
  opts: { client?: string; ruleDurationMs?: number } = {},
): ApprovalViewDraft {
  const s = new SafeStrings();
  const peer = s.peer(write.peer);
  const title = `‹${peer.title}›`;
  const flags: ApprovalFlag[] = [];
  const view: Omit<ApprovalViewDraft, 'flags' | 'rule'> & { effect: string } = {
    tool: write.tool,
    effect: '',
    peer,
  };
  const e = write.effect;
  switch (e.kind) {
    case 'send_message':
      view.effect = `Send a message to ${title}`;
      view.text = s.text(e.text, write, true);
      if (e.replyTo !== undefined) {
        if (facts.replyTo) view.replyTo = s.message(facts.replyTo);
        else {
          view.replyTo = { id: e.replyTo, from: '', preview: '' };
          flags.push({
            code: 'not_found',
            message: `the message it replies to (#${e.replyTo}) is not in this chat; Telegram may refuse the reply`,
          });
        }
      }
      break;
    case 'send_media': {
      const name = s.line(e.media.fileName, MAX_VIEW_TITLE_LENGTH);
      view.effect = `Send ${article(e.media.kind)} ${e.media.kind} to ${title}`;
      view.media = { kind: e.media.kind, fileName: name, ...(e.media.bytes === undefined ? {} : { bytes: e.media.bytes }) };
      if (e.caption) view.text = s.text(e.caption, write, false);
      break;
    }
    case 'edit_message':
      view.effect = `Edit your message #${e.message.id} in ${title}`;
      view.messages = [s.message(e.message)];
      view.text = s.text(e.text, write, true);
      break;
    case 'delete_messages': {
      const n = countOf(e.messages.length, 'message');
      view.effect = e.revoke
        ? `Delete ${n} for everyone in ${title}`
        : `Delete ${n} for you only in ${title} (the others still see ${e.messages.length === 1 ? 'it' : 'them'})`;
      Object.assign(view, s.messages(e.messages));
      if (e.revoke) {
        flags.push({
          code: 'for_everyone',
          message: 'deletes for everyone: every member of the chat loses these messages, and it cannot be undone',
        });
      }
      break;
    }
    case 'forward_messages': {
      const source = s.peer(e.source);
      view.source = source;
      view.effect = `Forward ${countOf(e.messages.length, 'message')} from ‹${source.title}› to ${title}`;
      Object.assign(view, s.messages(e.messages));
      break;
    }
    case 'set_reaction': {
      const emoji = e.emoji === null ? null : s.line(e.emoji, 16);
      view.effect =
        emoji === null
          ? `Remove your reaction from message #${e.message.id} in ${title}`
          : `React ${emoji} to message #${e.message.id} in ${title}`;
      view.messages = [s.message(e.message)];
      break;
    }
    case 'pin_message':
      view.effect = e.unpin
        ? `Unpin message #${e.message.id} in ${title}`
        : `Pin message #${e.message.id} in ${title} (members are not notified)`;
      view.messages = [s.message(e.message)];
      break;
    case 'mark_read':
      view.effect = `Mark ${e.maxId ? `messages up to #${e.maxId}` : 'all messages'} in ${title} as read (the senders will see that you read them)`;
      break;
  }
  if (opts.client !== undefined && opts.client !== '') view.client = s.line(opts.client, MAX_CLIENT_NAME_LENGTH);
  const lookalike = (raw: string, shown: string, who: string) => {
    const scripts = mixedScripts(raw);
    if (scripts.length > 1) {
      flags.push({
        code: 'lookalike',
        message: `${who}‹${shown}› mixes ${scripts.join(' and ')} letters in one word: it may imitate another name`,
      });
    }
  };
  lookalike(write.peer.title, peer.title, '');
  if (e.kind === 'forward_messages' && view.source) lookalike(e.source.title, view.source.title, 'the source chat ');
  if (view.client !== undefined) lookalike(opts.client ?? '', view.client, 'the asking client ');
  if (facts.firstContact) {
    flags.unshift({
      code: 'first_contact',
      message: `you have never messaged ‹${peer.title}›${peer.username ? ` (@${peer.username})` : ''} — check this is who you mean`,
    });
  }
  if (view.text && view.text.format !== 'plain') {
    flags.push({
      code: 'formatted',
      message: `the text is parsed as ${view.text.format === 'html' ? 'HTML' : 'Markdown'}; Telegram shows the rendered text`,
    });
  }
  if (s.hidden) {
    flags.unshift({
      code: 'hidden_characters',
      message: 'contains hidden characters (shown as ⟨U+…⟩, ␛, \\r): read it carefully before approving',
    });
  }
  const rule = ruleOffer(write, facts, peer, view.source, opts.ruleDurationMs ?? DEFAULT_RULE_DURATION_MS);
  return { ...view, flags, rule };
}

/** What a standing rule made from this write would allow, in words, or why none may be made. */
function ruleOffer(
  write: PendingWrite,
  facts: ApprovalFacts,
  peer: ApprovalPeer,
  source: ApprovalPeer | undefined,
  durationMs: number,
): ApprovalRuleOffer {
  if (facts.firstContact) {
    return { allowed: false, why: 'no standing rule for someone you have never messaged: each write asks' };
  }
  const e = write.effect;
  if (e.kind === 'delete_messages' && e.revoke) {
    return { allowed: false, why: 'deleting for everyone always asks' };
  }
  const t = `‹${peer.title}›`;
  const [what, note] = ((): [string, string?] => {
    switch (e.kind) {
      case 'send_message':
        return [`send messages to ${t}`];
      case 'send_media':
        return [`send photos, videos and files to ${t}`];
      case 'edit_message':
        return [`edit your messages in ${t}`];
      case 'delete_messages':
        return [`delete messages for you only in ${t}`, 'deleting for everyone still asks'];
      case 'forward_messages':
        return [`forward messages from ‹${source?.title ?? ''}› to ${t}`, 'other sources or destinations still ask'];
      case 'set_reaction':
        return [`set and remove your reactions in ${t}`];
      case 'pin_message':
        return [`pin and unpin messages in ${t}`];
      case 'mark_read':
        return [`mark messages in ${t} as read`];
    }
  })();
  return {
    allowed: true,
    scope: `The AI may ${what} without asking you, for ${duration(durationMs)}${note ? ` (${note})` : ''}.`,
    durationMs,
  };
}

/** Turns untrusted strings into display-safe ones and remembers whether any hid something. */
class SafeStrings {
  hidden = false;

  /** One line (titles, names, file names, client names), capped at `max` code points. */
  line(raw: string, max: number): string {
    const v = visibleText(raw, { maxLength: max });
    if (v.hidden) this.hidden = true;
    return v.text;
  }

  /**
   * A chat title or a person's name: one line, and the quotes the view puts around titles (‹ ›) shown escaped,
   * so a title cannot close its quote and go on as if it were the prompt ("Team› to ‹Mom").
   */
  title(raw: string): string {
    const text = this.line(raw, MAX_VIEW_TITLE_LENGTH);
    const quoted = text.replace(/[\u2039\u203A]/g, (q) => `⟨U+${q.codePointAt(0)!.toString(16).toUpperCase()}⟩`);
    if (quoted !== text) this.hidden = true;
    return quoted;
  }

  peer(p: ResolvedPeer): ApprovalPeer {
    return {
      ref: p.ref,
      title: this.title(p.title),
      ...(p.username ? { username: this.line(p.username, 64) } : {}),
      id: p.id,
      kind: peerKind(p),
    };
  }

  /** The full text as it will be sent (multi-line, never cut), with how Telegram parses it. */
  text(raw: string, write: PendingWrite, editable: boolean): ApprovalText {
    const v = visibleText(raw, { multiline: true });
    if (v.hidden) this.hidden = true;
    const format = write.textFormat ?? 'plain';
    const out: ApprovalText = { shown: v.text, format, editable };
    if (format !== 'plain' && write.renderedText !== undefined) {
      const r = visibleText(write.renderedText, { multiline: true });
      if (r.hidden) this.hidden = true;
      out.rendered = r.text;
      if (write.renderedLinks?.length) out.links = write.renderedLinks.map((l) => this.line(l, 2 * MAX_VIEW_TITLE_LENGTH));
    }
    return out;
  }

  /** A message as one line: its id, who wrote it (`you` for the person), and its first line of text. */
  message(m: GatewayMessage): ApprovalMessage {
    const from = m.out ? 'you' : this.line(m.fromName, 40);
    const firstLine = m.text.split('\n').find((l) => l.trim() !== '') ?? '';
    const text = this.line(firstLine.trim(), 80);
    const media = m.media ? `[${this.line(m.media.media_type, 20)}]` : '';
    return { id: m.id, from, preview: [media, text].filter(Boolean).join(' ') || '(empty)' };
  }

  messages(list: GatewayMessage[]): { messages: ApprovalMessage[]; moreMessages?: number } {
    const shown = list.slice(0, MAX_VIEW_MESSAGES).map((m) => this.message(m));
    return list.length > MAX_VIEW_MESSAGES
      ? { messages: shown, moreMessages: list.length - MAX_VIEW_MESSAGES }
      : { messages: shown };
  }
}

function peerKind(p: ResolvedPeer): ApprovalPeerKind {
  if (p.kind === 'user') return p.bot ? 'bot' : 'user';
  if (p.kind === 'chat') return 'group';
  return p.megagroup ? 'supergroup' : 'channel';
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}

/** "1 message" / "3 messages". */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A rule duration for people: "1 hour", "30 minutes", "90 seconds". */
function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return countOf(ms / 3_600_000, 'hour');
  if (ms % 60_000 === 0) return countOf(ms / 60_000, 'minute');
  return countOf(Math.round(ms / 1000), 'second');
}

/**
 * Builds an {@link ApprovalView} from a pending write for the UI surfaces until the approval view builder
 * (`bridge/policy/approvalView.ts`, issue 8) lands; then {@link approvalViewOf} delegates to it. Every string
 * that came from outside has its hidden characters (C0/C1 controls, bidi, zero-width, tag characters) shown
 * as `\u{…}` escapes and raises the `hidden_characters` flag, so the view is display-safe.
 */
import type { ApprovalFlag, ApprovalView } from '../protocol/index.js';
import type { PendingApproval } from '../policy/approvals.js';

const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

/** `text` with every hidden character escaped as `\u{hex}`; `hidden` counts them. */
export function showHidden(text: string): { shown: string; hidden: number } {
  let hidden = 0;
  const shown = text.replace(HIDDEN, (ch) => {
    hidden += 1;
    return `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
  });
  return { shown, hidden };
}

const EFFECTS: Record<string, string> = {
  send_message: 'Send a message to',
  send_media: 'Send a file to',
  edit_message: 'Edit a message in',
  delete_messages: 'Delete messages in',
  forward_messages: 'Forward messages to',
  pin_message: 'Pin a message in',
  set_reaction: 'React to a message in',
  mark_read: 'Mark messages as read in',
};

/** Kind of peer from its canonical ref (`user:1` → user, `chat:` → group, `channel:` → channel). */
function kindOf(ref: string): ApprovalView['peer']['kind'] {
  if (ref.startsWith('chat:')) return 'group';
  if (ref.startsWith('channel:')) return 'channel';
  return 'user';
}

/**
 * The view of a pending write.
 * @param undoMs the undo window that follows an approval, in ms (0 = none).
 */
export function approvalViewOf(p: PendingApproval, undoMs: number): ApprovalView {
  const title = showHidden(p.peer.title);
  const text = showHidden(p.text);
  const client = p.client === undefined ? undefined : showHidden(p.client.slice(0, 64));
  const username = p.peer.username === undefined ? undefined : showHidden(p.peer.username);
  const flags: ApprovalFlag[] = [];
  if (title.hidden + text.hidden + (client?.hidden ?? 0) + (username?.hidden ?? 0) > 0) {
    flags.push({
      code: 'hidden_characters',
      message: 'This request contains hidden characters (shown as \\u{…}); read it carefully.',
    });
  }
  const editable = p.editable !== false;
  return {
    callId: p.callId,
    tool: p.tool,
    effect: `${EFFECTS[p.tool] ?? `Run ${p.tool} on`} ‹${title.shown}›`,
    peer: {
      ref: p.peer.ref,
      title: title.shown,
      ...(username ? { username: username.shown } : {}),
      id: p.peer.id,
      kind: kindOf(p.peer.ref),
    },
    text: { shown: text.shown, format: 'plain', editable },
    ...(client ? { client: client.shown } : {}),
    createdAt: p.createdAt,
    expiresAt: p.expiresAt,
    undoMs: editable ? undoMs : 0,
    flags,
    rule: { allowed: true, scope: `${p.tool} to ‹${title.shown}› for 1 hour` },
  };
}

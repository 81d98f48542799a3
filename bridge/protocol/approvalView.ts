/**
 * The approval view (ARCHITECTURE.md custody rule 6; issue 8 §1): the one model every approval surface renders
 * — the terminal prompt, the desktop popup and the web UI. It is built on the device by
 * `bridge/policy/approvalView.ts` from a pending write and holds only display-safe strings: every string that
 * came from outside (AI arguments, the MCP client's name, Telegram titles and names, file names) has its hidden
 * characters made visible (see `visibleText.ts`), and raises the `hidden_characters` flag when it had any.
 *
 * Browser-safe: zod only, no Node imports (the renderer shares this file).
 */
import { z } from 'zod';

/** Longest MCP client name an approval shows, in characters (issue 8 §1). */
export const MAX_CLIENT_NAME_LENGTH = 64;

/** Longest title or name an approval shows, in characters (PROTOCOL.md: "titles at 100"). */
export const MAX_VIEW_TITLE_LENGTH = 100;

/**
 * How long every approval surface ignores input after the request on screen changed (withdrawn, expired,
 * answered elsewhere, replaced), in ms; input begun before the change is discarded (issue 8 §2).
 */
export const APPROVAL_INPUT_GUARD_MS = 1_000;

/** How many messages an approval lists (the rest are counted in `moreMessages`). */
export const MAX_VIEW_MESSAGES = 10;

/** Kinds of peer an approval names. */
export const ApprovalPeerKind = z.enum(['user', 'bot', 'group', 'supergroup', 'channel']);
export type ApprovalPeerKind = z.infer<typeof ApprovalPeerKind>;

/** A peer as an approval shows it: display-safe title, @username (without `@`), numeric id, canonical ref. */
export const ApprovalPeer = z.object({
  ref: z.string(),
  title: z.string(),
  username: z.string().optional(),
  id: z.string(),
  kind: ApprovalPeerKind,
});
export type ApprovalPeer = z.infer<typeof ApprovalPeer>;

/**
 * Warnings an approval carries. Codes are stable (UIs style by them); `message` is the sentence to show.
 * - `hidden_characters`: some string contained control, bidi, zero-width or tag characters (shown escaped).
 * - `first_contact`: the account has never written to this peer, or the peer is not among its dialogs;
 *   no standing rule can be made for it.
 * - `for_everyone`: a delete removes the messages for every member, not only for the person.
 * - `formatted`: the text is parsed as Markdown or HTML; the view shows the rendered text.
 * - `edited_text`: the text the person is asked about was edited in an earlier prompt (reserved).
 * - `not_found`: a message the write refers to (reply_to) is not in that chat.
 * - `lookalike`: a title or the client's name mixes Latin, Cyrillic or Greek letters in one word (`Mоm`).
 */
export const ApprovalFlagCode = z.enum([
  'hidden_characters',
  'first_contact',
  'for_everyone',
  'formatted',
  'edited_text',
  'not_found',
  'lookalike',
]);
export type ApprovalFlagCode = z.infer<typeof ApprovalFlagCode>;

/** One flag: its code and the sentence a person reads. */
export const ApprovalFlag = z.object({ code: ApprovalFlagCode, message: z.string() });
export type ApprovalFlag = z.infer<typeof ApprovalFlag>;

/**
 * The text a write sends (message, caption, edited text), exactly as it will be sent.
 * `shown` is display-safe (hidden characters escaped); `format` is how Telegram will parse it (`plain` = byte
 * for byte); `rendered` is the visible text after Markdown/HTML parsing (display-safe), present when
 * `format` is not `plain`; `links` says where each link of the rendered text points and which custom emoji it
 * uses (`"click" → https://…`, display-safe) — kept apart from `rendered` so a text cannot fake a link line;
 * `editable` says whether the person may change it in the prompt.
 */
export const ApprovalText = z.object({
  shown: z.string(),
  format: z.enum(['plain', 'markdown', 'html']),
  rendered: z.string().optional(),
  links: z.array(z.string()).optional(),
  editable: z.boolean(),
});
export type ApprovalText = z.infer<typeof ApprovalText>;

/** A message the write acts on or answers (delete, forward, pin, react, reply_to): id, sender, first line. */
export const ApprovalMessage = z.object({
  id: z.number().int(),
  from: z.string(),
  preview: z.string(),
});
export type ApprovalMessage = z.infer<typeof ApprovalMessage>;

/** Media a write uploads: kind (photo, document, …), display-safe file name, size in bytes. */
export const ApprovalMedia = z.object({
  kind: z.string(),
  fileName: z.string().optional(),
  bytes: z.number().int().nonnegative().optional(),
});
export type ApprovalMedia = z.infer<typeof ApprovalMedia>;

/**
 * What a standing rule made from this approval would cover (issue 8 §4): `allowed` false with `why` when no rule
 * may be made (first contact, delete for everyone); otherwise `scope` states the rule's exact scope in words
 * ("Send messages to ‹Alice› without asking, for 1 hour") and `durationMs` how long it would last.
 */
export const ApprovalRuleOffer = z.union([
  z.object({ allowed: z.literal(true), scope: z.string(), durationMs: z.number().int().positive() }),
  z.object({ allowed: z.literal(false), why: z.string() }),
]);
export type ApprovalRuleOffer = z.infer<typeof ApprovalRuleOffer>;

/**
 * A write the person approved, held for the undo window before it happens (issue 8 §2): every surface shows the
 * countdown to `sendsAt` and an Undo button until the `decided` event; `decidedBy` says who approved (`auto`:
 * the demo's `--yes`). Times are ms since the epoch.
 */
export const ApprovalHold = z.object({
  callId: z.string(),
  tool: z.string(),
  effect: z.string(),
  decidedBy: z.enum(['person', 'auto']),
  heldAt: z.number(),
  sendsAt: z.number(),
});
export type ApprovalHold = z.infer<typeof ApprovalHold>;

/**
 * The approval view. Times are ms since the epoch. `effect` is one sentence ("Send a message to ‹Alice›");
 * `source` is the chat messages come from (forwards); `messages` lists what the write acts on (at most 10
 * shown, `moreMessages` counts the rest); `undoMs` is the undo window that follows an approval (0 = none).
 */
export const ApprovalView = z.object({
  callId: z.string(),
  tool: z.string(),
  effect: z.string(),
  peer: ApprovalPeer,
  source: ApprovalPeer.optional(),
  replyTo: ApprovalMessage.optional(),
  text: ApprovalText.optional(),
  media: ApprovalMedia.optional(),
  messages: z.array(ApprovalMessage).optional(),
  moreMessages: z.number().int().nonnegative().optional(),
  client: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  undoMs: z.number().int().nonnegative(),
  flags: z.array(ApprovalFlag),
  rule: ApprovalRuleOffer,
});
export type ApprovalView = z.infer<typeof ApprovalView>;

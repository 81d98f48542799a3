/**
 * Fixtures: the seeded world a sandbox starts with — the account (the person), the users and basic groups
 * it knows, and the messages in its dialogs.
 *
 * A fixture is JSON checked by {@link FixtureSchema}. Message dates are relative (`minutesAgo`, counted back
 * from the moment the sandbox starts) so a fixture always looks like "the last few days". Message ids are not
 * in the fixture: like Telegram's private/basic-group message box, they are per-account and sequential, given
 * out oldest first across all dialogs when the store is seeded.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isPeerKey, parsePeerKey } from './state/peers.js';

/** Telegram usernames as the API accepts them: 5–32 characters, letters/digits/underscores, a letter first. */
const Username = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{4,31}$/,
    'usernames are 5–32 letters, digits or underscores, starting with a letter',
  );

/** A user or account id: a positive integer that fits a JS number (Telegram ids fit in 52 bits). */
const EntityId = z
  .number()
  .int()
  .positive()
  .max(2 ** 52);

/** Phone numbers as Telegram stores them: digits only, international format without `+`. */
const Phone = z
  .string()
  .regex(/^\d{5,15}$/, 'phone numbers are 5–15 digits, international format without "+"');

/** The seeded account: the person the sandbox's minted sessions log in as. */
export const FixtureAccountSchema = z.object({
  id: EntityId,
  phone: Phone,
  firstName: z.string().min(1).max(64),
  lastName: z.string().max(64).optional(),
  username: Username.optional(),
});

/** Another Telegram user the account knows. `contact` (default true): in the account's contact list. */
export const FixtureUserSchema = z.object({
  id: EntityId,
  firstName: z.string().min(1).max(64),
  lastName: z.string().max(64).optional(),
  username: Username.optional(),
  phone: Phone.optional(),
  contact: z.boolean().default(true),
  bot: z.boolean().default(false),
});

/** A basic group (Telegram "chat"). `memberIds` must include the account; `creatorId` must be a member. */
export const FixtureChatSchema = z.object({
  id: EntityId,
  title: z.string().min(1).max(128),
  creatorId: EntityId,
  memberIds: z.array(EntityId).min(2),
  /** When the group was created, in minutes before sandbox start. */
  createdMinutesAgo: z.number().nonnegative().default(10_080),
});

/**
 * One message of a dialog. `from` is the sender's user id (the account's id for outgoing messages).
 * `key` names the message so a later message of the same dialog can reply to it with `replyTo: key`.
 */
export const FixtureMessageSchema = z.object({
  from: EntityId,
  text: z.string().min(1).max(4096),
  /** Minutes before sandbox start; within a dialog, messages are listed oldest first. */
  minutesAgo: z.number().nonnegative(),
  key: z.string().min(1).optional(),
  replyTo: z.string().min(1).optional(),
});

/**
 * A dialog and its history. `unreadCount`: how many of the newest incoming messages the account has not read
 * (Telegram keeps this as read_inbox_max_id; the sandbox derives it). Outgoing messages count as read by the
 * other side.
 */
export const FixtureDialogSchema = z.object({
  peer: z.string().refine(isPeerKey, 'peer must be user:<id> or chat:<id>'),
  unreadCount: z.number().int().nonnegative().default(0),
  pinned: z.boolean().default(false),
  messages: z.array(FixtureMessageSchema).min(1),
});

/** A whole fixture, with the cross-references checked (ids exist, senders are members, replies resolve). */
export const FixtureSchema = z
  .object({
    account: FixtureAccountSchema,
    users: z.array(FixtureUserSchema),
    chats: z.array(FixtureChatSchema).default([]),
    dialogs: z.array(FixtureDialogSchema),
  })
  .superRefine((f, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const userIds = new Set<number>([f.account.id]);
    f.users.forEach((u, i) => {
      if (userIds.has(u.id)) issue(['users', i, 'id'], `duplicate user id ${u.id}`);
      userIds.add(u.id);
    });
    const usernames = new Set<string>();
    for (const [i, u] of [f.account, ...f.users].entries()) {
      if (!u.username) continue;
      const lower = u.username.toLowerCase();
      if (usernames.has(lower))
        issue(i === 0 ? ['account'] : ['users', i - 1], `duplicate username ${u.username}`);
      usernames.add(lower);
    }
    const chats = new Map<number, Set<number>>();
    f.chats.forEach((c, i) => {
      if (chats.has(c.id)) issue(['chats', i, 'id'], `duplicate chat id ${c.id}`);
      const members = new Set(c.memberIds);
      for (const m of members) if (!userIds.has(m)) issue(['chats', i, 'memberIds'], `unknown member ${m}`);
      if (!members.has(f.account.id)) issue(['chats', i, 'memberIds'], 'the account must be a member');
      if (!members.has(c.creatorId)) issue(['chats', i, 'creatorId'], 'the creator must be a member');
      chats.set(c.id, members);
    });
    const seenPeers = new Set<string>();
    f.dialogs.forEach((d, i) => {
      if (!isPeerKey(d.peer)) return;
      if (seenPeers.has(d.peer)) issue(['dialogs', i, 'peer'], `duplicate dialog ${d.peer}`);
      seenPeers.add(d.peer);
      const peer = parsePeerKey(d.peer);
      let senders: Set<number>;
      if (peer.kind === 'user') {
        if (peer.id === f.account.id || !userIds.has(peer.id)) {
          issue(['dialogs', i, 'peer'], `unknown user ${peer.id}`);
          return;
        }
        senders = new Set([f.account.id, peer.id]);
      } else {
        const members = chats.get(peer.id);
        if (!members) {
          issue(['dialogs', i, 'peer'], `unknown chat ${peer.id}`);
          return;
        }
        senders = members;
      }
      const keys = new Set<string>();
      let incoming = 0;
      d.messages.forEach((m, j) => {
        const at = ['dialogs', i, 'messages', j];
        if (!senders.has(m.from)) issue([...at, 'from'], `user ${m.from} cannot write in ${d.peer}`);
        if (m.from !== f.account.id) incoming++;
        const prev = d.messages[j - 1];
        if (prev && m.minutesAgo > prev.minutesAgo)
          issue([...at, 'minutesAgo'], 'messages must be listed oldest first');
        if (m.replyTo !== undefined && !keys.has(m.replyTo)) {
          issue([...at, 'replyTo'], `no earlier message with key "${m.replyTo}" in this dialog`);
        }
        if (m.key !== undefined) keys.add(m.key);
      });
      if (d.unreadCount > incoming)
        issue(['dialogs', i, 'unreadCount'], `only ${incoming} incoming messages`);
    });
  });

/** A fixture as written (JSON): defaults may be left out. */
export type Fixture = z.input<typeof FixtureSchema>;

/** A fixture after validation, defaults filled in. */
export type ParsedFixture = z.output<typeof FixtureSchema>;

/**
 * Validates a fixture object.
 * @throws Error listing every problem (path and reason) when the fixture is invalid.
 */
export function parseFixture(input: unknown, source = 'fixture'): ParsedFixture {
  const result = FixtureSchema.safeParse(input);
  if (!result.success) throw new Error(`invalid sandbox ${source}:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/**
 * Reads and validates a fixture JSON file.
 * @throws Error when the file cannot be read, is not JSON, or fails {@link FixtureSchema}.
 */
export function loadFixture(path: string | URL): ParsedFixture {
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`sandbox fixture ${String(path)} is not JSON: ${(err as Error).message}`);
  }
  return parseFixture(json, `fixture ${String(path)}`);
}

/** The default demo fixture (`sandbox/fixtures/default.json`): a small team planning an offsite, a friend, family. */
export function defaultFixture(): ParsedFixture {
  return loadFixture(new URL('./fixtures/default.json', import.meta.url));
}

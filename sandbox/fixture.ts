/**
 * Fixtures: the seeded world a sandbox starts with — the account (the person), the users, basic groups,
 * supergroups and channels it knows, and the messages in its dialogs (with media, reactions and pins).
 *
 * A fixture is JSON checked by {@link FixtureSchema}. Message dates are relative (`minutesAgo`, counted back
 * from the moment the sandbox starts) so a fixture always looks like "the last few days". Message ids are not
 * in the fixture: like Telegram's private/basic-group message box, they are per-account and sequential, given
 * out oldest first across all user and basic-group dialogs when the store is seeded; each supergroup and
 * channel numbers its own messages 1, 2, 3, … Media bytes are not in the fixture either: they are generated
 * deterministically at start-up from the media description (see `state/fixtureMedia.ts`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isPeerKey, parsePeerKey } from './state/peers.js';
import { standardReaction } from './state/reactions.js';

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
  /** The account's 2FA password, if it has one: logging in by code then also asks for it (SRP). Sandbox only! */
  password: z.string().min(1).max(256).optional(),
  /** The hint Telegram shows at the 2FA password prompt. */
  passwordHint: z.string().max(128).optional(),
});

/**
 * An extra account (beyond `account`): a user of `users[]` (by `id`, names and username come from there) that
 * can log in too and has its own view of the world. `phone` defaults to the user's; one of them is required.
 */
export const FixtureExtraAccountSchema = z.object({
  id: EntityId,
  phone: Phone.optional(),
  /** Its 2FA password, if any (sandbox only). */
  password: z.string().min(1).max(256).optional(),
  /** The hint shown at its 2FA password prompt. */
  passwordHint: z.string().max(128).optional(),
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
 * A supergroup (`megagroup: true`) or broadcast channel (`megagroup: false`). `memberIds` must include the
 * account; `creatorId` and `adminIds` must be members. In a broadcast channel only the creator and admins post
 * (their posts show as the channel's); in a supergroup every member writes.
 */
export const FixtureChannelSchema = z.object({
  id: EntityId,
  title: z.string().min(1).max(128),
  username: Username.optional(),
  about: z.string().max(255).default(''),
  megagroup: z.boolean(),
  creatorId: EntityId,
  adminIds: z.array(EntityId).default([]),
  memberIds: z.array(EntityId).min(1),
  /** When the channel was created, in minutes before sandbox start. */
  createdMinutesAgo: z.number().nonnegative().default(43_200),
});

/**
 * Media attached to a fixture message; the bytes are generated at start-up. `photo`: a PNG of
 * `width`×`height` pixels. `document`: a file named `fileName` of type `mimeType`; a PDF gets a one-page PDF
 * showing the message text, anything else `size` deterministic bytes.
 */
export const FixtureMediaSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('photo'),
    width: z.number().int().min(1).max(2560),
    height: z.number().int().min(1).max(2560),
  }),
  z.object({
    kind: z.literal('document'),
    fileName: z.string().min(1).max(255),
    mimeType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'a MIME type such as application/pdf'),
    size: z
      .number()
      .int()
      .min(1)
      .max(20 * 1024 * 1024)
      .default(4096),
  }),
]);

/** Someone's reaction to a fixture message: a standard emoji reaction (see `state/reactions.ts`). */
export const FixtureReactionSchema = z.object({
  from: EntityId,
  emoji: z.string().min(1),
});

/**
 * One message of a dialog. `from` is the sender's user id (the account's id for outgoing messages; in a
 * broadcast channel, the posting admin). `key` names the message so a later message of the same dialog can
 * reply to it with `replyTo: key`. `text` may be empty only when the message has media (it is the caption).
 */
export const FixtureMessageSchema = z.object({
  from: EntityId,
  text: z.string().max(4096).default(''),
  /** Minutes before sandbox start; within a dialog, messages are listed oldest first. */
  minutesAgo: z.number().nonnegative(),
  key: z.string().min(1).optional(),
  replyTo: z.string().min(1).optional(),
  media: FixtureMediaSchema.optional(),
  pinned: z.boolean().default(false),
  reactions: z.array(FixtureReactionSchema).default([]),
});

/**
 * A dialog and its history. `unreadCount`: how many of the newest incoming messages the account has not read
 * (Telegram keeps this as read_inbox_max_id; the sandbox derives it). Outgoing messages count as read by the
 * other side.
 */
export const FixtureDialogSchema = z.object({
  peer: z.string().refine(isPeerKey, 'peer must be user:<id>, chat:<id> or channel:<id>'),
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
    channels: z.array(FixtureChannelSchema).default([]),
    dialogs: z.array(FixtureDialogSchema),
    /** Extra accounts that can log in too, each with its own view (see {@link FixtureExtraAccountSchema}). */
    accounts: z.array(FixtureExtraAccountSchema).default([]),
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
    const named: Array<{ username?: string | undefined; path: (string | number)[] }> = [
      { username: f.account.username, path: ['account'] },
      ...f.users.map((u, i) => ({ username: u.username, path: ['users', i] })),
      ...f.channels.map((c, i) => ({ username: c.username, path: ['channels', i] })),
    ];
    for (const { username, path } of named) {
      if (!username) continue;
      const lower = username.toLowerCase();
      if (usernames.has(lower)) issue(path, `duplicate username ${username}`);
      usernames.add(lower);
    }
    const phones = new Set<string>([f.account.phone]);
    f.accounts.forEach((a, i) => {
      const user = f.users.find((u) => u.id === a.id);
      if (!user) {
        issue(['accounts', i, 'id'], `no user ${a.id} in users[] (an extra account must be a user)`);
        return;
      }
      const phone = a.phone ?? user.phone;
      if (!phone) issue(['accounts', i, 'phone'], `account ${a.id} needs a phone (here or in users[])`);
      else if (phones.has(phone)) issue(['accounts', i, 'phone'], `duplicate account phone ${phone}`);
      else phones.add(phone);
      if (f.accounts.findIndex((b) => b.id === a.id) !== i) issue(['accounts', i, 'id'], `duplicate account ${a.id}`);
    });
    const chats = new Map<number, Set<number>>();
    f.chats.forEach((c, i) => {
      if (chats.has(c.id)) issue(['chats', i, 'id'], `duplicate chat id ${c.id}`);
      const members = new Set(c.memberIds);
      for (const m of members) if (!userIds.has(m)) issue(['chats', i, 'memberIds'], `unknown member ${m}`);
      if (!members.has(f.account.id)) issue(['chats', i, 'memberIds'], 'the account must be a member');
      if (!members.has(c.creatorId)) issue(['chats', i, 'creatorId'], 'the creator must be a member');
      chats.set(c.id, members);
    });
    const channels = new Map<number, { members: Set<number>; posters: Set<number> | undefined }>();
    f.channels.forEach((c, i) => {
      if (channels.has(c.id)) issue(['channels', i, 'id'], `duplicate channel id ${c.id}`);
      const members = new Set(c.memberIds);
      for (const m of members)
        if (!userIds.has(m)) issue(['channels', i, 'memberIds'], `unknown member ${m}`);
      if (!members.has(f.account.id)) issue(['channels', i, 'memberIds'], 'the account must be a member');
      if (!members.has(c.creatorId)) issue(['channels', i, 'creatorId'], 'the creator must be a member');
      for (const a of c.adminIds)
        if (!members.has(a)) issue(['channels', i, 'adminIds'], `admin ${a} is not a member`);
      channels.set(c.id, {
        members,
        posters: c.megagroup ? undefined : new Set([c.creatorId, ...c.adminIds]),
      });
    });
    const seenPeers = new Set<string>();
    f.dialogs.forEach((d, i) => {
      if (!isPeerKey(d.peer)) return;
      if (seenPeers.has(d.peer)) issue(['dialogs', i, 'peer'], `duplicate dialog ${d.peer}`);
      seenPeers.add(d.peer);
      const peer = parsePeerKey(d.peer);
      let senders: Set<number>;
      /** Who can see the dialog (and so react in it). */
      let viewers: Set<number>;
      if (peer.kind === 'user') {
        if (peer.id === f.account.id || !userIds.has(peer.id)) {
          issue(['dialogs', i, 'peer'], `unknown user ${peer.id}`);
          return;
        }
        senders = new Set([f.account.id, peer.id]);
        viewers = senders;
      } else if (peer.kind === 'chat') {
        const members = chats.get(peer.id);
        if (!members) {
          issue(['dialogs', i, 'peer'], `unknown chat ${peer.id}`);
          return;
        }
        senders = members;
        viewers = members;
      } else {
        const channel = channels.get(peer.id);
        if (!channel) {
          issue(['dialogs', i, 'peer'], `unknown channel ${peer.id}`);
          return;
        }
        senders = channel.posters ?? channel.members;
        viewers = channel.members;
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
        if (m.text.trim().length === 0 && !m.media) issue([...at, 'text'], 'a message without media needs text');
        m.reactions.forEach((r, k) => {
          if (!viewers.has(r.from)) issue([...at, 'reactions', k, 'from'], `user ${r.from} is not in ${d.peer}`);
          if (!standardReaction(r.emoji))
            issue([...at, 'reactions', k, 'emoji'], `"${r.emoji}" is not a standard reaction`);
        });
        const reactors = m.reactions.map((r) => r.from);
        if (new Set(reactors).size !== reactors.length)
          issue([...at, 'reactions'], 'one reaction per user (Telegram allows one without Premium)');
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

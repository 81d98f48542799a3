/** contacts.* methods: resolveUsername (what `getEntity('@name')` calls) and getContacts. */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { toTlLong } from '../mtproto/tlWire.js';
import { apiChannel, apiUser } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';

/**
 * contacts.resolveUsername: a user or a public channel, case-insensitive, `@` optional.
 * @throws 400 USERNAME_INVALID (malformed), USERNAME_NOT_OCCUPIED (nobody has it).
 */
const resolveUsername = method(Api.contacts.ResolveUsername, (req, ctx) => {
  const name = req.username.replace(/^@/, '');
  if (!/^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(name))
    throw new RpcError(400, 'USERNAME_INVALID', `"${req.username}"`);
  const channel = ctx.store.channelByUsername(name);
  if (channel) {
    return new Api.contacts.ResolvedPeer({
      peer: new Api.PeerChannel({ channelId: toTlLong(channel.id) }),
      chats: [apiChannel(channel, ctx.store.account.id)],
      users: [],
    });
  }
  const u = ctx.store.userByUsername(name);
  if (!u) throw new RpcError(400, 'USERNAME_NOT_OCCUPIED', `nobody is @${name}`);
  return new Api.contacts.ResolvedPeer({
    peer: new Api.PeerUser({ userId: toTlLong(u.id) }),
    chats: [],
    users: [apiUser(u)],
  });
});

/** contacts.getContacts: every user marked as a contact (mutual). */
const getContacts = method(Api.contacts.GetContacts, (_req, ctx) => {
  const contacts = ctx.store.otherUsers().filter((u) => u.contact);
  return new Api.contacts.Contacts({
    contacts: contacts.map((u) => new Api.Contact({ userId: toTlLong(u.id), mutual: true })),
    savedCount: 0,
    users: contacts.map(apiUser),
  });
});

/** Handlers of the contacts namespace. */
export const contactsMethods: MethodHandler[] = [resolveUsername, getContacts];

/** users.* methods: getUsers (what `client.getMe()` calls with inputUserSelf) and getFullUser. */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { toTlLong } from '../mtproto/tlWire.js';
import { userPeer } from '../state/peers.js';
import { apiChannel, apiChat, apiUser, userFromInput } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';

/** users.getUsers: one User per input, userEmpty for unknown ids (as Telegram does). */
const getUsers = method(Api.users.GetUsers, (req, ctx) =>
  req.id.map((input) => {
    const u = userFromInput(ctx.store, input);
    if (u) return apiUser(u);
    const id = input instanceof Api.InputUser ? input.userId : toTlLong(0);
    return new Api.UserEmpty({ id });
  }),
);

/**
 * users.getFullUser: the user, the groups and supergroups it shares with the account, the newest pinned
 * message of the private chat, default settings.
 * @throws 400 USER_ID_INVALID for unknown users.
 */
const getFullUser = method(Api.users.GetFullUser, (req, ctx) => {
  const store = ctx.store;
  const u = userFromInput(store, req.id);
  if (!u) throw new RpcError(400, 'USER_ID_INVALID', 'unknown user');
  const me = store.account.id;
  const both = (ids: number[]) => !u.self && ids.includes(u.id) && ids.includes(me);
  const chats = [
    ...store
      .allChats()
      .filter((c) => both(c.memberIds))
      .map((c) => apiChat(c, me)),
    ...store
      .allChannels()
      .filter((c) => c.megagroup && both(c.memberIds))
      .map((c) => apiChannel(c, me)),
  ];
  const pinned = store.pinnedIds(userPeer(u.id)).at(-1);
  return new Api.users.UserFull({
    fullUser: new Api.UserFull({
      id: toTlLong(u.id),
      settings: new Api.PeerSettings({}),
      notifySettings: new Api.PeerNotifySettings({}),
      commonChatsCount: chats.length,
      ...(pinned !== undefined ? { pinnedMsgId: pinned } : {}),
    }),
    chats,
    users: [apiUser(u)],
  });
});

/** Handlers of the users namespace. */
export const usersMethods: MethodHandler[] = [getUsers, getFullUser];

/** users.* methods: getUsers (what `client.getMe()` calls with inputUserSelf) and getFullUser. */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { toTlLong } from '../mtproto/tlWire.js';
import { apiChat, apiUser, userFromInput } from './apiObjects.js';
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

/** users.getFullUser: the user, its common basic groups, default settings. */
const getFullUser = method(Api.users.GetFullUser, (req, ctx) => {
  const u = userFromInput(ctx.store, req.id);
  if (!u) throw new RpcError(400, 'USER_ID_INVALID', 'unknown user');
  const common = ctx.store
    .allChats()
    .filter((c) => c.memberIds.includes(u.id) && c.memberIds.includes(ctx.store.account.id));
  return new Api.users.UserFull({
    fullUser: new Api.UserFull({
      id: toTlLong(u.id),
      settings: new Api.PeerSettings({}),
      notifySettings: new Api.PeerNotifySettings({}),
      commonChatsCount: u.self ? 0 : common.length,
    }),
    chats: u.self ? [] : common.map((c) => apiChat(c, ctx.store.account.id)),
    users: [apiUser(u)],
  });
});

/** Handlers of the users namespace. */
export const usersMethods: MethodHandler[] = [getUsers, getFullUser];

/**
 * Pinned messages: messages.updatePinnedMessage (pin or unpin one) and messages.unpinAllMessages. Pins are box
 * changes (updatePinnedMessages / updatePinnedChannelMessages with pts), pushed to the account's other sessions;
 * pinning also posts a "pinned a message" service message except in Saved Messages or with `pm_oneside` —
 * gramjs's pinMessage returns that service message.
 */
import { Api } from 'telegram';
import { peerFromInput } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';

/**
 * messages.updatePinnedMessage. Answers `updates` with the pin update and the service message (if any); an
 * unchanged pin answers an empty `updates`.
 * @throws 400 MESSAGE_ID_INVALID; 403 CHAT_ADMIN_REQUIRED in a supergroup or channel the account does not
 *   administer.
 */
const updatePinnedMessage = method(Api.messages.UpdatePinnedMessage, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  const { changes, service } = ctx.store.setPinned(peer, req.id, {
    pinned: !req.unpin,
    pmOneside: req.pmOneside ?? false,
    silent: req.silent ?? false,
  });
  const updates = ctx.feed.publish(changes, ctx.session);
  return ctx.feed.wrap(updates, [peer], service ? [service] : []);
});

/**
 * messages.unpinAllMessages: unpins every pinned message of the dialog.
 * @throws 403 CHAT_ADMIN_REQUIRED as for updatePinnedMessage.
 */
const unpinAllMessages = method(Api.messages.UnpinAllMessages, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  const { change } = ctx.store.unpinAll(peer);
  ctx.feed.publish([change], ctx.session);
  return new Api.messages.AffectedHistory({ pts: change.pts, ptsCount: change.ptsCount, offset: 0 });
});

/** Handlers of the pin methods. */
export const messagesPinsMethods: MethodHandler[] = [updatePinnedMessage, unpinAllMessages];

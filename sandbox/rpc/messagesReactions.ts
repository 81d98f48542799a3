/**
 * Reactions: messages.sendReaction (the account reacts, or withdraws its reaction with an empty list) and
 * messages.getMessagesReactions (refresh). Both answer `updates` with updateMessageReactions, which is also
 * pushed to the account's other sessions; reactions carry no pts.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import type { MessageRecord } from '../state/store.js';
import { apiPeer, apiReactions, peerFromInput } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';

/**
 * messages.sendReaction with reactionEmoji (standard emoji only; at most one without Premium). No reaction or
 * an empty list removes the account's reaction.
 * @throws 400 REACTION_INVALID (custom emoji, paid or unknown emoji), REACTIONS_TOO_MANY, MESSAGE_ID_INVALID.
 */
const sendReaction = method(Api.messages.SendReaction, (req, ctx) => {
  const peer = peerFromInput(ctx.store, req.peer);
  const emojis = (req.reaction ?? [])
    .filter((r) => !(r instanceof Api.ReactionEmpty))
    .map((r) => {
      if (r instanceof Api.ReactionEmoji) return r.emoticon;
      throw new RpcError(400, 'REACTION_INVALID', `${r.className} reactions are not available to this account`);
    });
  const m = ctx.store.setReactions(peer, req.msgId as number, ctx.store.account.id, emojis);
  const update = ctx.feed.reactionsChanged(m, ctx.session);
  return ctx.feed.wrap([update], [peer], [m]);
});

/** messages.getMessagesReactions: updateMessageReactions for each of the named messages that exists. */
const getMessagesReactions = method(Api.messages.GetMessagesReactions, (req, ctx) => {
  const store = ctx.store;
  const peer = peerFromInput(store, req.peer);
  const found = req.id.map((id) => store.messageIn(peer, id)).filter((m): m is MessageRecord => m !== undefined);
  const updates = found.map(
    (m) =>
      new Api.UpdateMessageReactions({
        peer: apiPeer(m.peer),
        msgId: m.id,
        reactions: apiReactions(store, m) ?? new Api.MessageReactions({ results: [] }),
      }),
  );
  return ctx.feed.wrap(updates, [peer], found);
});

/** Handlers of the reaction methods. */
export const messagesReactionsMethods: MethodHandler[] = [sendReaction, getMessagesReactions];

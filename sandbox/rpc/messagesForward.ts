/**
 * messages.forwardMessages: copies messages into another dialog with a fwd_from header naming the original
 * author and date (a broadcast post keeps its channel and post id; a message that was itself forwarded keeps its
 * first origin; forwarding into Saved Messages also records where it was saved from). `drop_author` sends plain
 * copies without the header; `drop_media_captions` drops captions of media messages. Each message has its own
 * random_id; a random_id already used returns the message it created instead of forwarding again.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong } from '../mtproto/tlWire.js';
import { channelPeer, parsePeerKey, userPeer } from '../state/peers.js';
import type { BoxChange, ForwardHeader, MessageRecord } from '../state/store.js';
import { peerFromInput } from './apiObjects.js';
import { type MethodHandler, method } from './context.js';
import { replayedNewMessage, sentUpdates } from './messages.js';

/** The fwd_from header a forward of `m` gets. */
function forwardHeader(m: MessageRecord): ForwardHeader {
  if (m.fwdFrom) {
    const { savedFrom: _saved, ...origin } = m.fwdFrom;
    return origin;
  }
  if (m.post) {
    return { from: channelPeer(parsePeerKey(m.peer).id), date: m.date, channelPost: m.id };
  }
  return { from: userPeer(m.fromId), date: m.date };
}

/**
 * messages.forwardMessages. Answers `updates` with updateMessageID per random_id and the new messages
 * (updateNewMessage / updateNewChannelMessage), which gramjs maps back to the forwarded Message objects.
 * @throws 400 MESSAGE_IDS_EMPTY, RANDOM_ID_INVALID (not one random_id per message), MESSAGE_ID_INVALID (a
 *   message that does not exist in from_peer, or a service message), PEER_ID_INVALID / CHANNEL_* for either
 *   peer; 403 CHAT_WRITE_FORBIDDEN for a broadcast channel the account does not run. Nothing is forwarded when
 *   any check fails.
 */
const forwardMessages = method(Api.messages.ForwardMessages, (req, ctx) => {
  const store = ctx.store;
  const fromPeer = peerFromInput(store, req.fromPeer);
  const toPeer = peerFromInput(store, req.toPeer);
  if (req.id.length === 0) throw new RpcError(400, 'MESSAGE_IDS_EMPTY', 'no message ids');
  const randomIds = (req.randomId ?? []).map((r) => fromTlLong(r));
  if (randomIds.length !== req.id.length) {
    throw new RpcError(400, 'RANDOM_ID_INVALID', `${randomIds.length} random ids for ${req.id.length} messages`);
  }
  if (req.scheduleDate) throw new RpcError(400, 'SCHEDULED_MESSAGES_NOT_IMPLEMENTED_SANDBOX');
  const originals = req.id.map((id) => {
    const m = store.messageIn(fromPeer, id);
    if (!m || m.action) throw new RpcError(400, 'MESSAGE_ID_INVALID', `no message ${id} in ${fromPeer}`);
    return m;
  });
  store.assertCanWrite(toPeer, store.account.id);
  const toSaved = toPeer === userPeer(store.account.id);
  const sent: Array<{ message: MessageRecord; randomId: bigint }> = [];
  const changes: BoxChange[] = [];
  const replayed: MessageRecord[] = [];
  originals.forEach((original, i) => {
    const randomId = randomIds[i]!;
    const previous = store.messageForRandomId(randomId.toString());
    if (previous) {
      sent.push({ message: previous, randomId });
      replayed.push(previous);
      return;
    }
    let fwdFrom: ForwardHeader | undefined;
    if (!req.dropAuthor) {
      fwdFrom = forwardHeader(original);
      if (toSaved) fwdFrom.savedFrom = { peer: fromPeer, id: original.id };
    }
    const { message, change } = store.appendMessage({
      peer: toPeer,
      fromId: store.account.id,
      text: req.dropMediaCaptions && original.media ? '' : original.text,
      ...(original.entities && !(req.dropMediaCaptions && original.media) ? { entities: original.entities } : {}),
      source: 'mtproto',
      randomId: randomId.toString(),
      silent: req.silent ?? false,
      forwardOf: { peer: fromPeer, id: original.id },
      ...(original.media ? { media: original.media } : {}),
      ...(fwdFrom ? { fwdFrom } : {}),
    });
    sent.push({ message, randomId });
    changes.push(change);
  });
  const updates = [...replayed.map((m) => replayedNewMessage(ctx, m)), ...ctx.feed.publish(changes, ctx.session)];
  return sentUpdates(ctx, sent, updates);
});

/** Handlers of messages.forwardMessages. */
export const messagesForwardMethods: MethodHandler[] = [forwardMessages];

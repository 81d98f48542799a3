/**
 * What Telegram's answer to a send, forward or edit says happened (gramjs `Updates` → domain): which messages
 * were created, and the text and entities Telegram stored (issue 8 §3: the result reports what Telegram holds,
 * not what we meant to send).
 */
import { Api } from 'telegram';
import { ToolError, ToolErrorCode } from '../protocol/index.js';
import { fromApiEntities } from './formatting.js';
import type { StoredText } from './gateway.js';

/**
 * Ids of the messages a send or forward created, in the order of `randomIds`: from updateMessageID (random_id →
 * id) when present, else from updateShortSentMessage or the new-message updates in order.
 * @throws ToolError `telegram_error` when the answer names no new message.
 */
export function sentMessageIds(updates: Api.TypeUpdates, randomIds: string[]): number[] {
  if (updates instanceof Api.UpdateShortSentMessage) return [updates.id];
  const list =
    updates instanceof Api.Updates || updates instanceof Api.UpdatesCombined
      ? updates.updates
      : updates instanceof Api.UpdateShort
        ? [updates.update]
        : [];
  const byRandom = new Map<string, number>();
  const fresh: number[] = [];
  for (const u of list) {
    if (u instanceof Api.UpdateMessageID) byRandom.set(String(u.randomId), u.id);
    else if (
      (u instanceof Api.UpdateNewMessage || u instanceof Api.UpdateNewChannelMessage) &&
      u.message instanceof Api.Message
    ) {
      fresh.push(u.message.id);
    }
  }
  const ids = randomIds.map((r, i) => byRandom.get(r) ?? fresh[i]);
  if (ids.some((id) => id === undefined)) {
    throw new ToolError(ToolErrorCode.telegram, 'Telegram did not say which message was created');
  }
  return ids as number[];
}

/**
 * The text, entities and date (ms) Telegram stored for message `id`, from its answer to a send or edit: the
 * message inside updateNewMessage / updateEditMessage (and their channel forms), or for updateShortSentMessage
 * the text we sent with the entities Telegram reports. `sent` fills in what the answer does not carry.
 */
export function storedMessage(
  updates: Api.TypeUpdates,
  id: number,
  sent: StoredText,
): StoredText & { date: number } {
  if (updates instanceof Api.UpdateShortSentMessage) {
    return {
      text: sent.text,
      entities: updates.entities ? fromApiEntities(updates.entities) : sent.entities,
      date: updates.date * 1000,
    };
  }
  const list =
    updates instanceof Api.Updates || updates instanceof Api.UpdatesCombined
      ? updates.updates
      : updates instanceof Api.UpdateShort
        ? [updates.update]
        : [];
  for (const u of list) {
    if (
      (u instanceof Api.UpdateNewMessage ||
        u instanceof Api.UpdateNewChannelMessage ||
        u instanceof Api.UpdateEditMessage ||
        u instanceof Api.UpdateEditChannelMessage) &&
      u.message instanceof Api.Message &&
      u.message.id === id
    ) {
      return { text: u.message.message ?? '', entities: fromApiEntities(u.message.entities), date: u.message.date * 1000 };
    }
  }
  return { ...sent, date: Date.now() };
}

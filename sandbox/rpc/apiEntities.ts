/**
 * Message entities (formatting) as the sandbox stores and serves them: taken from messages.sendMessage /
 * sendMedia / editMessage as given, checked the way Telegram checks them, and returned in every message and in
 * updateShortSentMessage — so a client sees exactly which formatting Telegram holds.
 */
import { Api } from 'telegram';
import { RpcError } from '../mtproto/rpcError.js';
import { fromTlLong, tlId, toTlLong } from '../mtproto/tlWire.js';
import type { TextEntityRecord } from '../state/store.js';

/** Most entities one message may carry (Telegram refuses more with ENTITIES_TOO_LONG). */
const MAX_ENTITIES = 100;

/**
 * Stored records for the entities a request gave with `text`, in the order given. A mention by input user
 * (`inputMessageEntityMentionName`) is stored as a mention by user id.
 * @throws RpcError 400 ENTITY_BOUNDS_INVALID when an entity is empty or reaches past the text (UTF-16 units);
 *   ENTITIES_TOO_LONG for more than 100; ENTITY_MENTION_USER_INVALID for a mention of no user.
 */
export function entitiesFromInput(text: string, input: Api.TypeMessageEntity[] | undefined): TextEntityRecord[] {
  const list = input ?? [];
  if (list.length > MAX_ENTITIES) throw new RpcError(400, 'ENTITIES_TOO_LONG', `${list.length} entities`);
  return list.map((e) => {
    if (!Number.isInteger(e.offset) || !Number.isInteger(e.length) || e.offset < 0 || e.length <= 0) {
      throw new RpcError(400, 'ENTITY_BOUNDS_INVALID', `${e.className} at ${e.offset}+${e.length}`);
    }
    if (e.offset + e.length > text.length) {
      throw new RpcError(400, 'ENTITY_BOUNDS_INVALID', `${e.className} ends past the text (${text.length} units)`);
    }
    const record: TextEntityRecord = { type: entityType(e.className), offset: e.offset, length: e.length };
    if (e instanceof Api.MessageEntityTextUrl) record.url = e.url;
    else if (e instanceof Api.MessageEntityPre) record.language = e.language;
    else if (e instanceof Api.MessageEntityCustomEmoji) record.documentId = fromTlLong(e.documentId).toString();
    else if (e instanceof Api.MessageEntityMentionName) record.userId = tlId(e.userId);
    else if (e instanceof Api.InputMessageEntityMentionName) {
      const user = e.userId;
      if (!(user instanceof Api.InputUser)) throw new RpcError(400, 'ENTITY_MENTION_USER_INVALID');
      record.userId = tlId(user.userId);
    }
    return record;
  });
}

/** The MTProto entities of stored records; kinds this version of the TL schema lacks are left out. */
export function apiEntities(records: readonly TextEntityRecord[] | undefined): Api.TypeMessageEntity[] {
  const out: Api.TypeMessageEntity[] = [];
  for (const r of records ?? []) {
    const span = { offset: r.offset, length: r.length };
    if (r.type === 'text_url') out.push(new Api.MessageEntityTextUrl({ ...span, url: r.url ?? '' }));
    else if (r.type === 'pre') out.push(new Api.MessageEntityPre({ ...span, language: r.language ?? '' }));
    else if (r.type === 'custom_emoji') {
      out.push(new Api.MessageEntityCustomEmoji({ ...span, documentId: toTlLong(BigInt(r.documentId ?? '0')) }));
    } else if (r.type === 'mention_name') {
      out.push(new Api.MessageEntityMentionName({ ...span, userId: toTlLong(r.userId ?? 0) }));
    } else {
      const Kind = (Api as unknown as Record<string, new (a: typeof span) => Api.TypeMessageEntity>)[
        `MessageEntity${pascal(r.type)}`
      ];
      if (Kind) out.push(new Kind(span));
    }
  }
  return out;
}

/** `MessageEntityTextUrl` / `InputMessageEntityMentionName` → `text_url` / `mention_name`. */
function entityType(className: string): string {
  return className
    .replace(/^(Input)?MessageEntity/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function pascal(type: string): string {
  return type.replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

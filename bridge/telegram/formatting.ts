/**
 * Text formatting for Telegram (issue 8 §3, custody rule 6: what the person approves is exactly what happens).
 *
 * gramjs parses Markdown in `sendMessage` unless told not to, so `2**10 __init__` used to arrive as `210 init`.
 * The bridge never lets gramjs choose: a text is turned into (text, entities) here, with gramjs's own parsers
 * when the AI asked for `markdown` or `html`, and the gateway sends exactly that pair with the raw MTProto call.
 * `plain` is byte for byte: the text unchanged and no entities.
 */
import { Api } from 'telegram';
import { HTMLParser } from 'telegram/extensions/html.js';
import { MarkdownParser } from 'telegram/extensions/markdown.js';
import { returnBigInt } from 'telegram/Helpers.js';
import type { RenderedText, TextEntity, TextFormatName } from '../protocol/index.js';

/**
 * The text Telegram will show and its entities for `text` read as `format`: `plain` → unchanged, no entities;
 * `markdown` → gramjs's MarkdownParser (`**bold**`, `__italic__`, `~~strike~~`, `` `code` ``, ```` ```pre``` ````);
 * `html` → gramjs's HTMLParser (`<b>`, `<i>`, `<u>`, `<s>`, `<code>`, `<pre>`, `<blockquote>`, `<spoiler>`,
 * `<a href>`, `<tg-emoji>`; HTML character references decoded; surrounding whitespace trimmed as gramjs does).
 * Offsets and lengths are in UTF-16 code units (Telegram's rule). Pure: no network, no client.
 */
export function renderText(text: string, format: TextFormatName): RenderedText {
  if (format === 'plain') return { text, entities: [] };
  const [rendered, entities] = format === 'markdown' ? MarkdownParser.parse(text) : HTMLParser.parse(text);
  return { text: rendered, entities: fromApiEntities(entities) };
}

/**
 * Telegram entities (from a parser or from a message Telegram stored) as the tools report them. Entities with an
 * unknown shape are kept by kind, offset and length only; negative or non-numeric spans are dropped.
 */
export function fromApiEntities(entities: readonly Api.TypeMessageEntity[] | undefined): TextEntity[] {
  const out: TextEntity[] = [];
  for (const e of entities ?? []) {
    if (!Number.isInteger(e.offset) || !Number.isInteger(e.length) || e.offset < 0 || e.length < 0) continue;
    const entity: TextEntity = { type: entityType(e.className), offset: e.offset, length: e.length };
    if (e instanceof Api.MessageEntityTextUrl) entity.url = e.url;
    if (e instanceof Api.MessageEntityPre && e.language) entity.language = e.language;
    if (e instanceof Api.MessageEntityCustomEmoji) entity.document_id = e.documentId.toString();
    out.push(entity);
  }
  return out;
}

/** Entity kinds the bridge sends, by `type`, with how to build the MTProto object. */
const OUTGOING: Record<string, (e: TextEntity) => Api.TypeMessageEntity> = {
  bold: (e) => new Api.MessageEntityBold(span(e)),
  italic: (e) => new Api.MessageEntityItalic(span(e)),
  underline: (e) => new Api.MessageEntityUnderline(span(e)),
  strike: (e) => new Api.MessageEntityStrike(span(e)),
  code: (e) => new Api.MessageEntityCode(span(e)),
  pre: (e) => new Api.MessageEntityPre({ ...span(e), language: e.language ?? '' }),
  text_url: (e) => new Api.MessageEntityTextUrl({ ...span(e), url: e.url ?? '' }),
  email: (e) => new Api.MessageEntityEmail(span(e)),
  blockquote: (e) => new Api.MessageEntityBlockquote(span(e)),
  spoiler: (e) => new Api.MessageEntitySpoiler(span(e)),
  custom_emoji: (e) =>
    new Api.MessageEntityCustomEmoji({ ...span(e), documentId: returnBigInt(e.document_id ?? '0') }),
};

/**
 * The MTProto entities for a rendered text, to send with it.
 * @throws RangeError for a kind the bridge does not send (e.g. `mention_name`), or a custom emoji without a
 *   numeric document id — never produced by {@link renderText}.
 */
export function toApiEntities(entities: readonly TextEntity[]): Api.TypeMessageEntity[] {
  return entities.map((e) => {
    const build = OUTGOING[e.type];
    if (!build) throw new RangeError(`entity kind "${e.type}" is not sent by the bridge`);
    if (e.type === 'custom_emoji' && !/^\d{1,20}$/.test(e.document_id ?? '')) {
      throw new RangeError('a custom emoji entity needs a numeric document id');
    }
    return build(e);
  });
}

/**
 * One line per entity that changes more than looks, for the approval: where each link points, and which
 * custom emoji are used. Empty when there are none. Texts are quoted as they render (`link "click" → https://…`).
 */
export function describeEntities(rendered: RenderedText): string[] {
  const lines: string[] = [];
  for (const e of rendered.entities) {
    const covered = rendered.text.slice(e.offset, e.offset + e.length);
    if (e.type === 'text_url') lines.push(`link "${covered}" → ${e.url ?? ''}`);
    else if (e.type === 'custom_emoji') lines.push(`custom emoji "${covered}" (#${e.document_id ?? '?'})`);
  }
  return lines;
}

function span(e: TextEntity): { offset: number; length: number } {
  return { offset: e.offset, length: e.length };
}

/** `MessageEntityTextUrl` → `text_url`, `MessageEntityBold` → `bold`. */
function entityType(className: string): string {
  const name = className.replace(/^(Input)?MessageEntity/, '') || 'unknown';
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z_]/g, '')
    .slice(0, 32);
}

/**
 * The `format` argument of the tools that send text (send_message, edit_message, send_media captions; issue 8
 * §3): the text is rendered on the device before the person is asked, the approval shows the rendered text, and
 * the same rendering is sent — also for text the person edited in the prompt.
 */
import { type RenderedText, type TextFormatName, ToolError, ToolErrorCode } from '../protocol/index.js';
import { describeEntities, renderText } from '../telegram/formatting.js';

/**
 * `text` read as `format`, ready to send.
 * @param field the argument name errors point at (`text`, `caption`).
 * @param allowEmpty true for captions (a file may go without one).
 * @throws ToolError `invalid_arguments` naming `field` when the formatted text is empty (e.g. `****`).
 */
export function renderArgument(
  text: string,
  format: TextFormatName,
  field: string,
  allowEmpty = false,
): RenderedText {
  const rendered = renderText(text, format);
  if (!allowEmpty && rendered.text.trim() === '') {
    throw new ToolError(
      ToolErrorCode.invalidArguments,
      `${field}: read as ${format}, this text shows nothing in Telegram; send it with format "plain" or add words`,
    );
  }
  return rendered;
}

/**
 * What the approval shows of a formatted text, as the `renderedText` and `renderedLinks` of a pending write: the
 * rendered text, and apart from it one line per link target and custom emoji (a link's address is not visible in
 * the rendered text; kept apart so the text cannot imitate one). Empty for `plain` (the text itself is shown).
 */
export function renderedForApproval(
  rendered: RenderedText,
  format: TextFormatName,
): { renderedText?: string; renderedLinks?: string[] } {
  if (format === 'plain') return {};
  const links = describeEntities(rendered);
  return links.length > 0 ? { renderedText: rendered.text, renderedLinks: links } : { renderedText: rendered.text };
}

/** The `format` and `rendered` fields of a result: present only for markdown/html. */
export function formatFields(
  format: TextFormatName,
  rendered: RenderedText | undefined,
): { format?: TextFormatName; rendered?: RenderedText } {
  if (format === 'plain' || rendered === undefined) return {};
  return { format, rendered };
}

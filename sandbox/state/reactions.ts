/**
 * Message reactions: which emoji Telegram offers every account (the non-premium set of
 * messages.getAvailableReactions), and how many one account may put on one message.
 */

/**
 * The standard emoji reactions, spelled as Telegram's `reactionEmoji.emoticon` carries them (the heart is
 * U+2764 without a variation selector). Anything else is refused with REACTION_INVALID.
 */
export const STANDARD_REACTIONS: readonly string[] = [
  '👍', '👎', '❤', '🔥', '🥰', '👏', '😁', '🤔', '🤯', '😱', '🤬', '😢', '🎉', '🤩', '🤮', '💩', '🙏', '👌',
  '🕊', '🤡', '🥱', '🥴', '😍', '🐳', '❤‍🔥', '🌚', '🌭', '💯', '🤣', '⚡', '🍌', '🏆', '💔', '🤨', '😐', '🍓',
  '🍾', '💋', '🖕', '😈', '😴', '😭', '🤓', '👻', '👨‍💻', '👀', '🎃', '🙈', '😇', '😨', '🤝', '✍', '🤗', '🫡',
  '🎅', '🎄', '☃', '💅', '🤪', '🗿', '🆒', '💘', '🙉', '🦄', '😘', '💊', '🙊', '😎', '👾', '🤷‍♂', '🤷', '🤷‍♀',
  '😡',
];

const STANDARD = new Set(STANDARD_REACTIONS);

/** Reactions one non-premium account may put on one message (Telegram's `reactions_user_max_default`). */
export const MAX_REACTIONS_PER_USER = 1;

/**
 * The reaction as Telegram knows it, or undefined when it is not a standard one. Accepts the common spelling
 * with a trailing variation selector (U+FE0F), e.g. "❤️", and returns Telegram's ("❤").
 */
export function standardReaction(emoji: string): string | undefined {
  if (STANDARD.has(emoji)) return emoji;
  const bare = emoji.replace(/\uFE0F/g, '');
  return STANDARD.has(bare) ? bare : undefined;
}

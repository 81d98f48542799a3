/**
 * Telegram-originated strings that reach the AI *unwrapped* because they are typed values, not prose
 * (issue 8 §5 "Content boundary without gaps"): each is strictly validated here, and anything that does not
 * fit its type is replaced (MIME type, media kind) or wrapped like any other untrusted text (username). Every
 * other Telegram-originated string goes through `wrapUntrusted` / `wrapTitle` in boundary.ts.
 */
import { wrapTitle } from './boundary.js';

/** MIME type given when Telegram's is missing or not a bare `type/subtype` token. */
export const FALLBACK_MIME_TYPE = 'application/octet-stream';

/**
 * One RFC 6838 §4.2 `restricted-name`: a letter or digit, then up to 126 of letters, digits and
 * `! # $ & - ^ _ . +`.
 */
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MIME_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/**
 * A MIME type the AI may read as a plain value: Telegram's `mime_type`, lower-cased, when it is exactly a bare
 * `type/subtype` of RFC 6838 restricted-name characters (no parameters, spaces, quotes, angle brackets, control
 * characters); otherwise {@link FALLBACK_MIME_TYPE}.
 */
export function safeMimeType(raw: string | undefined): string {
  return raw !== undefined && MIME_TYPE.test(raw) ? raw.toLowerCase() : FALLBACK_MIME_TYPE;
}

/**
 * Telegram usernames: a letter, then letters, digits or underscores, 3–32 characters in all (5–32 for people
 * and bots, 4 for some collectible names; 3 leaves room without letting anything but the alphabet through).
 */
const USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,31}$/;

/**
 * A username the AI may read as a plain value (and pass back as `@username`): unchanged when it is a valid
 * Telegram username, otherwise wrapped in the untrusted-content boundary like a title; null stays null.
 * @param peerTag the redacted peer (`redactPeer(ref)`) the username belongs to.
 */
export function safeUsername(raw: string | null, peerTag: string): string | null {
  if (raw === null) return null;
  return USERNAME.test(raw) ? raw : wrapTitle(raw, { peer: peerTag });
}

/** A media kind name (`photo`, `document`, `geo`, …): lower-case letters and underscores, else `unknown`. */
export function safeKindName(raw: string): string {
  return /^[a-z_]{1,32}$/.test(raw) ? raw : 'unknown';
}

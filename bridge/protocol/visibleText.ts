/**
 * Hidden characters made visible (issue 8 §1): what an approval shows of any string that came from outside — AI
 * arguments, the MCP client's name, Telegram titles and names, file names. A person must see exactly what will
 * be sent, so nothing may move the cursor, recolour or rewrite the terminal, reorder text, or hide characters:
 *
 * - C0 controls and DEL become Unicode control pictures (`␛` for ESC, `␈` for backspace, `␀` …); CR is `\r`
 *   and TAB `\t` (a TAB is visible whitespace, so it alone raises no flag); LF is kept in multi-line text
 *   and shown as `\n` in a single line.
 * - C1 controls (U+0080–U+009F), bidi marks, overrides and isolates (U+061C, U+200E/F, U+202A–E, U+2066–9),
 *   zero-width and invisible characters (U+200B–D, U+2060–4, U+FEFF, U+00AD, U+034F, U+180E, Hangul fillers),
 *   line/paragraph separators, interlinear annotation marks, tag characters (U+E0000–E007F), supplementary
 *   variation selectors (U+E0100–E01EF), Mongolian variation selectors, every other Unicode format character
 *   (general category Cf: Arabic number signs, hieroglyph and musical format controls …), runs of variation
 *   selectors and lone surrogates become `⟨U+XXXX⟩`.
 * - A run of more than 4 combining marks (a "Zalgo" flood, which draws over the lines above and below it) keeps
 *   its first 4; the rest become `⟨U+XXXX⟩`. Real scripts stack fewer (Vietnamese 2, pointed Hebrew 3).
 * - Kept as they are, because they are visible parts of ordinary text: a zero-width joiner between two emoji
 *   (👩‍💻) and one variation selector after a character (❤️).
 *
 * Browser-safe (no Node imports): the desktop popup and the web UI use the same function.
 */

/** The result of {@link visibleText}. */
export interface VisibleText {
  /** The display-safe text. */
  text: string;
  /** True when a hidden character (anything escaped other than TAB, or LF in multi-line text) was found. */
  hidden: boolean;
  /** True when the text was cut to `maxLength` (an ellipsis `…` was appended). */
  truncated: boolean;
}

/** Options of {@link visibleText}. */
export interface VisibleTextOptions {
  /** Keep line feeds as line breaks (message text, captions). Default false: one line (titles, names). */
  multiline?: boolean;
  /** Cap on the escaped text, in code points (the ellipsis not counted); default no cap. */
  maxLength?: number;
}

/** Characters escaped as `⟨U+XXXX⟩` wherever they appear (besides the controls handled separately). */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/u;
/** Unicode format characters (Cf) and the Mongolian free variation selectors (Mn, invisible). */
const FORMAT = /[\p{Cf}\u180B-\u180D\u180F]/u;
const COMBINING = /\p{M}/u;
/** Combining marks kept in a row on one character (see the module comment). */
const MAX_COMBINING_RUN = 4;
/** Anything {@link escapeOne} might change (a superset): text without any is returned as it is. */
const MAY_ESCAPE =
  /[\u0000-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB\uD800-\uDFFF]|[\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]|[\p{Cf}\u180B-\u180D\u180F]|\p{M}{5}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const EMOJI_MODIFIER = /[\u{1F3FB}-\u{1F3FF}\uFE0F\u20E3]/u;
const VARIATION_SELECTOR = /[\uFE00-\uFE0F]/;

/**
 * Makes every hidden character of `raw` visible (see the module comment for the exact rules).
 * @param raw any string (lone surrogates included); a non-string is converted with `String`.
 * @returns the display-safe text, whether anything hidden was found, and whether it was cut.
 * @throws RangeError when `maxLength` is given and is not a non-negative integer.
 */
export function visibleText(raw: string, opts: VisibleTextOptions = {}): VisibleText {
  const max = opts.maxLength;
  if (max !== undefined && !(Number.isInteger(max) && max >= 0)) {
    throw new RangeError(`visibleText: maxLength must be a non-negative integer, got ${max}`);
  }
  const str = String(raw);
  if (!MAY_ESCAPE.test(str) && (max === undefined || str.length <= max)) {
    return { text: str, hidden: false, truncated: false };
  }
  const points = codePoints(str);
  const out: string[] = [];
  let hidden = false;
  let length = 0;
  let truncated = false;
  for (let i = 0; i < points.length; i++) {
    const ch = points[i]!;
    const shown = escapeOne(points, i, opts.multiline === true);
    if (shown !== ch && ch !== '\t') hidden = true;
    const n = shown === ch ? 1 : [...shown].length;
    if (max !== undefined && length + n > max) {
      truncated = true;
      // Keep scanning for hidden characters so the flag covers the whole string, not only the part shown.
      for (let j = i; j < points.length && !hidden; j++) {
        const c = points[j]!;
        if (escapeOne(points, j, opts.multiline === true) !== c && c !== '\t') hidden = true;
      }
      break;
    }
    out.push(shown);
    length += n;
  }
  return { text: out.join('') + (truncated ? '…' : ''), hidden, truncated };
}

/** True when `raw` holds any character {@link visibleText} would escape (TAB and multi-line LF excepted). */
export function hasHiddenCharacters(raw: string, opts: { multiline?: boolean } = {}): boolean {
  return visibleText(raw, opts.multiline ? { multiline: true } : {}).hidden;
}

/** Code points, with lone surrogates kept as single units (Array.from keeps them). */
function codePoints(s: string): string[] {
  return Array.from(s);
}

function escapeOne(points: string[], i: number, multiline: boolean): string {
  const ch = points[i]!;
  const cp = ch.codePointAt(0)!;
  if (cp === 0x0a) return multiline ? ch : '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp === 0x09) return '\\t';
  if (cp < 0x20) return String.fromCodePoint(0x2400 + cp);
  if (cp === 0x7f) return '\u2421';
  if (cp >= 0x80 && cp <= 0x9f) return code(cp);
  if (cp >= 0xd800 && cp <= 0xdfff) return code(cp);
  if (cp === 0x200d) return joinsEmoji(points, i) ? ch : code(cp);
  if (VARIATION_SELECTOR.test(ch)) {
    const prev = points[i - 1];
    return prev !== undefined && !VARIATION_SELECTOR.test(prev) && !isEscapedAlone(prev) ? ch : code(cp);
  }
  if (INVISIBLE.test(ch) || FORMAT.test(ch)) return code(cp);
  if (COMBINING.test(ch) && combiningRunBefore(points, i) >= MAX_COMBINING_RUN) return code(cp);
  return ch;
}

/** How many combining marks come right before `points[i]`, counted up to {@link MAX_COMBINING_RUN}. */
function combiningRunBefore(points: string[], i: number): number {
  let n = 0;
  for (let j = i - 1; j >= 0 && n < MAX_COMBINING_RUN && COMBINING.test(points[j]!); j--) n++;
  return n;
}

/** A ZWJ inside an emoji sequence: an emoji (maybe with modifiers) before it and an emoji after it. */
function joinsEmoji(points: string[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && EMOJI_MODIFIER.test(points[j]!)) j--;
  const before = points[j];
  const after = points[i + 1];
  return before !== undefined && after !== undefined && PICTOGRAPHIC.test(before) && PICTOGRAPHIC.test(after);
}

/** Characters after which a variation selector is never legitimate (it would ride on something escaped). */
function isEscapedAlone(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || INVISIBLE.test(ch) || FORMAT.test(ch) || cp === 0x200d;
}

function code(cp: number): string {
  return `⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** Scripts whose letters look alike (Latin `o`, Cyrillic `о`, Greek `ο`): one word should use only one. */
const LOOKALIKE_SCRIPTS: ReadonlyArray<[name: string, letter: RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
];

/**
 * The lookalike scripts (Latin, Cyrillic, Greek) that one word of `raw` mixes — `Mоm` with a Cyrillic `о` gives
 * `['Latin', 'Cyrillic']` — or an empty array when every word keeps to one (`Алиса Smith` is fine). Words are
 * runs of letters and combining marks. Used to flag a name that may imitate another (issue 8 §1).
 */
export function mixedScripts(raw: string): string[] {
  const found = new Set<string>();
  for (const word of String(raw).match(/[\p{L}\p{M}]+/gu) ?? []) {
    const scripts = LOOKALIKE_SCRIPTS.filter(([, re]) => re.test(word)).map(([name]) => name);
    if (scripts.length > 1) for (const s of scripts) found.add(s);
  }
  return LOOKALIKE_SCRIPTS.map(([name]) => name).filter((n) => found.has(n));
}

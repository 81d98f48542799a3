/** visibleText: every hidden character of an outside string becomes a visible escape and raises the flag. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { visibleText } from '../../../bridge/protocol/visibleText.js';

/** Anything a terminal would act on or a reader would not see: C0 (but LF/TAB), DEL, C1, bidi, zero-width, tags. */
const RAW_HIDDEN =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u200B\u200C\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]|[\uD800-\uDFFF]/u;

describe('visibleText', () => {
  it('shows ESC, CR, backspace and other C0 controls as visible escapes and raises the flag', () => {
    const v = visibleText('ok\u001b[2J\rfake\bX\u0000\u007f');
    expect(v.text).toBe('ok␛[2J\\rfake␈X␀␡');
    expect(v.hidden).toBe(true);
  });

  it('shows bidi overrides and isolates, zero-width, tag and C1 characters as ⟨U+XXXX⟩', () => {
    expect(visibleText('invoice\u202Efdp.exe').text).toBe('invoice⟨U+202E⟩fdp.exe');
    expect(visibleText('a\u2066b\u2069c\u200Bd\u2060e\uFEFF').text).toBe('a⟨U+2066⟩b⟨U+2069⟩c⟨U+200B⟩d⟨U+2060⟩e⟨U+FEFF⟩');
    expect(visibleText('x\u{E0041}\u{E0042}').text).toBe('x⟨U+E0041⟩⟨U+E0042⟩');
    expect(visibleText('a\u009b31mb\u0085').text).toBe('a⟨U+009B⟩31mb⟨U+0085⟩');
    expect(visibleText('lone \uD800 surrogate').text).toBe('lone ⟨U+D800⟩ surrogate');
  });

  it('shows every Unicode format character (Cf), not only a fixed list: Arabic number signs, hieroglyph and musical format controls', () => {
    for (const cp of [0x0600, 0x06dd, 0x070f, 0x0890, 0x08e2, 0x110bd, 0x13430, 0x1bca0, 0x1d173, 0x180b]) {
      const v = visibleText(`a${String.fromCodePoint(cp)}b`);
      expect(v.text, cp.toString(16)).toBe(`a⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩b`);
      expect(v.hidden).toBe(true);
    }
  });

  it('a flood of combining marks (which draws over the lines around it) keeps 4 marks and shows the rest escaped', () => {
    const zalgo = `Mom${'\u0301'.repeat(40)}`;
    const v = visibleText(zalgo);
    expect(v.text).toBe(`Mom${'\u0301'.repeat(4)}${'⟨U+0301⟩'.repeat(36)}`);
    expect(v.hidden).toBe(true);
    expect(visibleText(v.text).text).toBe(v.text);
    // Ordinary accents and stacked marks of real scripts stay as they are.
    for (const ok of ['é', 'ệ', 'שָׁלוֹם', 'क्षत्रिय', 'Ặ']) expect(visibleText(ok), ok).toEqual({ text: ok, hidden: false, truncated: false });
  });

  it('keeps ordinary text, emoji sequences and one variation selector; LF only in multi-line text', () => {
    for (const ok of ['Grüße, Алиса! 你好', '👩‍💻 and 👨‍👩‍👧', '❤️ 1️⃣', 'tab\there']) {
      const v = visibleText(ok);
      expect(v.text, ok).toBe(ok.replace('\t', '\\t'));
      expect(v.hidden, ok).toBe(false);
    }
    expect(visibleText('a\nb', { multiline: true })).toEqual({ text: 'a\nb', hidden: false, truncated: false });
    expect(visibleText('a\nb')).toEqual({ text: 'a\\nb', hidden: true, truncated: false });
    // A run of variation selectors can carry hidden data ("emoji smuggling"): only the first one stays.
    expect(visibleText('😀\uFE0F\uFE01\uFE02').text).toBe('😀\uFE0F⟨U+FE01⟩⟨U+FE02⟩');
    // A ZWJ that joins no emoji is hidden.
    expect(visibleText('pay\u200Dpal').text).toBe('pay⟨U+200D⟩pal');
  });

  it('caps at maxLength code points with an ellipsis, and still flags hidden characters beyond the cap', () => {
    expect(visibleText('abcdef', { maxLength: 3 })).toEqual({ text: 'abc…', hidden: false, truncated: true });
    expect(visibleText(`${'a'.repeat(70)}\u202E`, { maxLength: 64 })).toMatchObject({ hidden: true, truncated: true });
    expect(() => visibleText('x', { maxLength: -1 })).toThrow(RangeError);
  });

  it('property: no raw hidden character survives, and a string without any comes back unchanged', () => {
    const anyChar = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 64 }),
      fc.string({ unit: fc.constantFrom('\u001b', '\r', '\b', '\u202e', '\u2066', '\u200b', '\u200d', '\ufe0f', '\u0085', '\n', 'a', '😀', '\u{E0041}'), maxLength: 64 }),
    );
    fc.assert(
      fc.property(anyChar, fc.boolean(), (s, multiline) => {
        const v = visibleText(s, { multiline });
        expect(v.text).not.toMatch(RAW_HIDDEN);
        if (!multiline) expect(v.text).not.toContain('\n');
        if (!v.hidden) expect(v.text).toBe(s.replace(/\t/g, '\\t'));
        // Escaping is stable: the display form of a display form is itself.
        expect(visibleText(v.text, { multiline }).text).toBe(v.text);
      }),
      { numRuns: 300 },
    );
  });
});

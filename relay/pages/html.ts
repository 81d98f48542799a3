/**
 * The relay's HTML pages (sign-in, consent, account, device pairing): escaping, one layout, and the security
 * headers every page carries (no framing, no scripts, forms only to this relay — plus, on the consent page,
 * the client's redirect origin, since the browser follows the redirect that ends a form post).
 */
import type { Response } from 'express';

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Makes invisible and direction-changing characters visible, so a client name cannot disguise itself. */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, (c) =>
    `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}form{margin:1rem 0}input[type=text],input[type=password]{display:block;width:100%;padding:.5rem;margin:.25rem 0 1rem;box-sizing:border-box}
button{padding:.5rem 1.2rem;margin-right:.5rem}.note{color:#555;font-size:.9rem}.err{color:#a00}code{background:#eee;padding:0 .2rem}
table{border-collapse:collapse;width:100%}td{padding:.3rem;border-bottom:1px solid #ddd;vertical-align:top}`;

/**
 * Sends one page with status `status` and the security headers.
 * @param body HTML already escaped by the caller (use {@link esc} for every value).
 * @param formTargets extra origins forms may post to or be redirected to (CSP `form-action`).
 */
export function sendPage(res: Response, status: number, title: string, body: string, formTargets: string[] = []): void {
  const formAction = ["'self'", ...formTargets].join(' ');
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>${esc(title)} · tg-relay</title><style>${STYLE}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`,
    );
}

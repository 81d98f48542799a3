/**
 * Browser sessions on the relay's pages. The session cookie (`HttpOnly`, `SameSite=Lax`, `Secure` on
 * https, 12 h) holds a random token; the store keeps its digest. CSRF: every form of a signed-in page carries
 * HMAC-SHA256(session token, "csrf"), recomputed and compared in constant time on post; the sign-in form,
 * before any session exists, uses a double-submit cookie. Posts whose `Origin` is not the relay's are refused
 * as well.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { hashToken, newToken, safeEqual } from '../auth.js';
import type { RelayClock } from '../clock.js';
import type { RelayStore } from '../store/relayStore.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'tgr_session';
/** Name of the sign-in form's double-submit CSRF cookie. */
export const SIGNIN_CSRF_COOKIE = 'tgr_signin';
/** How long a sign-in lasts, in ms. */
export const WEB_SESSION_TTL_MS = 12 * 60 * 60_000;

/** Reads one cookie from the request (RFC 6265 `Cookie` header); undefined when absent. */
export function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A signed-in browser: whose, and the CSRF token its forms must carry. */
export interface SignedIn {
  userId: string;
  csrf: string;
  sessionToken: string;
}

/** Sessions of the relay's pages, on the store. */
export class WebSessions {
  constructor(
    private readonly store: RelayStore,
    private readonly clock: RelayClock,
    private readonly publicUrl: URL,
  ) {}

  private cookieAttributes(maxAgeS: number): string {
    const secure = this.publicUrl.protocol === 'https:' ? '; Secure' : '';
    return `; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure}`;
  }

  /** CSRF token of a session: derived from the session token, never stored. */
  static csrfOf(sessionToken: string): string {
    return createHmac('sha256', sessionToken).update('csrf').digest('base64url');
  }

  /** The signed-in user of this request, or undefined. */
  async current(req: Request): Promise<SignedIn | undefined> {
    const token = cookie(req, SESSION_COOKIE);
    if (!token || !/^[\x21-\x7e]{1,200}$/.test(token)) return undefined;
    const session = await this.store.findWebSession(hashToken(token), this.clock.now());
    return session ? { userId: session.userId, csrf: WebSessions.csrfOf(token), sessionToken: token } : undefined;
  }

  /** Starts a session for `userId` and sets its cookie. */
  async start(res: Response, userId: string): Promise<void> {
    const token = newToken('ws');
    const now = this.clock.now();
    await this.store.insertWebSession({
      sessionHash: hashToken(token),
      userId,
      csrfHash: hashToken(WebSessions.csrfOf(token)),
      createdAt: now,
      expiresAt: now + WEB_SESSION_TTL_MS,
    });
    res.append('Set-Cookie', `${SESSION_COOKIE}=${token}${this.cookieAttributes(WEB_SESSION_TTL_MS / 1000)}`);
  }

  /** Ends the request's session and clears its cookie. */
  async end(req: Request, res: Response): Promise<void> {
    const token = cookie(req, SESSION_COOKIE);
    if (token) await this.store.deleteWebSession(hashToken(token));
    res.append('Set-Cookie', `${SESSION_COOKIE}=${this.cookieAttributes(0)}`);
  }

  /** A fresh double-submit token for the sign-in form; sets its cookie. */
  signinCsrf(res: Response): string {
    const token = randomBytes(24).toString('base64url');
    res.append('Set-Cookie', `${SIGNIN_CSRF_COOKIE}=${token}${this.cookieAttributes(3_600)}`);
    return token;
  }

  /** Whether a post's `Origin` (when the browser sent one) is this relay. */
  sameOrigin(req: Request): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === this.publicUrl.origin;
  }

  /** Checks the CSRF field of a signed-in form post. */
  static checkCsrf(signedIn: SignedIn, presented: unknown): boolean {
    return typeof presented === 'string' && safeEqual(presented, signedIn.csrf);
  }

  /** Checks the sign-in form's double-submit token against its cookie. */
  static checkSigninCsrf(req: Request, presented: unknown): boolean {
    const expected = cookie(req, SIGNIN_CSRF_COOKIE);
    return typeof presented === 'string' && expected !== undefined && safeEqual(presented, expected);
  }
}

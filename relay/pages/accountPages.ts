/**
 * The relay's pages for people: sign in (password + optional TOTP, throttled per address and account),
 * the OAuth consent page that ends in the device's own approval (custody rule 7), and the account page
 * (devices, OAuth clients and personal access tokens: see and revoke; create a personal access token).
 * Every form is CSRF-protected (see webSession.ts) and every page carries the security headers (html.ts).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ClientScope } from '../../bridge/protocol/index.js';
import { hashToken, newToken } from '../auth.js';
import { checkTotp } from '../accounts/totp.js';
import { verifyPassword } from '../accounts/passwordHash.js';
import type { CallRouter } from '../callRouter.js';
import type { RelayClock } from '../clock.js';
import type { McpEndpoint } from '../mcpEndpoint.js';
import { clientDisplayName, type RelayOAuthProvider } from '../oauth/provider.js';
import { type RelayStore, tokenRecord } from '../store/relayStore.js';
import { clientAddress } from '../clientAddress.js';
import type { FailureThrottle } from '../throttle.js';
import { esc, sendPage, visible } from './html.js';
import { type SignedIn, WebSessions } from './webSession.js';

/** What the pages work with. */
export interface AccountPagesOptions {
  store: RelayStore;
  clock: RelayClock;
  provider: RelayOAuthProvider;
  router: CallRouter;
  mcp: McpEndpoint;
  sessions: WebSessions;
  /** Failed sign-ins, keyed `ip:<address>` and `user:<id>`. */
  signinThrottle: FailureThrottle;
  publicUrl: URL;
  /** How long the consent page waits for the device's answer, in ms. */
  deviceConsentTimeoutMs: number;
  logger: Logger;
}

/** One line describing a device-chosen scope, e.g. "read + ask-to-write, 2 chosen chats". */
export function describeScope(scope: ClientScope): string {
  const access = scope.access === 'read' ? 'read-only' : 'read + ask-to-write';
  const chats = scope.chats === 'all' ? 'all chats' : `${scope.chats.length} chosen chat${scope.chats.length === 1 ? '' : 's'}`;
  return `${access}, ${chats}`;
}

const SigninForm = z.object({
  user: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
  totp: z.string().max(16).optional(),
  csrf: z.string().max(200),
  next: z.string().max(2048).optional(),
});

/** Only same-site relative paths may be a sign-in's `next` (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/[^/\\]/.test(next) ? next : '/account';
}

function addressOf(req: Request): string {
  return clientAddress(req);
}

/** Builds the pages' router (mounted at the root). */
export function accountPages(options: AccountPagesOptions): Router {
  const { store, clock, provider, router, mcp, sessions, signinThrottle, publicUrl, logger } = options;
  const pages = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });

  const signinPage = (res: Response, status: number, next: string, error?: string) => {
    const csrf = sessions.signinCsrf(res);
    sendPage(
      res,
      status,
      'Sign in to your relay',
      `${error ? `<p class="err">${esc(error)}</p>` : ''}
      <form method="post" action="/signin">
        <input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="next" value="${esc(next)}">
        <label>User <input type="text" name="user" autocomplete="username" required></label>
        <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
        <label>Authenticator code (if you set one up) <input type="text" name="totp" inputmode="numeric" autocomplete="one-time-code"></label>
        <button type="submit">Sign in</button>
      </form>`,
    );
  };

  /** The signed-in user, or a sign-in page (returns undefined) that comes back to this URL. */
  const requireSignIn = async (req: Request, res: Response): Promise<SignedIn | undefined> => {
    const signedIn = await sessions.current(req);
    if (!signedIn) signinPage(res, 200, req.originalUrl);
    return signedIn;
  };

  /** Checks a signed-in form post: origin, session and CSRF field. Answers 403 itself when it fails. */
  const checkPost = async (req: Request, res: Response): Promise<SignedIn | undefined> => {
    const signedIn = await sessions.current(req);
    const body = req.body as Record<string, unknown> | undefined;
    if (!signedIn || !sessions.sameOrigin(req) || !WebSessions.checkCsrf(signedIn, body?.csrf)) {
      sendPage(res, 403, 'Request refused', '<p>This form expired or did not come from this relay. Go back, reload the page and try again.</p>');
      return undefined;
    }
    return signedIn;
  };

  pages.get('/signin', (req, res) => signinPage(res, 200, safeNext(String(req.query.next ?? ''))));

  pages.post('/signin', form, async (req, res) => {
    const parsed = SigninForm.safeParse(req.body);
    const next = safeNext(parsed.success ? parsed.data.next : undefined);
    if (!parsed.success || !sessions.sameOrigin(req) || !WebSessions.checkSigninCsrf(req, parsed.data.csrf)) {
      signinPage(res, 403, next, 'The form expired. Please sign in again.');
      return;
    }
    const { user, password, totp } = parsed.data;
    const keys = [`ip:${addressOf(req)}`, `user:${user}`];
    const wait = signinThrottle.retryAfterSeconds(keys);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      signinPage(res, 429, next, `Too many failed sign-ins. Try again in ${wait} s.`);
      return;
    }
    const account = await store.getUser(user);
    const passwordOk = await verifyPassword(password, account?.passwordHash ?? null);
    const totpOk = !account?.totpSecret || checkTotp(account.totpSecret, (totp ?? '').trim(), clock.now());
    if (!account || !passwordOk || !totpOk) {
      signinThrottle.fail(keys);
      logger.info({ path: '/signin' }, 'sign-in failed');
      signinPage(res, 401, next, 'Wrong user, password or authenticator code.');
      return;
    }
    signinThrottle.clear(`user:${user}`);
    await sessions.start(res, account.id);
    logger.info({ userId: account.id }, 'signed in');
    res.redirect(303, next);
  });

  pages.post('/signout', form, async (req, res) => {
    if (!(await checkPost(req, res))) return;
    await sessions.end(req, res);
    res.redirect(303, '/signin');
  });

  pages.get('/oauth/consent', async (req, res) => {
    const id = String(req.query.request ?? '');
    const parked = await provider.parkedRequest(id);
    if (!parked) {
      sendPage(res, 400, 'This request expired', '<p>Start connecting again from your AI app.</p>');
      return;
    }
    const signedIn = await requireSignIn(req, res);
    if (!signedIn) return;
    const name = visible(clientDisplayName(parked.client));
    const redirect = new URL(parked.params.redirectUri);
    sendPage(
      res,
      200,
      'Allow access to your Telegram?',
      `<p><strong>${esc(name)}</strong> wants to use your Telegram through this relay (${esc(publicUrl.host)}),
      signed in as <strong>${esc(signedIn.userId)}</strong>. It will return to <code>${esc(redirect.origin)}</code>.</p>
      <p class="note">After you allow it here, your tg-bridge app asks you too, and there you choose what it may do:
      read only, or read and ask to write (every write still waits for you), in all chats or chosen ones.</p>
      <form method="post" action="/oauth/consent">
        <input type="hidden" name="csrf" value="${esc(signedIn.csrf)}"><input type="hidden" name="request" value="${esc(id)}">
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny">Deny</button>
      </form>`,
      [redirect.origin],
    );
  });

  pages.post('/oauth/consent', form, async (req, res) => {
    const signedIn = await checkPost(req, res);
    if (!signedIn) return;
    const body = req.body as Record<string, unknown>;
    const id = String(body.request ?? '');
    const parked = await provider.parkedRequest(id);
    if (!parked) {
      sendPage(res, 400, 'This request expired', '<p>Start connecting again from your AI app.</p>');
      return;
    }
    if (body.decision !== 'allow') {
      res.redirect(303, (await provider.completeAuthorization(id, null))!);
      return;
    }
    const clientName = clientDisplayName(parked.client);
    const outcome = await router.askClientConsent(
      signedIn.userId,
      { clientId: parked.client.client_id, clientName, relay: publicUrl.origin },
      options.deviceConsentTimeoutMs,
    );
    if (!outcome.approved && outcome.offline) {
      sendPage(
        res,
        503,
        'Your device must approve this too',
        `<p>${esc(outcome.reason)} Start the tg-bridge app on your computer, then allow again.</p>
        <form method="post" action="/oauth/consent">
          <input type="hidden" name="csrf" value="${esc(signedIn.csrf)}"><input type="hidden" name="request" value="${esc(id)}">
          <button type="submit" name="decision" value="allow">Allow again</button>
          <button type="submit" name="decision" value="deny">Deny</button>
        </form>`,
        [new URL(parked.params.redirectUri).origin],
      );
      return;
    }
    logger.info({ userId: signedIn.userId, approved: outcome.approved }, 'device decided on an OAuth client');
    const target = outcome.approved
      ? await provider.completeAuthorization(id, { userId: signedIn.userId, deviceScope: describeScope(outcome.scope) })
      : await provider.completeAuthorization(id, null, `Denied on the device: ${outcome.reason}`.slice(0, 300));
    res.redirect(303, target!);
  });

  pages.get('/account', async (req, res) => {
    const signedIn = await requireSignIn(req, res);
    if (!signedIn) return;
    const now = clock.now();
    const [devices, grants, tokens] = await Promise.all([
      store.listDevices(signedIn.userId),
      store.listGrants(signedIn.userId),
      store.listTokens(signedIn.userId, ['personal'], now),
    ]);
    const revoke = (what: string, id: string) =>
      `<form method="post" action="/account/revoke"><input type="hidden" name="csrf" value="${esc(signedIn.csrf)}">` +
      `<input type="hidden" name="what" value="${what}"><input type="hidden" name="id" value="${esc(id)}"><button type="submit">Revoke</button></form>`;
    const rows = (items: string[]) => (items.length ? `<table>${items.join('')}</table>` : '<p class="note">None.</p>');
    sendPage(
      res,
      200,
      `Signed in as ${signedIn.userId}`,
      `<h2>Devices</h2>${rows(devices.map((d) => `<tr><td>${esc(visible(d.name))}<br><span class="note">paired ${new Date(d.createdAt).toISOString()}</span></td><td>${revoke('device', d.id)}</td></tr>`))}
      <p><a href="/pair">Pair a device</a></p>
      <h2>AI apps (OAuth clients)</h2>${rows(grants.map((g) => `<tr><td>${esc(visible(g.clientName ?? g.clientId))}<br><span class="note">${esc(g.deviceScope ?? '')}</span></td><td>${revoke('client', g.clientId)}</td></tr>`))}
      <h2>Personal access tokens</h2>${rows(tokens.map((t) => `<tr><td>${esc(visible(t.label ?? 'token'))}<br><span class="note">created ${new Date(t.createdAt).toISOString()}${t.source === 'config' ? ' · from the config file' : ''}</span></td><td>${t.source === 'config' ? '' : revoke('token', t.tokenHash)}</td></tr>`))}
      <form method="post" action="/account/tokens"><input type="hidden" name="csrf" value="${esc(signedIn.csrf)}">
        <label>New token for a CLI client, named <input type="text" name="label" maxlength="60" required></label><button type="submit">Create</button></form>
      <form method="post" action="/signout"><input type="hidden" name="csrf" value="${esc(signedIn.csrf)}"><button type="submit">Sign out</button></form>`,
    );
  });

  pages.post('/account/tokens', form, async (req, res) => {
    const signedIn = await checkPost(req, res);
    if (!signedIn) return;
    const label = z.string().trim().min(1).max(60).safeParse((req.body as Record<string, unknown>).label);
    if (!label.success) {
      sendPage(res, 400, 'Give the token a name', '<p>A name of 1–60 characters tells you later what the token is for.</p>');
      return;
    }
    const token = await createPersonalToken(store, signedIn.userId, label.data, clock.now());
    sendPage(
      res,
      201,
      'Personal access token created',
      `<p>Copy it now; it is shown only once. Send it as <code>Authorization: Bearer …</code> to <code>${esc(new URL('/mcp', publicUrl).href)}</code>.</p>
      <p><code>${esc(token)}</code></p><p><a href="/account">Back</a></p>`,
    );
  });

  pages.post('/account/revoke', form, async (req, res) => {
    const signedIn = await checkPost(req, res);
    if (!signedIn) return;
    const body = req.body as Record<string, unknown>;
    const id = String(body.id ?? '').slice(0, 200);
    const now = clock.now();
    let done = false;
    if (body.what === 'client') {
      done = await store.removeGrant(signedIn.userId, id, now);
      mcp.closeClientSessions(signedIn.userId, id);
    } else if (body.what === 'device') {
      done = await store.revokeDevice(signedIn.userId, id, now);
      router.disconnectDevice(signedIn.userId, id, 'this device was revoked on the relay; pair it again');
    } else if (body.what === 'token') {
      const owned = (await store.listTokens(signedIn.userId, ['personal'], now)).some((t) => t.tokenHash === id && t.source !== 'config');
      done = owned && (await store.revokeToken(id, now));
    }
    logger.info({ userId: signedIn.userId, what: String(body.what).slice(0, 10), done }, 'revoked on the account page');
    res.redirect(303, '/account');
  });

  return pages;
}

/**
 * Creates a personal access token (`tgr_pat_…`) for a CLI client of `userId`.
 * @returns the token, which is not stored (only its digest is) and must be shown to the person once.
 */
export async function createPersonalToken(store: RelayStore, userId: string, label: string, now: number): Promise<string> {
  const token = newToken('pat');
  await store.insertToken(tokenRecord({ tokenHash: hashToken(token), kind: 'personal', userId, label, createdAt: now }));
  return token;
}

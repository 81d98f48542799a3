/**
 * Test helpers for the relay's OAuth flow: an in-memory OAuthClientProvider for the MCP SDK client, a browser
 * with a cookie jar that signs in and consents on the relay's pages, accounts with argon2id passwords, and a
 * device made of the real device-side parts (RelayLink + ClientScopes) with a scripted consent prompt.
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { type ClientConsentPrompt, ClientScopes, clientConsentHandler, runScoped } from '../../bridge/policy/clientScopes.js';
import { RelayLink } from '../../bridge/link/relayLink.js';
import type { CallFrame } from '../../bridge/protocol/index.js';
import { hashPassword } from '../../relay/accounts/passwordHash.js';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../../relay/auth.js';
import { type RelayStore, tokenRecord } from '../../relay/store/relayStore.js';

/** Where the test's "AI app" wants the browser to come back to (never fetched). */
export const REDIRECT_URL = 'http://127.0.0.1:9/callback';

/** An OAuthClientProvider kept in memory; `authorizationUrl` is where the SDK wanted to send the browser. */
export class MemoryOAuthClient implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;

  constructor(private readonly name = 'Claude (test)') {}

  get redirectUrl(): string {
    return REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() {
    return this.info;
  }

  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }

  tokens() {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }

  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(v: string) {
    this.verifier = v;
  }

  codeVerifier() {
    return this.verifier;
  }
}

/** A browser: follows nothing by itself, keeps cookies, reads hidden form fields. */
export class TestBrowser {
  readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      redirect: 'manual',
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (value === '') this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), value);
    }
    const body = await res.text();
    return { status: res.status, headers: res.headers, body, location: res.headers.get('location') ?? undefined };
  }

  /** The value of hidden input `name` in a page. */
  static field(html: string, name: string): string {
    const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
    if (!m) throw new Error(`no field ${name} in page: ${html.slice(0, 300)}`);
    return m[1]!;
  }

  /**
   * Walks the relay's pages from an authorization URL: sign in (when needed), then press `decision` on the
   * consent page. @returns the final response (a 303 to the client's redirect URI, or a page).
   */
  async authorize(authorizationUrl: URL, account: { user: string; password: string; totp?: string }, decision: 'allow' | 'deny' = 'allow') {
    const start = await this.request(authorizationUrl.href);
    if (start.status !== 302 || !start.location) throw new Error(`authorize answered ${start.status}: ${start.body}`);
    const base = new URL(start.location, authorizationUrl).href;
    let page = await this.request(base);
    if (page.body.includes('action="/signin"')) {
      const signin = await this.request(new URL('/signin', base).href, {
        form: {
          csrf: TestBrowser.field(page.body, 'csrf'),
          next: TestBrowser.field(page.body, 'next').replace(/&amp;/g, '&'),
          user: account.user,
          password: account.password,
          totp: account.totp ?? '',
        },
      });
      if (signin.status !== 303) return signin;
      page = await this.request(new URL(signin.location!, base).href);
    }
    return this.request(new URL('/oauth/consent', base).href, {
      form: { csrf: TestBrowser.field(page.body, 'csrf'), request: TestBrowser.field(page.body, 'request'), decision },
    });
  }
}

/** Gives `user` a fresh bridge token (as if from config) and returns it. */
export async function bridgeTokenFor(store: RelayStore, user: string): Promise<string> {
  const bridgeToken = randomBytes(24).toString('base64url');
  await store.insertToken(tokenRecord({ tokenHash: hashToken(bridgeToken), kind: 'bridge', userId: user, createdAt: Date.now() }));
  return bridgeToken;
}

/** Creates account `user` with an argon2id hash of `password` (and a TOTP seed when given). */
export async function addAccount(store: RelayStore, user: string, password: string, totpSecret: string | null = null) {
  await store.addUser({ id: user, passwordHash: await hashPassword(password), totpSecret, createdAt: Date.now() });
}

/**
 * A device built from the real device-side parts: a RelayLink whose calls go through ClientScopes (checked,
 * filtered) to `answer`, and whose consent requests go to `prompt`.
 */
export async function scopedDevice(options: {
  bridgeUrl: string;
  bridgeToken: string;
  prompt: ClientConsentPrompt;
  answer: (call: CallFrame) => unknown;
  canonical?: (ref: string) => string;
}) {
  const scopes = await ClientScopes.open();
  const calls: CallFrame[] = [];
  const gateway = {
    resolvePeer: async (ref: { kind: string; id?: string; username?: string }) => ({
      ref: options.canonical?.(ref.kind === 'username' ? `@${ref.username}` : `${ref.kind}:${ref.id}`) ??
        (ref.kind === 'username' ? `user:${ref.username}` : `${ref.kind}:${ref.id}`),
    }),
  };
  const link: RelayLink = new RelayLink({
    url: options.bridgeUrl,
    token: options.bridgeToken,
    hello: { app: 'tg-bridge', version: 'test', tools: [] },
    // As the bridge host: a relay that sent `welcome` must name every caller.
    onCall: (call) =>
      runScoped(
        scopes,
        gateway as never,
        call,
        async () => {
          calls.push(call);
          return options.answer(call);
        },
        link.relayLimits !== null,
      ),
    onClientConsent: clientConsentHandler(scopes, options.prompt),
    backoff: { initialMs: 50, maxMs: 200 },
  });
  const connected = new Promise<void>((resolve) => {
    link.on('status', (s) => {
      if (s.state === 'connected') resolve();
    });
  });
  link.start();
  await connected;
  return { link, scopes, calls, stop: () => link.stop() };
}

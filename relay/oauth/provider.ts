/**
 * The relay's OAuth 2.1 authorization server, as the MCP SDK's `OAuthServerProvider` on the relay store
 * (MCP authorization spec; RFC 7591 registration, RFC 8707 resources, RFC 7009 revocation). The SDK's
 * `mcpAuthRouter` does the HTTP side (metadata, parameter checks, PKCE S256 verification); this class keeps
 * the state:
 * - clients register as public clients (`token_endpoint_auth_method: none`; a confidential registration is
 *   answered as a public one: PKCE protects the code, and no client secret needs storing);
 * - `/authorize` parks the request and sends the browser to the sign-in / consent pages (pages/), which
 *   end in {@link RelayOAuthProvider.completeAuthorization} once the person allowed it on the relay AND on
 *   their device;
 * - codes are single use, 60 s; access tokens 1 h; refresh tokens 30 days and rotate on every use: a reused
 *   refresh token revokes its whole family (OAuth 2.1 §4.3.1);
 * - every token is bound to the `/mcp` resource; a `resource` naming anything else is `invalid_target`.
 */
import { randomUUID } from 'node:crypto';
import {
  InvalidGrantError,
  InvalidTargetError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type {
  OAuthClientInformationFull,
  OAuthTokenRevocationRequest,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Response } from 'express';
import { hashToken, newToken } from '../auth.js';
import type { RelayClock } from '../clock.js';
import type { RelayStore, TokenRecord } from '../store/relayStore.js';
import { RelayTokenVerifier } from './tokenVerifier.js';

/** Lifetimes, in ms. */
export const ACCESS_TOKEN_TTL_MS = 60 * 60_000;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60_000;
export const AUTHORIZATION_CODE_TTL_MS = 60_000;
/** How long a parked `/authorize` request waits for the person to sign in and decide, in ms. */
export const AUTHORIZATION_REQUEST_TTL_MS = 10 * 60_000;
/** Parked requests kept at most; the oldest are dropped first. */
const MAX_PARKED_REQUESTS = 10_000;
/** The one scope the relay knows: use the person's Telegram through their device, within its scope. */
export const RELAY_SCOPE = 'telegram';

/** An `/authorize` request waiting for the person. */
export interface ParkedAuthorization {
  id: string;
  client: OAuthClientInformationFull;
  params: AuthorizationParams;
  expiresAt: number;
}

/**
 * Where parked `/authorize` requests wait. In one process a map ({@link MemoryParkedAuthorizations}); with
 * several replicas Redis (replicas/sharedState.ts), since the consent page may be served by another replica.
 */
export interface ParkedAuthorizations {
  /** Keeps `request` until its `expiresAt`. */
  park(request: ParkedAuthorization): Promise<void>;
  /** The request if it is still parked and not expired at `now`. */
  get(id: string, now: number): Promise<ParkedAuthorization | undefined>;
  /** Removes and returns the request (single use: of two replicas racing, one gets it). */
  take(id: string, now: number): Promise<ParkedAuthorization | undefined>;
}

/** Parked requests in this process's memory, at most MAX_PARKED_REQUESTS (oldest dropped first). */
export class MemoryParkedAuthorizations implements ParkedAuthorizations {
  private readonly parked = new Map<string, ParkedAuthorization>();

  async park(request: ParkedAuthorization): Promise<void> {
    const now = request.expiresAt - AUTHORIZATION_REQUEST_TTL_MS;
    for (const [id, p] of this.parked) if (p.expiresAt <= now) this.parked.delete(id);
    while (this.parked.size >= MAX_PARKED_REQUESTS) this.parked.delete(this.parked.keys().next().value!);
    this.parked.set(request.id, request);
  }

  async get(id: string, now: number): Promise<ParkedAuthorization | undefined> {
    const p = this.parked.get(id);
    return p && p.expiresAt > now ? p : undefined;
  }

  async take(id: string, now: number): Promise<ParkedAuthorization | undefined> {
    const p = await this.get(id, now);
    this.parked.delete(id);
    return p;
  }
}

/** Options of {@link RelayOAuthProvider}. */
export interface RelayOAuthProviderOptions {
  store: RelayStore;
  /** Where parked requests wait; default in memory. */
  parked?: ParkedAuthorizations;
  clock: RelayClock;
  /** The `/mcp` URL: the resource every token is bound to. */
  resource: URL;
  /** Path of the consent page the browser is sent to, with `?request=<id>` (default `/oauth/consent`). */
  consentPath?: string;
}

/** Text of a client's name for pages and device prompts: its registered name, else its redirect host. */
export function clientDisplayName(client: OAuthClientInformationFull): string {
  const name = client.client_name?.trim();
  if (name) return name.slice(0, 100);
  try {
    return new URL(client.redirect_uris[0] ?? '').host || client.client_id;
  } catch {
    return client.client_id;
  }
}

/** See the module comment. */
export class RelayOAuthProvider implements OAuthServerProvider {
  readonly clientsStore: OAuthRegisteredClientsStore;
  readonly verifier: RelayTokenVerifier;
  private readonly parked: ParkedAuthorizations;
  private readonly store: RelayStore;
  private readonly clock: RelayClock;
  private readonly resource: URL;
  private readonly consentPath: string;

  constructor(options: RelayOAuthProviderOptions) {
    this.store = options.store;
    this.parked = options.parked ?? new MemoryParkedAuthorizations();
    this.clock = options.clock;
    this.resource = options.resource;
    this.consentPath = options.consentPath ?? '/oauth/consent';
    this.verifier = new RelayTokenVerifier(this.store, this.clock, this.resource);
    const store = this.store;
    const clock = this.clock;
    this.clientsStore = {
      async getClient(clientId) {
        const record = await store.getClient(clientId);
        return record ? (record.metadata as OAuthClientInformationFull) : undefined;
      },
      async registerClient(client) {
        const { client_secret: _secret, client_secret_expires_at: _expiry, ...rest } = client;
        const info = {
          ...rest,
          client_id: (client as { client_id?: string }).client_id ?? randomUUID(),
          client_id_issued_at: Math.floor(clock.now() / 1000),
          token_endpoint_auth_method: 'none',
        } as OAuthClientInformationFull;
        await store.insertClient({
          clientId: info.client_id,
          clientName: client.client_name?.slice(0, 200) ?? null,
          metadata: info as unknown as Record<string, unknown>,
          createdAt: clock.now(),
          deletedAt: null,
        });
        return info;
      },
    };
  }

  /** Parks the request and redirects the browser to the consent page (which signs the person in first). */
  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    this.checkResource(params.resource);
    const now = this.clock.now();
    const id = newToken('ws').slice('tgr_ws_'.length);
    await this.parked.park({ id, client, params, expiresAt: now + AUTHORIZATION_REQUEST_TTL_MS });
    res.redirect(302, `${this.consentPath}?request=${encodeURIComponent(id)}`);
  }

  /** A parked request that has not expired, or undefined. */
  parkedRequest(id: string): Promise<ParkedAuthorization | undefined> {
    return this.parked.get(id, this.clock.now());
  }

  /**
   * Ends a parked request with the person's decision.
   * @param grant the signed-in user who allowed it (on the relay and on their device) with the device's
   *   scope summary, or null when it was denied (`reason` is shown to the client as `error_description`).
   * @returns the URL to redirect the browser to (the client's redirect URI with `code` + `state`, or
   *   `error=access_denied`); undefined when the request is unknown or expired.
   */
  async completeAuthorization(
    id: string,
    grant: { userId: string; deviceScope: string } | null,
    reason = 'The person denied access.',
  ): Promise<string | undefined> {
    const p = await this.parked.take(id, this.clock.now());
    if (!p) return undefined;
    const target = new URL(p.params.redirectUri);
    if (p.params.state !== undefined) target.searchParams.set('state', p.params.state);
    if (grant === null) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', reason);
      return target.href;
    }
    const now = this.clock.now();
    const code = newToken('code');
    await this.store.upsertGrant(grant.userId, p.client.client_id, grant.deviceScope, now);
    await this.store.insertCode({
      codeHash: hashToken(code),
      clientId: p.client.client_id,
      userId: grant.userId,
      redirectUri: p.params.redirectUri,
      codeChallenge: p.params.codeChallenge,
      resource: this.resource.href,
      scopes: [RELAY_SCOPE],
      expiresAt: now + AUTHORIZATION_CODE_TTL_MS,
      usedAt: null,
    });
    target.searchParams.set('code', code);
    return target.href;
  }

  async challengeForAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<string> {
    const found = await this.store.peekCode(hashToken(code), this.clock.now());
    if (!found || found.clientId !== client.client_id) {
      throw new InvalidGrantError('The authorization code is invalid, used or expired');
    }
    return found.codeChallenge;
  }

  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    code: string,
    _codeVerifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    this.checkResource(resource);
    const record = await this.store.takeCode(hashToken(code), this.clock.now());
    if (!record || record.clientId !== client.client_id) {
      throw new InvalidGrantError('The authorization code is invalid, used or expired');
    }
    if (redirectUri !== undefined && redirectUri !== record.redirectUri) {
      throw new InvalidGrantError('redirect_uri does not match the authorization request');
    }
    return this.issueTokens(record.userId, client.client_id, randomUUID(), record.scopes);
  }

  async exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    _scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    this.checkResource(resource);
    const now = this.clock.now();
    const record = await this.store.findAnyToken(hashToken(refreshToken));
    if (!record || record.kind !== 'refresh' || record.clientId !== client.client_id) {
      throw new InvalidGrantError('The refresh token is invalid');
    }
    if (record.revokedAt !== null) {
      // A rotated-away refresh token came back: someone holds a copy. End the whole family.
      if (record.family) await this.store.revokeFamily(record.family, now);
      throw new InvalidGrantError('The refresh token was already used; sign in again');
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      throw new InvalidGrantError('The refresh token expired; sign in again');
    }
    if (!(await this.store.findToken(record.tokenHash, 'refresh', now))) {
      throw new InvalidGrantError('The refresh token is no longer valid');
    }
    const grants = await this.store.listGrants(record.userId);
    if (!grants.some((g) => g.clientId === client.client_id)) {
      throw new InvalidGrantError('Access for this client was revoked');
    }
    await this.store.revokeToken(record.tokenHash, now);
    return this.issueTokens(record.userId, client.client_id, record.family ?? randomUUID(), record.scopes);
  }

  verifyAccessToken(token: string): Promise<AuthInfo> {
    return this.verifier.verifyAccessToken(token);
  }

  /** RFC 7009: revokes a token of this client (a refresh token takes its family along); unknown is a no-op. */
  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    const record = await this.store.findAnyToken(hashToken(request.token));
    if (!record || record.clientId !== client.client_id) return;
    const now = this.clock.now();
    if (record.kind === 'refresh' && record.family) await this.store.revokeFamily(record.family, now);
    else await this.store.revokeToken(record.tokenHash, now);
  }

  /** Deletes a client: later requests naming it get `invalid_client`, its tokens stop at once. */
  async deleteClient(clientId: string): Promise<boolean> {
    return this.store.deleteClient(clientId, this.clock.now());
  }

  private checkResource(resource: URL | undefined): void {
    if (resource === undefined) return;
    const strip = (u: string) => u.replace(/#.*$/, '').replace(/\/$/, '');
    if (strip(resource.href) !== strip(this.resource.href)) {
      throw new InvalidTargetError(`This server issues tokens only for ${this.resource.href}`);
    }
  }

  private async issueTokens(userId: string, clientId: string, family: string, scopes: string[]): Promise<OAuthTokens> {
    const now = this.clock.now();
    const access = newToken('at');
    const refresh = newToken('rt');
    const base: Omit<TokenRecord, 'tokenHash' | 'kind' | 'expiresAt'> = {
      userId,
      clientId,
      deviceId: null,
      family,
      label: null,
      resource: this.resource.href,
      scopes,
      source: 'issued',
      createdAt: now,
      revokedAt: null,
    };
    await this.store.insertToken({ ...base, tokenHash: hashToken(access), kind: 'access', expiresAt: now + ACCESS_TOKEN_TTL_MS });
    await this.store.insertToken({ ...base, tokenHash: hashToken(refresh), kind: 'refresh', expiresAt: now + REFRESH_TOKEN_TTL_MS });
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL_MS / 1000,
      refresh_token: refresh,
      scope: scopes.join(' '),
    };
  }
}



/**
 * The relay's token verifier in the MCP SDK's `OAuthTokenVerifier` shape: an async check of a bearer token
 * presented on `/mcp`, returning the SDK's `AuthInfo`. It accepts OAuth access tokens and personal access
 * tokens (and tokens imported from `--config`), looked up by SHA-256 digest in the store. Failures throw the
 * SDK's `InvalidTokenError`, which its bearer middleware turns into a 401 with
 * `WWW-Authenticate: Bearer error="invalid_token", …, resource_metadata="…"`.
 */
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { hashToken } from '../auth.js';
import type { RelayClock } from '../clock.js';
import type { RelayStore, TokenRecord } from '../store/relayStore.js';

/** What the relay attaches to `AuthInfo.extra` for the `/mcp` handler. */
export interface RelayAuthExtra {
  userId: string;
  /**
   * The caller's client id, which the device's per-client scopes key on (custody rule 7): the OAuth client id,
   * `pat:<token id>` for a personal access token, or `cli:<user>` for the `--config` token.
   */
  oauthClientId: string;
  /**
   * For a personal access or config token: the name the device shows when it asks the person about this
   * caller (the token's label). OAuth clients were asked about on the consent page, so they carry none.
   */
  deviceConsentName?: string;
  kind: 'access' | 'personal';
}

/** How a token's caller is named to the device: see {@link RelayAuthExtra.oauthClientId}. */
export function callerIdOf(record: Pick<TokenRecord, 'clientId' | 'source' | 'userId' | 'tokenHash'>): string {
  if (record.clientId) return record.clientId;
  // 16 hex of the token's SHA-256 digest: stable per token, and no use for guessing the token.
  return record.source === 'config' ? `cli:${record.userId}` : `pat:${record.tokenHash.slice(0, 16)}`;
}

/** How long a personal access token's `AuthInfo` claims to stay valid when it has no expiry, in s. */
const OPEN_ENDED_S = 3_600;

/** Visible ASCII, at most 512 characters: anything else is refused before the database is asked. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,512}$/;

/** Verifies `/mcp` bearer tokens against the store. */
export class RelayTokenVerifier implements OAuthTokenVerifier {
  /**
   * @param resource the `/mcp` URL: the RFC 8707 resource every token must be bound to (personal access
   *   tokens are bound to it implicitly).
   */
  constructor(
    private readonly store: RelayStore,
    private readonly clock: RelayClock,
    private readonly resource: URL,
  ) {}

  /**
   * @returns the token's AuthInfo; `extra` is a {@link RelayAuthExtra}; `expiresAt` in s since the epoch.
   * @throws InvalidTokenError for an unknown, revoked, expired or malformed token, or one of a deleted client.
   */
  async verifyAccessToken(token: string): Promise<AuthInfo> {
    if (!TOKEN_SHAPE.test(token)) throw new InvalidTokenError('The access token is malformed');
    const now = this.clock.now();
    const digest = hashToken(token);
    const record =
      (await this.store.findToken(digest, 'access', now)) ?? (await this.store.findToken(digest, 'personal', now));
    if (!record) throw new InvalidTokenError('The access token is invalid, expired or revoked');
    const extra: RelayAuthExtra = {
      userId: record.userId,
      kind: record.kind === 'access' ? 'access' : 'personal',
      oauthClientId: callerIdOf(record),
      ...(record.kind === 'access'
        ? {}
        : { deviceConsentName: record.source === 'config' ? 'Command-line client (relay config token)' : (record.label ?? 'Personal access token') }),
    };
    return {
      token,
      clientId: record.clientId ?? `personal:${record.label ?? record.userId}`,
      scopes: record.scopes,
      expiresAt: Math.floor((record.expiresAt ?? now + OPEN_ENDED_S * 1000) / 1000),
      resource: new URL(record.resource ?? this.resource.href),
      extra: extra as unknown as Record<string, unknown>,
    };
  }
}

/**
 * The quick way into `/mcp` (issue 12: the relay's share of a call). Every MCP request an authorised client
 * makes goes through here before express: when all of these hold, it goes straight to the {@link McpEndpoint}
 * without express's router and middleware chain:
 * - the path is exactly `/mcp` and the method POST, GET or DELETE (no preflight);
 * - Host and Origin pass the allow-lists (CORS headers are added as the guard adds them);
 * - the client's address is not throttled for failed token checks;
 * - the `Authorization: Bearer` token is one the SDK's bearer middleware would accept: the verifier knows it,
 *   it was issued for this `/mcp` resource, and it carries an expiry that has not passed
 *   (see {@link acceptedAsSdkWould}), and it names a relay user.
 *
 * Anything else takes the express route, unchanged: every refusal (421, 403, 429, 401 with the SDK's
 * `WWW-Authenticate` challenge and error body, preflights) is made, worded and counted against the address
 * there, by the same code as before. A token refused here is therefore checked a second time on that route,
 * which is where it is refused.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { addCorsHeaders, originAllowed, type OriginPolicy } from './httpGuards.js';
import { callerOf, type McpEndpoint } from './mcpEndpoint.js';
import type { RelayAuthExtra } from './oauth/tokenVerifier.js';
import type { FailureThrottle } from './throttle.js';

/** What the quick way needs from the relay. */
export interface McpFrontOptions {
  mcp: McpEndpoint;
  /** Verifies an access token as the SDK's bearer middleware asks its verifier to; throws when it is not valid. */
  verifyAccessToken: (token: string) => Promise<AuthInfo>;
  /** The `/mcp` URL tokens must have been issued for (RFC 8707). */
  resource: URL;
  policy: OriginPolicy;
  tokenThrottle: FailureThrottle;
  /** The client's address as the relay counts it (see clientAddress.ts). */
  addressOf: (req: IncomingMessage) => string;
  /** Answers a request whose handling failed (500, or the socket destroyed once headers were sent). */
  fail: (req: IncomingMessage, res: ServerResponse, err: unknown) => void;
}

/** A URL or URL string without its fragment and one trailing slash (the SDK's comparison of resources). */
function comparableResource(value: URL | string): string {
  const text = String(value);
  const hash = text.indexOf('#');
  return (hash === -1 ? text : text.slice(0, hash)).replace(/\/$/, '');
}

/**
 * Whether the SDK's bearer middleware (`requireBearerAuth` with `expectedResource` and no required scopes)
 * would accept a token the verifier returned `info` for, at `nowMs`: issued for `resource`, with a numeric
 * expiry (s since the epoch) not in the past.
 */
export function acceptedAsSdkWould(info: AuthInfo, resource: URL, nowMs: number): boolean {
  if (!info.resource || comparableResource(info.resource) !== comparableResource(resource)) return false;
  return typeof info.expiresAt === 'number' && !Number.isNaN(info.expiresAt) && info.expiresAt >= nowMs / 1000;
}

/**
 * Builds the quick way: call it with each request for `/mcp` and a `slow` continuation (the express app). It
 * either serves the request or calls `slow` exactly once.
 */
export function mcpFront(options: McpFrontOptions): (req: IncomingMessage, res: ServerResponse, slow: () => void) => void {
  const { mcp, policy, tokenThrottle, resource } = options;
  return (req, res, slow) => {
    const method = req.method;
    const header = req.headers.authorization ?? '';
    const space = header.indexOf(' ');
    const token = space > 0 ? header.slice(space + 1) : '';
    if (
      (method !== 'POST' && method !== 'GET' && method !== 'DELETE') ||
      header.slice(0, space).toLowerCase() !== 'bearer' ||
      token === '' ||
      token.includes(' ') ||
      !originAllowed(policy, req) ||
      tokenThrottle.retryAfterSeconds([`ip:${options.addressOf(req)}`]) > 0
    ) {
      slow();
      return;
    }
    options.verifyAccessToken(token).then(
      (info) => {
        const extra = info.extra as unknown as RelayAuthExtra | undefined;
        if (!extra || !acceptedAsSdkWould(info, resource, Date.now())) {
          slow();
          return;
        }
        addCorsHeaders(req, res);
        mcp.handle(req, res, callerOf(extra)).catch((err: unknown) => options.fail(req, res, err));
      },
      () => slow(),
    );
  };
}

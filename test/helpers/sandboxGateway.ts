/**
 * The bridge's gramjs gateway pointed at an in-process sandbox, logged in as the seeded account with a freshly
 * minted session — the set-up every end-to-end test and benchmark starts from.
 */
import { GramjsGateway, type GramjsGatewayOptions } from '../../bridge/telegram/gateway.js';
import { SANDBOX_API_HASH, SANDBOX_API_ID, type Sandbox } from '../../sandbox/index.js';

/**
 * A new (unconnected) gateway for `sandbox`. `overrides` replace any option, e.g. a known `session` or shorter
 * timeouts. The gateway must be closed (`close()`) by the caller.
 */
export function sandboxGateway(sandbox: Sandbox, overrides: Partial<GramjsGatewayOptions> = {}): GramjsGateway {
  return new GramjsGateway({
    apiId: SANDBOX_API_ID,
    apiHash: SANDBOX_API_HASH,
    session: sandbox.mintSession(),
    clientParams: sandbox.clientParams(),
    ...overrides,
  });
}

/**
 * The call router: where the MCP endpoint and the consent pages send work for a user's device. Today every
 * device socket lives in this process, so the router hands calls to the local {@link DeviceHub}; with
 * several relay replicas a router implementation forwards to the replica holding the socket
 * (ARCHITECTURE.md "Decisions": Redis pub/sub) behind this same interface.
 */
import type {
  CallOutcome,
  ClientConsentOutcome,
  ClientConsentRequest,
  DeviceHub,
  ForwardOptions,
} from './deviceHub.js';

/** Routes tool calls and consent requests to a user's device, wherever its socket is. */
export interface CallRouter {
  /** Runs one tool call on the user's device (see {@link DeviceHub.call}). Never rejects. */
  call(userId: string, tool: string, args: Record<string, unknown>, options?: ForwardOptions): Promise<CallOutcome>;
  /** Asks the user's device to approve an OAuth client (see {@link DeviceHub.askClientConsent}). */
  askClientConsent(userId: string, request: ClientConsentRequest, timeoutMs: number): Promise<ClientConsentOutcome>;
  /** Disconnects a revoked device (see {@link DeviceHub.disconnect}). */
  disconnectDevice(userId: string, deviceId: string | undefined, reason: string): boolean;
}

/** The single-process router: everything goes to this process's hub. */
export class LocalCallRouter implements CallRouter {
  constructor(private readonly hub: DeviceHub) {}

  call(userId: string, tool: string, args: Record<string, unknown>, options?: ForwardOptions): Promise<CallOutcome> {
    return this.hub.call(userId, tool, args, options);
  }

  askClientConsent(userId: string, request: ClientConsentRequest, timeoutMs: number): Promise<ClientConsentOutcome> {
    return this.hub.askClientConsent(userId, request, timeoutMs);
  }

  disconnectDevice(userId: string, deviceId: string | undefined, reason: string): boolean {
    return this.hub.disconnect(userId, deviceId, reason);
  }
}

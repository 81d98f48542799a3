/**
 * Reaching an MTProto endpoint other than Telegram's production DCs (the local sandbox, a test DC).
 *
 * gramjs's `connect()` dials port 80 (or 443 with WSS) whatever port the session holds; the documented way
 * around it is a `Connection` subclass that pins the port (SANDBOX.md "Client side").
 */
// gramjs has circular imports: loading its index first is what makes the deep import below resolve.
import 'telegram';
import { ConnectionTCPFull } from 'telegram/network/connection/TCPFull.js';

/** An MTProto server address: DC id, IPv4 host, TCP port (≤ 32767: StringSession stores it as int16). */
export interface MtprotoEndpoint {
  dcId: number;
  host: string;
  port: number;
}

/**
 * Returns a `ConnectionTCPFull` subclass that always dials `port`, for `TelegramClientParams.connection`.
 * @throws RangeError when the port is outside 1–32767.
 */
export function pinnedPortConnection(port: number): typeof ConnectionTCPFull {
  if (!Number.isInteger(port) || port < 1 || port > 32767) {
    throw new RangeError(`MTProto port must be 1–32767 (StringSession stores it as int16), got ${port}`);
  }
  return class PinnedPortConnection extends ConnectionTCPFull {
    constructor(params: ConstructorParameters<typeof ConnectionTCPFull>[0]) {
      super({ ...params, port });
    }
  };
}

/**
 * Parses `host:port` or `dc@host:port` (default DC 2) as a person types it in config or on the CLI.
 * @throws Error naming the expected form when the string does not parse.
 */
export function parseEndpoint(text: string): MtprotoEndpoint {
  const m = /^(?:(\d{1,2})@)?([A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`not an MTProto endpoint: "${text}" (expected host:port or dc@host:port)`);
  const port = Number(m[3]);
  if (port < 1 || port > 32767) throw new Error(`MTProto port must be 1–32767, got ${port}`);
  return { dcId: m[1] ? Number(m[1]) : 2, host: m[2]!, port };
}

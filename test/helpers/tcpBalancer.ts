/**
 * A tiny TCP load balancer on loopback for relay replica tests and benches, standing in for the TLS proxy of
 * `deploy/`: each incoming connection goes to one backend, chosen round robin or first-alive-in-order; a backend
 * that refuses the connection (a killed replica) is skipped for the next one. Bytes are piped both ways
 * unchanged, so HTTP and WebSocket upgrades pass through; when either side closes, so does the other.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How the balancer picks a backend for a new connection. */
export type BalancerPolicy = 'round_robin' | 'first_alive';

/** A running balancer. */
export interface TcpBalancer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Backend ports, in order. */
  backends: number[];
  policy: BalancerPolicy;
  /** Connections made to each backend port so far. */
  readonly connections: Map<number, number>;
  stop(): Promise<void>;
}

/** Starts a balancer over `backends` (ports on 127.0.0.1). */
export async function startTcpBalancer(backends: number[], policy: BalancerPolicy = 'round_robin'): Promise<TcpBalancer> {
  const sockets = new Set<Socket>();
  const connections = new Map<number, number>();
  let next = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    const order = [...balancer.backends];
    const start = balancer.policy === 'round_robin' ? next++ % order.length : 0;
    const tryBackend = (attempt: number) => {
      if (attempt >= order.length) {
        client.destroy();
        return;
      }
      const port = order[(start + attempt) % order.length]!;
      const upstream = connect(port, '127.0.0.1');
      track(upstream);
      // Before 'connect' (which removes this listener), an error means the backend refused: try the next.
      upstream.once('error', () => tryBackend(attempt + 1));
      upstream.once('connect', () => {
        connections.set(port, (connections.get(port) ?? 0) + 1);
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const balancer: TcpBalancer = {
    url: `http://127.0.0.1:${port}`,
    port,
    backends,
    policy,
    connections,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return balancer;
}

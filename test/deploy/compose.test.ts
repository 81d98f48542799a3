/**
 * deploy/ cannot run here (no Docker in the test environment), so its files are checked against each other
 * and against the relay: the compose file parses, both replicas share one public URL, PostgreSQL and Redis,
 * the proxy's fixed address is the replicas' trusted proxy, Caddy balances over exactly the replica services
 * with the relay's health endpoint, and the image runs the built relay CLI on the port the services use.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { buildRelayCli } from '../../relay/cli.js';

const deploy = join(import.meta.dirname, '../../deploy');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
}

describe('deploy/', () => {
  it('compose: two replicas on one PostgreSQL and one Redis behind Caddy, which they trust as their proxy', async () => {
    const compose = yaml.load(await readFile(join(deploy, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
    const replicas = Object.entries(compose.services).filter(([name]) => name.startsWith('relay-'));
    expect(replicas.map(([name]) => name)).toEqual(['relay-a', 'relay-b']);
    const caddy = compose.services.caddy!;
    const caddyAddress = (caddy.networks as Record<string, { ipv4_address?: string }>).backend!.ipv4_address;
    const ids = new Set<string>();
    for (const [, service] of replicas) {
      const env = service.environment!;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/relay:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/relay$/);
      expect(env.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD[^}]*\}@redis:6379$/);
      expect(env.TRUSTED_PROXIES).toBe(caddyAddress);
      ids.add(env.RELAY_REPLICA_ID!);
      expect(service.command).toEqual(replicas[0]![1].command);
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      // Every option given exists in `tg-relay serve`.
      const serve = buildRelayCli().commands.find((c) => c.name() === 'serve')!;
      const known = new Set(serve.options.map((o) => o.long));
      for (const arg of service.command!.filter((a) => a.startsWith('--'))) expect(known).toContain(arg);
    }
    expect(ids.size).toBe(2);
    expect(Object.keys(caddy.depends_on!)).toEqual(['relay-a', 'relay-b']);
  });

  it('Caddyfile: round robin over exactly the replica services, health-checked on /healthz', async () => {
    const caddyfile = await readFile(join(deploy, 'Caddyfile'), 'utf8');
    const compose = await readFile(join(deploy, 'docker-compose.yml'), 'utf8');
    const port = /- --port\n\s+- "(\d+)"/.exec(compose)?.[1];
    expect(caddyfile).toMatch(new RegExp(`reverse_proxy relay-a:${port} relay-b:${port} \\{`));
    expect(caddyfile).toMatch(/^\s*lb_policy round_robin$/m);
    expect(caddyfile).toMatch(/^\s*health_uri \/healthz$/m);
    const dockerfile = await readFile(join(deploy, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`EXPOSE ${port}`);
    expect(dockerfile).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/tg-relay\.js"\]/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});

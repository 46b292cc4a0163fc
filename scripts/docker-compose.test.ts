import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../lib/paths';
import { DEFAULT_GATEWAY_PORT, DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES } from '../lib/subgraph-names';

/**
 * There is no Docker engine where the tests run, so the compose file is
 * checked by reading it: every service the architecture names is there, runs
 * an entry point that exists, listens where the others look for it, and has a
 * health check.
 */
interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

const compose = parse(readFileSync(path.join(repoRoot(), 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

function sourceOf(command: string[]): string {
  const entry = command.find((part) => part.startsWith('dist/'))!;
  return path.join(repoRoot(), entry.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
}

describe('docker-compose.yml', () => {
  it.each([...SUBGRAPH_NAMES, 'gateway'])('runs %s from its own entry with a health check', (name) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    expect(existsSync(sourceOf(service.command!))).toBe(true);
    const port = name === 'gateway' ? DEFAULT_GATEWAY_PORT : DEFAULT_SUBGRAPH_PORTS[name as keyof typeof DEFAULT_SUBGRAPH_PORTS];
    expect(service.environment?.PORT).toBe(String(port));
    expect(service.healthcheck?.test.join(' ')).toContain(`:${port}/`);
    expect(service.environment).toMatchObject({ DATABASE_URL: expect.stringContaining('@postgres:'), REDIS_URL: expect.stringContaining('redis:') });
    for (const sibling of SUBGRAPH_NAMES) {
      expect(service.environment?.[`${sibling.toUpperCase()}_URL`]).toBe(`http://${sibling}:${DEFAULT_SUBGRAPH_PORTS[sibling]}/graphql`);
    }
    expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('starts the gateway after every subgraph is healthy and publishes port 4000', () => {
    const gateway = compose.services.gateway;
    for (const name of SUBGRAPH_NAMES) expect(gateway.depends_on?.[name]?.condition).toBe('service_healthy');
    expect(gateway.ports).toContain(`${DEFAULT_GATEWAY_PORT}:${DEFAULT_GATEWAY_PORT}`);
  });

  it('has PostgreSQL and Redis with health checks, and a seed job', () => {
    expect(compose.services.postgres.healthcheck).toBeDefined();
    expect(compose.services.redis.healthcheck).toBeDefined();
    expect(existsSync(sourceOf(compose.services.seed.command!))).toBe(true);
  });
});

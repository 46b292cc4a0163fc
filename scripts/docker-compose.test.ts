import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { commonEnv, ConfigError, jwtSecretEnv, readEnv } from '../lib/config';
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
  profiles?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

const compose = parse(readFileSync(path.join(repoRoot(), 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

/** The development profile's values (`--env-file compose.development.env`). */
const developmentEnvFile = path.join(repoRoot(), 'compose.development.env');
function readEnvFile(file: string): Record<string, string> {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  return Object.fromEntries(entries);
}

/** `${NAME:?message}`: compose refuses to start unless NAME is set, and there is no default. */
const required = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);
const appServices = [...SUBGRAPH_NAMES, 'gateway'];

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

  describe('profiles', () => {
    it('is production-shaped by default: production mode, secrets required from the environment, no committed values', () => {
      for (const name of appServices) {
        const environment = compose.services[name].environment!;
        expect(environment.NODE_ENV).toBe('${NODE_ENV:-production}');
        expect(environment.INTERNAL_SECRET).toMatch(required('INTERNAL_SECRET'));
        expect(environment.DATABASE_URL).toMatch(/^postgres:\/\/postgres:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:/);
        expect(compose.services[name].profiles).toBeUndefined();
      }
      expect((compose.services.postgres as { environment?: Record<string, string> }).environment?.POSTGRES_PASSWORD).toMatch(required('POSTGRES_PASSWORD'));
    });

    it('gives the token key to users and the gateway only', () => {
      for (const name of appServices) {
        const jwtSecret = compose.services[name].environment?.JWT_SECRET;
        if (name === 'users' || name === 'gateway') expect(jwtSecret).toMatch(required('JWT_SECRET'));
        else expect(jwtSecret).toBeUndefined();
      }
    });

    it('seeds demo data in the development profile only', () => {
      const seeders = Object.entries(compose.services).filter(([, service]) => service.command?.some((part) => part.endsWith('scripts/seed.js')));
      expect(seeders.map(([name]) => name)).toEqual(['seed']);
      expect(compose.services.seed.profiles).toEqual(['development']);
      for (const name of ['users', 'catalog', 'inventory', 'orders']) expect(compose.services.seed.depends_on?.[name]?.condition).toBe('service_healthy');
    });

    it('has development values that start in development mode and that production refuses', () => {
      const values = readEnvFile(developmentEnvFile);
      expect(values).toMatchObject({ NODE_ENV: 'development', POSTGRES_PASSWORD: expect.any(String) });
      expect(() => readEnv({ ...commonEnv, ...jwtSecretEnv }, values)).not.toThrow();
      let error: unknown;
      try {
        readEnv({ ...commonEnv, ...jwtSecretEnv }, { ...values, NODE_ENV: 'production' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^INTERNAL_SECRET: .*refused in production/), expect.stringMatching(/^JWT_SECRET: .*refused in production/)]);
    });
  });
});

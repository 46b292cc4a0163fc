import { bool, cleanEnv, EnvMissingError, makeValidator, port, str, url, type CleanedEnv, type ValidatorSpec } from 'envalid';

/**
 * Environment validation for every process. All problems are reported at once,
 * one line each, so a misconfigured deployment fails at start with a message
 * that says exactly what to fix.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Specs = { [key: string]: ValidatorSpec<unknown> };

export function readEnv<S extends Specs>(specs: S, env: NodeJS.ProcessEnv = process.env): CleanedEnv<S> {
  // envalid decides on devDefault from the raw NODE_ENV, so apply our default first.
  const withMode = { ...env, NODE_ENV: env.NODE_ENV || 'development' };
  return cleanEnv(withMode, specs, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(([name, error]) =>
        error instanceof EnvMissingError ? `${name}: required, not set (${error.message})` : `${name}: ${(error as Error).message}`,
      );
      if (problems.length > 0) throw new ConfigError(problems);
    },
  });
}

/** Variables every process reads. */
export const commonEnv = {
  NODE_ENV: str({ choices: ['development', 'test', 'production'], default: 'development' }),
  LOG_LEVEL: str({ choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }),
  /** Read by lib/logger.ts; unset: pretty on a terminal outside production, JSON otherwise. */
  LOG_FORMAT: str({ choices: ['pretty', 'json'], default: undefined, desc: 'log line format' }),
  HOST: str({ default: '0.0.0.0', desc: 'interface to listen on' }),
  /** Development-only defaults: in production both secrets must be set. */
  INTERNAL_SECRET: str({ devDefault: 'development-internal-secret', desc: 'credential the gateway and services present to subgraphs' }),
  JWT_SECRET: str({ devDefault: 'development-jwt-secret-change-me-in-production', desc: 'HS256 key for access tokens' }),
};

/** Variables of processes that own a database. */
export const databaseEnv = {
  DATABASE_URL: url({ desc: 'PostgreSQL server; each subgraph uses its own database on it' }),
  DATABASE_NAME_PREFIX: str({ default: 'commerce', desc: 'databases are named <prefix>_<subgraph>' }),
  DATABASE_POOL_MAX: wholeNumber('connections')({ default: 10, desc: 'connections per subgraph pool' }),
};

export const redisEnv = {
  REDIS_URL: url({ default: undefined, desc: 'Redis for events and the APQ cache; in-process when unset' }),
  REDIS_NAMESPACE: str({ default: '', desc: 'prefix of Redis keys and channels, for environments sharing one Redis' }),
};

/** URLs of the subgraphs, for the gateway and for service-to-service calls. */
export const subgraphUrlEnv = {
  USERS_URL: url({ default: undefined }),
  CATALOG_URL: url({ default: undefined }),
  INVENTORY_URL: url({ default: undefined }),
  CART_URL: url({ default: undefined }),
  ORDERS_URL: url({ default: undefined }),
};

/** A validator of whole numbers of at least `min` (1 unless said) and at most `max`, counted in `unit` (sizes, durations, percentages). */
export function wholeNumber(unit: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return makeValidator<number>((input) => {
    const value = Number(input);
    if (!/^\s*\d+\s*$/.test(String(input)) || !Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      throw new Error(`must be a whole number of ${unit} ${range}, got "${input}"`);
    }
    return value;
  });
}

/** Intervals and timeouts. */
export const milliseconds = wholeNumber('milliseconds');

export { bool, port, str, url };

/** Apollo's libraries phone home unless told not to; we never want that. */
export function disableApolloTelemetry(): void {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
}

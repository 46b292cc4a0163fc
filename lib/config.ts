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

export type EnvSpecs = { [key: string]: ValidatorSpec<unknown> };

/** Specs made by `secret()`: checked for strength in production. */
const secretSpecs = new WeakSet<object>();

/** The development defaults of the secrets: refused in production. */
export const DEVELOPMENT_INTERNAL_SECRET = 'development-internal-secret';
export const DEVELOPMENT_JWT_SECRET = 'development-jwt-secret-change-me-in-production';

/** Fewest characters a secret must have in production (32 random characters: 128 bits and more). */
export const MIN_SECRET_LENGTH = 32;

/** Words that mark a value as a placeholder someone forgot to replace. */
const PLACEHOLDER = /change[-_ .]?me|changeit|placeholder|replace[-_ .]?me|example|dummy|insecure|not[-_ .]?secret|^(secret|password|default|test|dev|development|todo|xxx+)$/i;

/**
 * A secret: `devDefault` applies outside production only; in production a
 * value shorter than MIN_SECRET_LENGTH, one of the development defaults, a
 * placeholder or one repeated character is refused (one line, see readEnv).
 */
export function secret(spec: { devDefault: string; desc: string }): ValidatorSpec<string> {
  const validator = str(spec);
  secretSpecs.add(validator);
  return validator;
}

/** Why `value` of secret `name` must not be used in production, or undefined. */
export function weakSecretProblem(name: string, value: string): string | undefined {
  const fix = `set a random value of at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`;
  if (value === DEVELOPMENT_INTERNAL_SECRET || value === DEVELOPMENT_JWT_SECRET) return `${name}: is a development default, refused in production: ${fix}`;
  if (PLACEHOLDER.test(value.trim())) return `${name}: looks like a placeholder, refused in production: ${fix}`;
  if (value.length < MIN_SECRET_LENGTH) return `${name}: too short for production (${value.length} characters, at least ${MIN_SECRET_LENGTH}): ${fix}`;
  if (/^(.)\1*$/s.test(value)) return `${name}: one character repeated, refused in production: ${fix}`;
  return undefined;
}

/**
 * Reads and validates `specs` from `env`: every problem at once, one line
 * each, in the order of the specs; in production the secrets' strength too.
 */
export function readEnv<S extends EnvSpecs>(specs: S, env: NodeJS.ProcessEnv = process.env): CleanedEnv<S> {
  // envalid decides on devDefault from the raw NODE_ENV, so apply our default first.
  const withMode = { ...env, NODE_ENV: env.NODE_ENV || 'development' };
  const problems = new Map<string, string>();
  const cleaned = cleanEnv(withMode, specs, {
    reporter: ({ errors }) => {
      for (const [name, error] of Object.entries(errors)) {
        problems.set(name, error instanceof EnvMissingError ? `${name}: required, not set (${error.message})` : `${name}: ${(error as Error).message}`);
      }
    },
  });
  if (withMode.NODE_ENV === 'production') {
    for (const [name, spec] of Object.entries(specs)) {
      if (!secretSpecs.has(spec) || problems.has(name)) continue;
      const value = (cleaned as Record<string, unknown>)[name];
      if (typeof value !== 'string') continue;
      const problem = weakSecretProblem(name, value);
      if (problem) problems.set(name, problem);
    }
  }
  if (problems.size > 0) throw new ConfigError(Object.keys(specs).flatMap((name) => (problems.has(name) ? [problems.get(name)!] : [])));
  return cleaned;
}

/**
 * The settings one part of a process reads (a subgraph's own): its variables,
 * validated with every other setting of the process at start, and its config
 * from their cleaned values (as the gateway's plugins have `xEnv` and `xConfig`).
 */
export interface EnvSettings<Config> {
  variables: EnvSpecs;
  config(values: Record<string, unknown>): Config;
}

export function envSettings<S extends EnvSpecs, Config>(variables: S, config: (values: CleanedEnv<S>) => Config): EnvSettings<Config> {
  return { variables, config: config as (values: Record<string, unknown>) => Config };
}

/** Variables every process reads. */
export const commonEnv = {
  NODE_ENV: str({ choices: ['development', 'test', 'production'], default: 'development' }),
  LOG_LEVEL: str({ choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }),
  /** Read by lib/logger.ts; unset: pretty on a terminal outside production, JSON otherwise. */
  LOG_FORMAT: str({ choices: ['pretty', 'json'], default: undefined, desc: 'log line format' }),
  HOST: str({ default: '0.0.0.0', desc: 'interface to listen on' }),
  /** A development-only default: in production it must be set, and strong. */
  INTERNAL_SECRET: secret({ devDefault: DEVELOPMENT_INTERNAL_SECRET, desc: 'credential the gateway and services present to subgraphs' }),
};

/** The key of access tokens: only users (signs them) and the gateway (verifies them) hold it. */
export const jwtSecretEnv = {
  JWT_SECRET: secret({ devDefault: DEVELOPMENT_JWT_SECRET, desc: 'HS256 key for access tokens' }),
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

import 'reflect-metadata';
import path from 'node:path';
import { commonEnv, disableApolloTelemetry, port, readEnv, redisEnv, str, url } from '../lib/config';
import { DEMO_USERS } from '../lib/demo-data';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/embedded-postgres';
import { createLogger } from '../lib/logger';
import { repoRoot } from '../lib/paths';
import { runMain, stopOnSignals } from '../lib/entry-point';
import { startLocalSupergraph } from './local-supergraph';

/**
 * `npm start`: the whole supergraph in one process on embedded defaults.
 * Without DATABASE_URL it runs an embedded PostgreSQL whose data stays in
 * .data/postgres across restarts; databases are created, migrated and, the
 * first time, seeded with demo data.
 */
async function main(): Promise<void> {
  const startedAt = Date.now();
  disableApolloTelemetry();
  const env = readEnv({
    ...commonEnv,
    DATABASE_URL: url({ default: undefined }),
    ...redisEnv,
    DATABASE_NAME_PREFIX: str({ default: 'commerce' }),
    PORT: port({ default: 4000 }),
    EMBEDDED_POSTGRES_DIR: str({ default: path.join(repoRoot(), '.data', 'postgres') }),
    EMBEDDED_POSTGRES_PORT: port({ default: 54329 }),
  });
  const log = createLogger('supergraph', env.LOG_LEVEL);
  const say = (message: string) => log.info(message);

  let embedded: EmbeddedPostgresHandle | undefined;
  let serverUrl = env.DATABASE_URL;
  if (!serverUrl) {
    say(`starting embedded PostgreSQL (data in ${path.relative(process.cwd(), env.EMBEDDED_POSTGRES_DIR) || '.'})`);
    embedded = await startEmbeddedPostgres({ dataDir: env.EMBEDDED_POSTGRES_DIR, port: env.EMBEDDED_POSTGRES_PORT, persistent: true });
    serverUrl = embedded.url;
  }

  try {
    const supergraph = await startLocalSupergraph({
      serverUrl,
      databasePrefix: env.DATABASE_NAME_PREFIX,
      host: env.HOST,
      gatewayPort: env.PORT,
      internalSecret: env.INTERNAL_SECRET,
      jwtSecret: env.JWT_SECRET,
      production: env.NODE_ENV === 'production',
      seed: 'created',
      redisUrl: env.REDIS_URL,
      redisNamespace: env.REDIS_NAMESPACE,
      logLevel: env.LOG_LEVEL,
      onProgress: say,
    });
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const lines = [
      '',
      `  Supergraph ready in ${seconds}s`,
      `  GraphQL endpoint  ${supergraph.gatewayUrl}`,
      `  Apollo Sandbox    ${supergraph.gateway.url}/  (development only)`,
      `  Health            ${supergraph.gateway.url}/health, ${supergraph.gateway.url}/ready`,
      '',
      '  Demo accounts (development only, never in production):',
      ...DEMO_USERS.map((user) => `    ${user.role.padEnd(8)} ${user.email} / ${user.password}`),
      '',
    ];
    if (env.NODE_ENV !== 'production') process.stdout.write(`${lines.join('\n')}\n`);
    stopOnSignals(log, async () => {
      await supergraph.stop();
      await embedded?.stop();
    });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

runMain(main);

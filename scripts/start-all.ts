import '../lib/instrument';
import 'reflect-metadata';
import path from 'node:path';
import { bool, commonEnv, disableApolloTelemetry, jwtSecretEnv, port, readEnv, redisEnv, str, url } from '../lib/config';
import { DEMO_USERS } from '../lib/demo-data';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/embedded-postgres';
import { createLogger } from '../lib/logger';
import { repoRoot } from '../lib/paths';
import { runMain, stopOnSignals } from '../lib/entry-point';
import { processShuttingDown } from '../lib/graceful-shutdown';
import { listenFailure, StartupError } from '../lib/startup-error';
import { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { startLocalSupergraph } from './local-supergraph';
import { startTracing } from '../lib/tracing';

/** `npm start`'s port setting of each subgraph: USERS_PORT ... ORDERS_PORT. */
const portSetting = (name: SubgraphName) => `${name.toUpperCase()}_PORT`;

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
    ...jwtSecretEnv,
    DATABASE_URL: url({ default: undefined }),
    ...redisEnv,
    DATABASE_NAME_PREFIX: str({ default: 'commerce' }),
    PORT: port({ default: 4000 }),
    EMBEDDED_POSTGRES_DIR: str({ default: path.join(repoRoot(), '.data', 'postgres') }),
    EMBEDDED_POSTGRES_PORT: port({ default: 54329 }),
    ACCESS_LOG: bool({ default: undefined, desc: 'one info line per GraphQL operation; npm start: off outside production (the line is at debug)' }),
    ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [portSetting(name), port({ default: DEFAULT_SUBGRAPH_PORTS[name] })])),
  });
  // One process, one service name: the spans of each subgraph carry `subgraph.name`.
  const tracing = startTracing('supergraph');
  const subgraphPorts = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, (env as Record<string, unknown>)[portSetting(name)]])) as Record<SubgraphName, number>;
  const log = createLogger('supergraph', env.LOG_LEVEL);
  const say = (message: string) => log.info(message);

  const production = env.NODE_ENV === 'production';
  let embedded: EmbeddedPostgresHandle | undefined;
  let supergraph: Awaited<ReturnType<typeof startLocalSupergraph>> | undefined;
  // From the start: a Ctrl-C while starting stops what has started; a second one exits at once.
  stopOnSignals(log, async () => {
    await supergraph?.stop();
    await embedded?.stop();
    await tracing.shutdown();
  });
  let serverUrl = env.DATABASE_URL;
  if (!serverUrl) {
    const dataDir = path.relative(process.cwd(), env.EMBEDDED_POSTGRES_DIR) || '.';
    embedded = await startEmbeddedPostgres({ dataDir: env.EMBEDDED_POSTGRES_DIR, port: env.EMBEDDED_POSTGRES_PORT, persistent: true, callerHandlesSignals: true });
    serverUrl = embedded.url;
    say(`PostgreSQL ready (embedded, port ${env.EMBEDDED_POSTGRES_PORT}, data in ${dataDir})`);
  } else {
    say(`PostgreSQL at ${new URL(serverUrl).host} (DATABASE_URL)`);
  }

  try {
    supergraph = await startLocalSupergraph({
      serverUrl,
      databasePrefix: env.DATABASE_NAME_PREFIX,
      host: env.HOST,
      gatewayPort: env.PORT,
      subgraphPorts,
      internalSecret: env.INTERNAL_SECRET,
      jwtSecret: env.JWT_SECRET,
      production,
      seed: 'created',
      redisUrl: env.REDIS_URL,
      redisNamespace: env.REDIS_NAMESPACE,
      logLevel: env.LOG_LEVEL,
      // An explicit LOG_LEVEL shows every start-up detail (migrations applied, data seeded, ...); by default one line per step.
      quietStartup: process.env.LOG_LEVEL === undefined,
      // Per-operation access lines: on in production, at debug otherwise unless ACCESS_LOG=on.
      gateway: { accessLog: env.ACCESS_LOG ?? production },
      onProgress: say,
    });
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    const lines = [
      '',
      `  Supergraph ready in ${seconds}s`,
      `  GraphQL endpoint  ${supergraph.gatewayUrl}`,
      `  Explorer          ${supergraph.gateway.url}/explorer  (GraphiQL, works offline; development only)`,
      `  Apollo Sandbox    ${supergraph.gatewayUrl}  (in a browser, needs internet; ${supergraph.gateway.url}/ offers both)`,
      `  Health            ${supergraph.gateway.url}/health, ${supergraph.gateway.url}/ready`,
      '',
      '  Demo accounts (development only, never in production):',
      ...DEMO_USERS.map((user) => `    ${user.role.padEnd(8)} ${user.email} / ${user.password}`),
      '',
    ];
    if (!production) process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    // Stopped by a signal while starting: the signal handler ends the process.
    if (processShuttingDown()) return;
    await embedded?.stop();
    throw withPortSetting(error, subgraphPorts);
  }
}

/** A port in use names PORT (the gateway's); when it is a subgraph's port, name that subgraph's setting instead. */
function withPortSetting(error: unknown, subgraphPorts: Record<SubgraphName, number>): unknown {
  if (!(error instanceof StartupError) || error.setting !== 'PORT') return error;
  const { port, address } = error.cause as { port?: number; address?: string };
  const subgraph = SUBGRAPH_NAMES.find((name) => subgraphPorts[name] === port);
  return subgraph && port !== undefined ? listenFailure(error.cause, port, address ?? '', portSetting(subgraph)) : error;
}

runMain(main);

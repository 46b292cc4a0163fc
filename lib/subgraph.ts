import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import express, { type Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import { commonEnv, databaseEnv, disableApolloTelemetry, port, readEnv, subgraphUrlEnv } from './config';
import { databaseName, databaseUrl, openDatabase, type DatabaseSpec, type EntityManager } from './database';
import { ErrorCode } from './errors';
import { buildFederatedSchema, type SchemaSpec } from './federation-schema';
import { errorFormatter } from './format-error';
import { listen, type ListeningServer } from './http';
import { forwardedViewer, hasInternalCredential, type Viewer } from './identity';
import { createLogger, type Logger } from './logger';
import type { BackgroundTask } from './periodic-task';
import { stopOnSignals } from './shutdown';
import { closeSubgraphClients, createSubgraphClients, type SubgraphClients } from './subgraph-client';
import { DEFAULT_SUBGRAPH_PORTS, subgraphUrlsFromEnv, type SubgraphName } from './subgraph-names';

export { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';

/** What a request's loaders may depend on besides the entity manager. */
export interface LoaderScope {
  viewer: Viewer | null;
  clients: SubgraphClients;
}

/** What every resolver and service of a subgraph gets for one request. */
export interface SubgraphContext<Loaders = unknown> {
  /** Forked per request: its identity map never leaks between requests. */
  em: EntityManager;
  viewer: Viewer | null;
  loaders: Loaders;
  log: Logger;
  /** Sibling subgraphs, for service-to-service calls (pass `viewer` on). */
  clients: SubgraphClients;
  settings: SubgraphSettings;
}

/** Process-wide settings a resolver or service may need. */
export interface SubgraphSettings {
  production: boolean;
  /** Key of access tokens (users signs them; the gateway verifies them). */
  jwtSecret: string;
}

export interface SubgraphDefinition<Loaders = unknown> extends SchemaSpec<SubgraphContext<Loaders>> {
  name: SubgraphName;
  database: DatabaseSpec;
  /** Request-scoped DataLoaders, built lazily per request. */
  createLoaders(em: EntityManager, scope: LoaderScope): Loaders;
  /** Loads the demo data; must be idempotent. */
  seed?(em: EntityManager, log: Logger): Promise<void>;
  /** Work that runs beside the server (sweepers, the outbox relay); stopped before the database closes. */
  startBackgroundTasks?(context: BackgroundTaskContext): BackgroundTask[];
}

export interface BackgroundTaskContext {
  orm: MikroORM;
  logger: Logger;
  clients: SubgraphClients;
  settings: SubgraphSettings;
}

export interface SubgraphDeps {
  orm: MikroORM;
  logger: Logger;
  internalSecret: string;
  jwtSecret: string;
  production: boolean;
  clients: SubgraphClients;
}

export interface SubgraphServer {
  app: Express;
  apollo: ApolloServer<SubgraphContext>;
  schema: GraphQLSchema;
  stop(): Promise<void>;
}

/** Builds a subgraph's HTTP app without listening, so tests can drive it. */
export async function createSubgraphServer<Loaders>(definition: SubgraphDefinition<Loaders>, deps: SubgraphDeps): Promise<SubgraphServer> {
  const { schema } = await buildFederatedSchema(definition);
  const log = deps.logger;
  const settings: SubgraphSettings = { production: deps.production, jwtSecret: deps.jwtSecret };
  const apollo = new ApolloServer<SubgraphContext<Loaders>>({
    schema,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: !deps.production,
    // No Apollo Studio here: skip the per-request trace (ftv1) work.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError: errorFormatter(log, deps.production),
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', async (_req, res) => {
    try {
      await deps.orm.em.getConnection().execute('select 1');
      res.json({ status: 'ok', subgraph: definition.name });
    } catch (error) {
      log.warn({ err: error }, 'health check failed');
      res.status(503).json({ status: 'unavailable', subgraph: definition.name });
    }
  });
  app.use(
    '/graphql',
    (req, res, next) => {
      if (hasInternalCredential(req.headers, deps.internalSecret)) return next();
      res.status(401).json({
        errors: [{ message: 'Subgraphs only answer the gateway and sibling services', extensions: { code: ErrorCode.UNAUTHENTICATED } }],
      });
    },
    express.json({ limit: '2mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const em = deps.orm.em.fork();
        const viewer = forwardedViewer(req.headers);
        return { em, viewer, loaders: definition.createLoaders(em, { viewer, clients: deps.clients }), log, clients: deps.clients, settings };
      },
    }),
  );
  return { app, apollo: apollo as ApolloServer<SubgraphContext>, schema, stop: () => apollo.stop() };
}

export interface RunningSubgraph extends ListeningServer {
  name: SubgraphName;
  orm: MikroORM;
  /** True when this start created the database (so it has no data yet). */
  createdDatabase: boolean;
  backgroundTasks: BackgroundTask[];
  /** Stops HTTP, Apollo and the database pool. */
  stop(): Promise<void>;
}

export interface StartSubgraphOptions {
  serverUrl: string;
  databasePrefix: string;
  port: number;
  host: string;
  internalSecret: string;
  jwtSecret: string;
  production: boolean;
  logger?: Logger;
  poolMax?: number;
  /** Where sibling subgraphs listen; defaults to localhost ports. */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
  /** Off in tests that drive sweepers themselves. */
  backgroundTasks?: boolean;
}

/** Opens (creating and migrating) the subgraph's database, then serves it. */
export async function startSubgraph<Loaders>(definition: SubgraphDefinition<Loaders>, options: StartSubgraphOptions): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger(definition.name);
  const { orm, created } = await openDatabase(definition.database, {
    url: databaseUrl(options.serverUrl, databaseName(options.databasePrefix, definition.name)),
    poolMax: options.poolMax,
    logger,
  });
  const clients = createSubgraphClients({ ...subgraphUrlsFromEnv({}), ...options.subgraphUrls }, options.internalSecret);
  try {
    const server = await createSubgraphServer(definition, {
      orm,
      logger,
      internalSecret: options.internalSecret,
      jwtSecret: options.jwtSecret,
      production: options.production,
      clients,
    });
    const listening = await listen(server.app, options.port, options.host);
    const settings: SubgraphSettings = { production: options.production, jwtSecret: options.jwtSecret };
    const backgroundTasks =
      options.backgroundTasks === false ? [] : (definition.startBackgroundTasks?.({ orm, logger, clients, settings }) ?? []);
    return {
      ...listening,
      name: definition.name,
      orm,
      createdDatabase: created,
      backgroundTasks,
      stop: async () => {
        await Promise.all(backgroundTasks.map((task) => task.stop()));
        await listening.close();
        await server.stop();
        await closeSubgraphClients(clients);
        await orm.close(true);
      },
    };
  } catch (error) {
    await closeSubgraphClients(clients);
    await orm.close(true);
    throw error;
  }
}

/** The body of a subgraph's entry file: read the environment, start, serve until signalled. */
export async function runSubgraphMain<Loaders>(definition: SubgraphDefinition<Loaders>): Promise<void> {
  disableApolloTelemetry();
  const env = readEnv({ ...commonEnv, ...databaseEnv, ...subgraphUrlEnv, PORT: port({ default: DEFAULT_SUBGRAPH_PORTS[definition.name] }) });
  const logger = createLogger(definition.name, env.LOG_LEVEL);
  const running = await startSubgraph(definition, {
    serverUrl: env.DATABASE_URL,
    databasePrefix: env.DATABASE_NAME_PREFIX,
    port: env.PORT,
    host: env.HOST,
    internalSecret: env.INTERNAL_SECRET,
    jwtSecret: env.JWT_SECRET,
    production: env.NODE_ENV === 'production',
    poolMax: env.DATABASE_POOL_MAX,
    subgraphUrls: subgraphUrlsFromEnv(env),
    logger,
  });
  logger.info({ url: `${running.url}/graphql` }, `${definition.name} subgraph ready`);
  stopOnSignals(logger, running.stop);
}

import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { register } from 'prom-client';
import express, { type Express } from 'express';
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { commonEnv, ConfigError, databaseEnv, disableApolloTelemetry, port, readEnv, redisEnv, subgraphUrlEnv, type EnvSettings } from './config';
import { databaseName, databaseUrl, openDatabase, withSafeDatabaseErrors, type DatabaseSpec, type EntityManager } from './database';
import { ErrorCode } from './errors';
import { buildFederatedSchema, type SchemaSpec } from './federation-schema';
import { errorFormatter } from './format-error';
import { listen, type ListeningServer } from './http';
import { forwardedRequestStart, forwardedViewer, hasInternalCredential, INTERNAL_SECRET_HEADER, VIEWER_HEADER, type Viewer } from './identity';
import { createLogger, type Logger } from './logger';
import type { BackgroundTask } from './periodic-task';
import { stopOnSignals } from './entry-point';
import { DEFAULT_SHUTDOWN, DrainState, drainServer, shutdownEnv, shutdownSettings, type ShutdownSettings } from './graceful-shutdown';
import { createEventBus, type EventBus } from './event-bus';
import { startOutboxRelay, type OutboxRelay } from './outbox-relay';
import { closeSubgraphClients, createSubgraphClients, type SubgraphClients } from './subgraph-client';
import { readResilienceConfig, resilienceConfig, resilienceEnv, type ResilienceConfig, type ResilienceValues } from './resilience';
import { DEFAULT_SUBGRAPH_PORTS, subgraphUrlsFromEnv, type SubgraphName } from './subgraph-names';
import { listenMetrics, metricsEndpoint, metricsEnv } from './metrics-endpoint';
import { collectProcessMetrics } from './process-metrics';
import { SubgraphMetrics } from './subgraph-metrics';
import { EVENT_TIME_EXTENSION } from './events';
import { invalidTextError } from './text-input';
import { graphqlOperationSpan, operationSpanPlugin } from './subgraph-tracing';
import { startTracing } from './tracing';

export { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';

/** What a request's loaders may depend on besides the entity manager. */
export interface LoaderScope {
  viewer: Viewer | null;
  clients: SubgraphClients;
}

/** What every resolver and service of a subgraph gets for one request. */
export interface SubgraphContext<Loaders = unknown, Config = unknown> {
  /** Forked per request: its identity map never leaks between requests. */
  em: EntityManager;
  viewer: Viewer | null;
  loaders: Loaders;
  log: Logger;
  /** Sibling subgraphs, for service-to-service calls (pass `viewer` on). */
  clients: SubgraphClients;
  settings: SubgraphSettings;
  /** This subgraph's own settings (its definition's `env`). */
  config: Config;
  /** Domain events, for subscription resolvers that filter or authorize themselves. */
  events: EventBus;
  /** The time (ISO 8601) of the event a subscription is resolving, set before each event. */
  eventTime?: string;
  /** When the client's request reached the gateway (ms since epoch; forwarded, else when this subgraph received it): where time budgets start. */
  requestStartedAt: number;
}

/** Process-wide settings a resolver or service may need. */
export interface SubgraphSettings {
  production: boolean;
}

export interface SubgraphDefinition<Loaders = unknown, Config = unknown> extends SchemaSpec<SubgraphContext<Loaders, Config>> {
  name: SubgraphName;
  /**
   * The settings this subgraph reads besides the common ones (`envSettings(xEnv, xConfig)`):
   * validated with them at start, before any connection; its config reaches the context
   * and the background tasks as `config`.
   */
  env?: EnvSettings<Config>;
  database: DatabaseSpec;
  /** Request-scoped DataLoaders, built for each request (and each subscription). */
  createLoaders(em: EntityManager, scope: LoaderScope): Loaders;
  /** Loads the demo data; must be idempotent. */
  seed?(em: EntityManager, log: Logger): Promise<void>;
  /** True for subgraphs with an outbox (lib/outbox.ts): a relay publishes it to the event bus. */
  publishesEvents?: boolean;
  /** Work that runs beside the server (sweepers); stopped before the database closes. */
  startBackgroundTasks?(context: BackgroundTaskContext<Config>): BackgroundTask[];
}

export interface BackgroundTaskContext<Config = unknown> {
  orm: MikroORM;
  logger: Logger;
  clients: SubgraphClients;
  /** The event bus, for tasks that follow other subgraphs' events (catalog's availability projection). */
  events: EventBus;
  settings: SubgraphSettings;
  config: Config;
}

/**
 * A subgraph's own settings from `env` (NODE_ENV `production` when `production`
 * says so), every problem at once; undefined for a subgraph that declares none.
 */
export function readSubgraphConfig<Config>(definition: Pick<SubgraphDefinition<unknown, Config>, 'env'>, env: NodeJS.ProcessEnv = process.env, production?: boolean): Config {
  if (!definition.env) return undefined as Config;
  const mode = production === undefined ? env.NODE_ENV : production ? 'production' : 'development';
  const values = readEnv({ NODE_ENV: commonEnv.NODE_ENV, ...definition.env.variables }, { ...env, NODE_ENV: mode });
  return definition.env.config(values);
}

/**
 * A subscription's context lives as long as the subscription, so each event
 * must start from current data, not from what earlier events left in the
 * identity map and the loaders. The subgraph server runs this before every
 * subscription event (graphql-ws runs the events of one subscription one
 * after another).
 */
function refreshForEvent(ctx: SubgraphContext<unknown, unknown>, event: unknown): void {
  const changedAt = (event as { changedAt?: unknown } | null)?.changedAt;
  ctx.eventTime = typeof changedAt === 'string' ? changedAt : undefined;
  ctx.em.clear();
  for (const loader of Object.values(ctx.loaders as Record<string, unknown>)) {
    if (loader instanceof DataLoader) loader.clearAll();
  }
}

export interface SubgraphDeps {
  orm: MikroORM;
  logger: Logger;
  internalSecret: string;
  settings: SubgraphSettings;
  /** The definition's own settings; read from process.env when absent. */
  config?: unknown;
  clients: SubgraphClients;
  events: EventBus;
  /** /metrics is served on an internal port of its own (startSubgraph listens there), not on the app. */
  separateMetricsPort?: boolean;
}

export interface SubgraphServer {
  app: Express;
  /** This subgraph's own metrics (operations, SQL, pool, outbox). */
  metrics: SubgraphMetrics;
  apollo: ApolloServer<SubgraphContext>;
  schema: GraphQLSchema;
  /** Serves subscriptions over graphql-ws on `/graphql` of a listening server (for the gateway). */
  attachSubscriptions(server: Server): { dispose(): Promise<void> };
  /** Set on SIGTERM: /health answers 503 and responses close their connections. */
  drain: DrainState;
  stop(): Promise<void>;
}

/** Builds a subgraph's HTTP app without listening, so tests can drive it. */
export async function createSubgraphServer<Loaders, Config>(definition: SubgraphDefinition<Loaders, Config>, deps: SubgraphDeps): Promise<SubgraphServer> {
  const config = 'config' in deps ? (deps.config as Config) : readSubgraphConfig(definition, process.env, deps.settings.production);
  const { schema } = await buildFederatedSchema<SubgraphContext<Loaders, Config>>(definition, {
    pubSub: deps.events.pubSub,
    beforeSubscriptionEvent: refreshForEvent,
  });
  const log = withSafeDatabaseErrors(deps.logger);
  const { settings } = deps;
  const formatError = errorFormatter(log, settings.production);
  collectProcessMetrics(register);
  const metrics = new SubgraphMetrics(definition.name, { orm: deps.orm, outbox: definition.publishesEvents === true });
  const contextFor = (viewer: Viewer | null, requestStartedAt = Date.now()): SubgraphContext<Loaders, Config> => {
    const em = deps.orm.em.fork();
    return { em, viewer, loaders: definition.createLoaders(em, { viewer, clients: deps.clients }), log, clients: deps.clients, settings, config, events: deps.events, requestStartedAt };
  };
  const apollo = new ApolloServer<SubgraphContext<Loaders, Config>>({
    schema,
    csrfPrevention: true,
    introspection: true,
    // Shutdown is ours (drain, then stop): Apollo's own handler would stop at once and re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !settings.production,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // No Apollo Studio here: skip the per-request trace (ftv1) work.
      ApolloServerPluginInlineTraceDisabled(),
      // The @cacheControl hints are for the gateway's response cache, which reads them from the supergraph; a subgraph's
      // answer to one fetch is never cached itself. Apollo's cache-control plugin would compute a policy nobody reads,
      // with a hook on every resolved field (which also makes Apollo wrap every resolver). `no-store` is set below instead.
      ApolloServerPluginCacheControlDisabled(),
      metrics.plugin,
      operationSpanPlugin,
      {
        requestDidStart: async () => ({
          // Text PostgreSQL cannot store is refused before any resolver sees it, as a 400 (a plugin's error is a 500 otherwise).
          didResolveOperation: async ({ document, request }) => {
            const error = invalidTextError(document, request.variables, { http: { status: 400 } });
            if (error) throw error;
          },
          willSendResponse: async ({ response }) => {
            response.http.headers.set('cache-control', 'no-store');
          },
        }),
      },
    ],
    formatError,
  });
  await apollo.start();

  const drain = new DrainState();
  const app = express();
  app.disable('x-powered-by');
  app.use(drain.closeConnectionsWhenDraining);
  // Prometheus metrics: this subgraph's own registry, then the process's (prom-client's default registry:
  // process metrics, sibling breakers, services' own counters). Subgraph ports are internal, never
  // published; scrape them from inside the cluster (or on METRICS_PORT).
  if (!deps.separateMetricsPort) app.get('/metrics', metricsEndpoint([metrics.registry, register]));
  app.get('/health', async (_req, res) => {
    if (drain.draining) {
      res.status(503).json({ status: 'draining', subgraph: definition.name });
      return;
    }
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
    graphqlOperationSpan(definition.name),
    expressMiddleware(apollo, {
      context: async ({ req }) => contextFor(forwardedViewer(req.headers), forwardedRequestStart(req.headers)),
    }),
  );

  const attachSubscriptions = (server: Server) => {
    const wss = new WebSocketServer({ server, path: '/graphql' });
    const disposable = useServer<Record<string, unknown>>(
      {
        schema,
        // The connection proves it is the gateway; the viewer travels per operation, because one
        // gateway connection carries the subscriptions of many clients.
        onConnect: ({ connectionParams }) =>
          hasInternalCredential({ [INTERNAL_SECRET_HEADER]: connectionParams?.[INTERNAL_SECRET_HEADER] as string | undefined }, deps.internalSecret),
        // The same refusal of invalid text as over HTTP.
        onSubscribe: (_ctx, _id, payload) => {
          let document: DocumentNode;
          try {
            document = parse(payload.query);
          } catch {
            return undefined; // graphql-ws parses it again and reports the syntax error
          }
          const error = invalidTextError(document, payload.variables);
          return error ? [error] : undefined;
        },
        // Events are not answered through Apollo Server: their errors get its formatting (and masking) here.
        // The event's time rides along in the extensions, for the gateway's event latency.
        onNext: (_ctx, _id, _payload, args, result) => {
          const formatted = result.errors && {
            ...result,
            errors: result.errors.map((error) => formatError({ ...error.toJSON(), extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...error.extensions } }, error)),
          };
          const eventTime = (args.contextValue as SubgraphContext | undefined)?.eventTime;
          if (eventTime === undefined) return formatted;
          const answer = formatted ?? result;
          return { ...answer, extensions: { ...answer.extensions, [EVENT_TIME_EXTENSION]: eventTime } };
        },
        context: (_ctx, _id, payload) =>
          contextFor(forwardedViewer({ [VIEWER_HEADER]: payload.extensions?.[VIEWER_HEADER] as string | undefined })),
      },
      wss,
    );
    return {
      dispose: async () => {
        await disposable.dispose();
      },
    };
  };

  return {
    app,
    metrics,
    apollo: apollo as ApolloServer<SubgraphContext>,
    schema,
    attachSubscriptions,
    drain,
    stop: async () => {
      await apollo.stop();
      metrics.close();
    },
  };
}

export interface RunningSubgraph extends ListeningServer {
  name: SubgraphName;
  orm: MikroORM;
  /** True when this start created the database (so it has no data yet). */
  createdDatabase: boolean;
  backgroundTasks: BackgroundTask[];
  /** Present when the subgraph publishes events and background tasks run. */
  outboxRelay?: OutboxRelay;
  /** Where /metrics is served: `${url}/metrics`, or the internal METRICS_PORT. */
  metricsUrl: string;
  events: EventBus;
  /** Drains HTTP (no load-balancer delay), stops background work, Apollo and the database pool. */
  stop(): Promise<void>;
  /** What SIGTERM runs: readiness (/health) off for SHUTDOWN_DELAY_MS first, then as `stop`. */
  shutdown(): Promise<void>;
}

export interface StartSubgraphOptions<Config = unknown> {
  serverUrl: string;
  databasePrefix: string;
  port: number;
  host: string;
  internalSecret: string;
  production: boolean;
  /** The definition's own settings, read already (runSubgraphMain reads them with the rest). */
  config?: Config;
  /** Where they are read from when `config` is absent (before anything connects); process.env when absent. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  poolMax?: number;
  /** Where sibling subgraphs listen; defaults to localhost ports. */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
  /** Off in tests that drive sweepers themselves. */
  backgroundTasks?: boolean;
  /** Shared by all subgraphs of one process; a private in-process bus when absent. */
  events?: EventBus;
  /** Timeouts and breakers of calls to siblings; from the environment (lib/resilience.ts) when absent. */
  resilience?: ResilienceConfig;
  /** How SIGTERM drains the server (default: no delay, 25 s grace). */
  shutdown?: ShutdownSettings;
  /** An internal port of its own for /metrics (METRICS_PORT); on `port` when absent. */
  metricsPort?: number;
}

/** Opens (creating and migrating) the subgraph's database, then serves it. */
export async function startSubgraph<Loaders, Config>(definition: SubgraphDefinition<Loaders, Config>, options: StartSubgraphOptions<Config>): Promise<RunningSubgraph> {
  // Settings first: a bad value stops the start before anything connects.
  const config = 'config' in options ? (options.config as Config) : readSubgraphConfig(definition, options.env ?? process.env, options.production);
  const logger = withSafeDatabaseErrors(options.logger ?? createLogger(definition.name));
  const resilience = options.resilience ?? readResilienceConfig();
  const { orm, created } = await openDatabase(definition.database, {
    url: databaseUrl(options.serverUrl, databaseName(options.databasePrefix, definition.name)),
    poolMax: options.poolMax,
    logger,
  });
  const defaultUrls = subgraphUrlsFromEnv({});
  // Read at each call: in one process (npm start, tests) a sibling started after this one (catalog calls inventory) gets its address when it starts.
  const clients = createSubgraphClients((name) => options.subgraphUrls?.[name] ?? defaultUrls[name], options.internalSecret, {
    resilience,
    logger,
    // Sibling breakers on this process's /metrics (prom-client's default registry), by calling subgraph.
    registry: register,
    caller: definition.name,
  });
  const events = options.events ?? createEventBus({ logger });
  // Everything started so far, stopped in reverse if a later step fails (or on stop).
  const started: (() => Promise<void>)[] = [
    () => orm.close(true),
    ...(options.events ? [] : [() => events.close()]),
    () => closeSubgraphClients(clients),
  ];
  const stopStarted = async () => {
    for (const stop of [...started].reverse()) await stop();
  };
  const settings: SubgraphSettings = { production: options.production };
  // The load-balancer delay applies to SIGTERM (`shutdown`), not to a stop asked for in code.
  let drainDelayMs = 0;
  try {
    const server = await createSubgraphServer(definition, {
      orm,
      logger,
      internalSecret: options.internalSecret,
      settings,
      config,
      clients,
      events,
      separateMetricsPort: options.metricsPort !== undefined,
    });
    started.push(() => server.stop());
    const metricsServer = options.metricsPort === undefined ? undefined : await listenMetrics([server.metrics.registry, register], options.metricsPort, options.host);
    if (metricsServer) started.push(() => metricsServer.close());
    const runBackground = options.backgroundTasks !== false;
    const outboxRelay = definition.publishesEvents && runBackground ? startOutboxRelay({ orm, bus: events, logger }) : undefined;
    if (outboxRelay) started.push(() => outboxRelay.stop());
    const backgroundTasks = runBackground ? (definition.startBackgroundTasks?.({ orm, logger, clients, settings, config, events }) ?? []) : [];
    started.push(async () => {
      await Promise.all(backgroundTasks.map((task) => task.stop()));
    });
    const listening = await listen(server.app, options.port, options.host);
    const subscriptions = server.attachSubscriptions(listening.server);
    // In-flight requests finish first; then background work stops and the pools close.
    const shutdown = options.shutdown ?? DEFAULT_SHUTDOWN;
    started.push(() => drainServer(listening.server, server.drain, { ...shutdown, delayMs: drainDelayMs }, logger, () => subscriptions.dispose()));
    return {
      ...listening,
      name: definition.name,
      orm,
      createdDatabase: created,
      backgroundTasks,
      outboxRelay,
      metricsUrl: `${metricsServer?.url ?? listening.url}/metrics`,
      events,
      stop: stopStarted,
      shutdown: async () => {
        drainDelayMs = shutdown.delayMs;
        await stopStarted();
      },
    };
  } catch (error) {
    await stopStarted();
    throw error;
  }
}

/**
 * The settings of a subgraph run alone: the common ones and the definition's
 * own, validated together (every problem at once, one line each) before the
 * process connects to anything.
 */
export function readSubgraphEnv<Loaders, Config>(definition: SubgraphDefinition<Loaders, Config>, source: NodeJS.ProcessEnv = process.env) {
  const specs = {
    ...commonEnv,
    ...databaseEnv,
    ...subgraphUrlEnv,
    ...redisEnv,
    ...shutdownEnv,
    ...resilienceEnv,
    ...metricsEnv,
    PORT: port({ default: DEFAULT_SUBGRAPH_PORTS[definition.name] }),
  };
  const problems: string[] = [];
  let env: ReturnType<typeof readEnv<typeof specs>> | undefined;
  let config: Config | undefined;
  let resilience: ResilienceConfig | undefined;
  try {
    const values = readEnv({ ...specs, ...definition.env?.variables }, source);
    env = values as ReturnType<typeof readEnv<typeof specs>>;
    config = definition.env ? definition.env.config(values) : (undefined as Config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // The breaker settings together (settings under which no breaker could open are refused), in
  // the same list, even when an unrelated setting is bad; a bad one of their own is listed above.
  let resilienceValues: ResilienceValues | undefined = env;
  if (!resilienceValues) {
    try {
      resilienceValues = readEnv(resilienceEnv, source);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  }
  if (resilienceValues) {
    try {
      resilience = resilienceConfig(resilienceValues, 'sibling');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (definition.publishesEvents && !(env ? env.REDIS_URL : source.REDIS_URL)) {
    // In-process delivery only reaches subscribers and caches in this process; alone, that would silently drop events.
    problems.push(
      `REDIS_URL: required when ${definition.name} runs as its own process, so its events reach every process that serves subscriptions or caches responses (use \`npm start\` to run everything in one process without Redis)`,
    );
  }
  if (problems.length > 0 || !env || !resilience) throw new ConfigError(problems);
  return { env, config: config as Config, resilience };
}

/** The body of a subgraph's entry file: read the environment, start, serve until signalled. */
export async function runSubgraphMain<Loaders, Config>(definition: SubgraphDefinition<Loaders, Config>): Promise<void> {
  disableApolloTelemetry();
  const { env, config, resilience } = readSubgraphEnv(definition);
  const tracing = startTracing(definition.name);
  const logger = createLogger(definition.name, env.LOG_LEVEL);
  // Only a subgraph that publishes events cannot start without Redis; the others reconnect in the background.
  const events = createEventBus({ redisUrl: env.REDIS_URL, namespace: env.REDIS_NAMESPACE, logger, requiredAtStart: definition.publishesEvents === true });
  const running = await startSubgraph(definition, {
    serverUrl: env.DATABASE_URL,
    databasePrefix: env.DATABASE_NAME_PREFIX,
    port: env.PORT,
    host: env.HOST,
    internalSecret: env.INTERNAL_SECRET,
    production: env.NODE_ENV === 'production',
    config,
    poolMax: env.DATABASE_POOL_MAX,
    subgraphUrls: subgraphUrlsFromEnv(env),
    events,
    logger,
    shutdown: shutdownSettings(env),
    resilience,
    metricsPort: env.METRICS_PORT,
  });
  logger.info({ url: `${running.url}/graphql`, events: events.kind }, `${definition.name} subgraph ready`);
  stopOnSignals(logger, async () => {
    await running.shutdown();
    await events.close();
    await tracing.shutdown();
  });
}

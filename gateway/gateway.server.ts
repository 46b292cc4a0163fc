import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Server } from 'node:http';
import { CircuitBreakers, type BreakerState } from '../lib/circuit-breaker';
import { ErrorCode } from '../lib/errors';
import { createEventBus, type EventBus } from '../lib/event-bus';
import { errorFormatter } from '../lib/format-error';
import { DrainState, drainServer } from '../lib/graceful-shutdown';
import { StartupError } from '../lib/startup-error';
import { listen, type ListeningServer } from '../lib/http';
import { listenMetrics } from '../lib/metrics-endpoint';
import { gatewayTimeoutMs } from '../lib/resilience';
import type { Logger } from '../lib/logger';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { originMatcher, useCors } from './cors';
import { useExplorer } from './explorer';
import type { GatewayConfig } from './gateway.config';
import type { GatewayContext } from './gateway.context';
import { GatewayMetrics } from './metrics';
import { createPersistedQueries, usePersistedQueries } from './persisted-queries';
import { createBudgetStore } from './pipeline/budgets';
import { graphqlHttpTransport } from './pipeline/http-transport';
import type { Execute } from './pipeline/operation';
import { OperationAnalyzer } from './pipeline/operation-analysis';
import { AdmissionPipeline } from './pipeline/pipeline';
import { useAuthentication } from './plugins/authentication';
import { clientAddressResolver, useClientIdentity } from './plugins/client-identity';
import { useCredentialThrottle } from './plugins/credential-throttle';
import { useDiscountCodeThrottle } from './plugins/discount-code-throttle';
import { useDemandControl } from './plugins/demand-control';
import { useDocumentLimits } from './plugins/document-limits';
import { useOperationLimits } from './plugins/operation-limits';
import { useOperationLog } from './plugins/operation-log';
import { useRateLimit } from './plugins/rate-limit';
import { useSubgraphRefusals } from './plugins/subgraph-refusals';
import { useValidation } from './plugins/validation';
import { useResponseCache } from './response-cache/response-cache.plugin';
import { SubgraphDataSource } from './subgraph-data-source';
import { attachSubscriptionServer, type SubscriptionServer } from './subscriptions/subscription-server';

export interface GatewayServer {
  app: Express;
  metrics: GatewayMetrics;
  apollo: ApolloServer<GatewayContext>;
  /** Serves subscriptions (and operations) over graphql-ws on /graphql of a listening server. */
  attachSubscriptions(server: Server): SubscriptionServer;
  /** The state of each subgraph's circuit breaker. */
  breakerStates(): Record<string, BreakerState>;
  /** Set on SIGTERM: /ready answers 503 and responses close their connections. */
  drain: DrainState;
  stop(): Promise<void>;
}

export interface GatewayDeps {
  /**
   * Where change events arrive (the response cache drops what they change):
   * the bus of the process when everything runs in one (`npm start`, tests);
   * otherwise Redis pub/sub on REDIS_URL, as the subgraphs publish.
   */
  events?: EventBus;
}

/**
 * The public endpoint: @apollo/gateway over the committed supergraph (static
 * composition, as in production: what runs is what was checked), served by
 * @apollo/server on /graphql, with Apollo Sandbox outside production and the
 * offline GraphiQL explorer on /explorer (see ./explorer.ts).
 */
export async function createGateway(config: GatewayConfig, logger: Logger, deps: GatewayDeps = {}): Promise<GatewayServer> {
  const supergraphSdl = readSupergraph(config.supergraphPath);
  // Parsed once here for persisted queries and subscriptions (@apollo/gateway parses its own copy).
  const supergraph = Supergraph.build(supergraphSdl);
  const dataSources: Record<string, SubgraphDataSource> = {};
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: apolloGatewayLogger(logger),
    buildService: ({ name, url }) => {
      const override = SUBGRAPH_NAMES.includes(name as SubgraphName) ? config.subgraphUrls[name as SubgraphName] : undefined;
      const dataSource = new SubgraphDataSource({
        name,
        url: override ?? url!,
        internalSecret: config.internalSecret,
        timeoutMs: gatewayTimeoutMs(config.resilience, name),
        requestDeadlineMs: config.resilience.requestDeadlineMs,
        breakers,
        logger,
        deduplicate: config.subgraphDeduplication,
        registry: metrics.registry,
      });
      dataSources[name] = dataSource;
      return dataSource;
    },
  });

  const metrics = new GatewayMetrics();
  // One breaker per subgraph, shared by its data source (built when the gateway loads, in apollo.start()).
  const breakers = new CircuitBreakers({ settings: config.resilience.breaker, services: SUBGRAPH_NAMES, logger, registry: metrics.registry });
  const apiSchema = supergraph.apiSchema().toGraphQLJSSchema();
  const persistedQueries = await createPersistedQueries({
    config: config.persistedQueries,
    redisUrl: config.redisUrl,
    redisNamespace: config.redisNamespace,
    apiSchema,
    logger,
    metrics,
  });
  const budgets = await createBudgetStore({ redisUrl: config.redisUrl, namespace: config.redisNamespace, logger });
  // The gateway publishes nothing: an unreachable Redis at start is not fatal (the cache bypasses until events arrive).
  const ownEvents = !deps.events && config.responseCache.enabled && config.redisUrl
    ? createEventBus({ redisUrl: config.redisUrl, namespace: config.redisNamespace, logger, requiredAtStart: false })
    : undefined;
  const responseCache = await useResponseCache({
    config: config.responseCache,
    supergraphSdl,
    apiSchema,
    events: deps.events ?? ownEvents,
    redisUrl: config.redisUrl,
    redisNamespace: config.redisNamespace,
    metrics,
    logger: logger.child({ component: 'response-cache' }),
  });

  // The admission pipeline: every operation, over HTTP or WebSocket, passes these steps in this
  // order before it is executed; each step is one plugin with its own settings, code and metrics.
  const documentLimits = useDocumentLimits(config.documentLimits);
  const pipeline = new AdmissionPipeline(
    [
      useOperationLog({ logger, metrics, accessLog: config.accessLog }),
      useSubgraphRefusals(),
      documentLimits,
      useClientIdentity({ config: config.clientIdentity, apiKeys: persistedQueries.apiKeys, metrics, logger }),
      usePersistedQueries({
        manifests: persistedQueries.manifests,
        mode: config.persistedQueries.safelistMode,
        introspection: config.introspection,
        apqCache: persistedQueries.apqCache,
        apqTtlSeconds: config.persistedQueries.apqTtlSeconds,
        apqMaxDocumentBytes: config.persistedQueries.apqMaxDocumentBytes,
        apqRegistrations: budgets.budget('apq-registrations', config.persistedQueries.apqRegistrationsPerWindow, config.persistedQueries.apqRegistrationWindowSeconds),
        parse: documentLimits.parse,
        logger: logger.child({ component: 'persisted-queries' }),
        metrics,
      }),
      useAuthentication({ jwtSecret: config.jwtSecret }),
      useOperationLimits(config.operationLimits, { introspection: config.introspection, logger }),
      useValidation({ apiSchema, introspection: config.introspection, hideSuggestions: config.production }),
      useDemandControl({ config: config.demandControl, supergraphSdl, metrics, logger }),
      useRateLimit({ config: config.rateLimit, store: budgets, metrics, logger }),
      useCredentialThrottle({ config: config.credentialThrottle, store: budgets, metrics, logger }),
      useDiscountCodeThrottle({ config: config.discountCodeThrottle, store: budgets, metrics, logger }),
      responseCache,
    ],
    logger,
    // One analysis of what each operation executes, read by every step above (none walks the document itself).
    new OperationAnalyzer(apiSchema),
  );

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // The pipeline owns persisted queries and CSRF prevention; Apollo Server executes what it admitted.
    persistedQueries: false,
    csrfPrevention: false,
    // Shutdown is ours (drain, then stop): Apollo's own handler would stop at once and re-raise the signal.
    stopOnTerminationSignals: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: errorFormatter(logger, config.production),
    plugins: [
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      // Cache-Control is the response cache's, from the subgraphs' hints (Apollo's would say no-store to everything).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  // Apollo Server executes what the pipeline admitted, over HTTP and WebSocket alike (the pipeline's hooks run around it).
  const execute: Execute = async (operation) => {
    const response = await apollo.executeOperation(
      { query: operation.executedQuery ?? operation.query, variables: operation.rawVariables, operationName: operation.operationName },
      { contextValue: { viewer: operation.viewer, operation } },
    );
    if (response.body.kind !== 'single') {
      return { result: { errors: [{ message: 'Incremental delivery is not supported', extensions: { code: ErrorCode.BAD_REQUEST } }] }, refused: false, status: 400 };
    }
    return { result: response.body.singleResult, refused: false, status: response.http.status };
  };

  const drain = new DrainState();
  const app = express();
  app.disable('x-powered-by');
  app.use(drain.closeConnectionsWhenDraining);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // On the service port unless METRICS_PORT gives it an internal port of its own (startGateway listens there).
  if (config.metricsPort === undefined) app.get('/metrics', metrics.handler);
  app.get('/ready', async (_req, res) => {
    if (drain.draining) {
      // Shutting down: the load balancer must stop sending new work here.
      res.status(503).json({ status: 'draining' });
      return;
    }
    const checks = await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const healthUrl = config.subgraphUrls[name].replace(/\/graphql\/?$/, '/health');
        try {
          const response = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) });
          return [name, response.ok ? 'ok' : `HTTP ${response.status}`] as const;
        } catch (error) {
          return [name, (error as Error).message] as const;
        }
      }),
    );
    const ready = checks.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', subgraphs: Object.fromEntries(checks), breakers: breakers.states() });
  });
  // `/` offers the offline explorer (GraphiQL, /explorer) and Apollo Sandbox (on /graphql, outside production).
  useExplorer(app, { explorer: config.explorer, sandbox: !config.production });
  app.use(
    '/graphql',
    ...useCors(config.cors),
    graphqlHttpTransport({ apollo, pipeline, execute, maxBodyBytes: config.documentLimits.maxRequestBytes, landingPage: !config.production }),
  );
  // Anything that still fails is ours, not the client's: JSON, never Express's HTML page or a stack.
  app.use(((error, _req, res, _next) => {
    logger.error({ err: error }, 'unhandled error in the gateway');
    if (res.headersSent) return res.end();
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
  }) as ErrorRequestHandler);

  const attachSubscriptions = (server: Server) =>
    attachSubscriptionServer({
      server,
      supergraph,
      subgraphUrls: Object.fromEntries(Object.entries(dataSources).map(([name, dataSource]) => [name, dataSource.url])),
      dataSources,
      internalSecret: config.internalSecret,
      queueSize: config.subscriptionQueueSize,
      limits: config.websocket,
      clientAddress: clientAddressResolver(config.clientIdentity),
      allowOrigin: originMatcher(config.cors),
      logger,
      pipeline,
      executeOperation: async (operation) => (await pipeline.execute(operation, execute)).result,
      registry: metrics.registry,
    });

  return {
    app,
    metrics,
    apollo,
    attachSubscriptions,
    breakerStates: () => breakers.states(),
    drain,
    stop: async () => {
      await apollo.stop();
      await persistedQueries.close();
      await budgets.close();
      await responseCache.close();
      await ownEvents?.close();
      await Promise.all(Object.values(dataSources).map((dataSource) => dataSource.close()));
      breakers.shutdown();
    },
  };
}

/** The committed supergraph; a missing or unreadable file is a start-up failure naming SUPERGRAPH_PATH. */
function readSupergraph(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new StartupError(`the supergraph ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): run \`npm run schema:generate\`, or set SUPERGRAPH_PATH to the composed supergraph`, 'SUPERGRAPH_PATH');
  }
}

export interface RunningGateway extends ListeningServer {
  /** The settings it runs with. */
  config: GatewayConfig;
  subscriptions: SubscriptionServer;
  /** Where /metrics is served: `${url}/metrics`, or the internal METRICS_PORT. */
  metricsUrl: string;
  /** Drains without the load-balancer delay and stops (tests, one-process runs). */
  stop(): Promise<void>;
  /** What SIGTERM runs: readiness off for SHUTDOWN_DELAY_MS first, then as `stop`. */
  shutdown(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, logger: Logger, deps: GatewayDeps = {}): Promise<RunningGateway> {
  const gateway = await createGateway(config, logger, deps);
  const listening = await listen(gateway.app, config.port, config.host);
  let metricsServer: ListeningServer | undefined;
  try {
    if (config.metricsPort !== undefined) metricsServer = await listenMetrics([gateway.metrics.registry], config.metricsPort, config.host);
  } catch (error) {
    await listening.close();
    await gateway.stop();
    throw error;
  }
  const subscriptions = gateway.attachSubscriptions(listening.server);
  // Readiness off, keep serving for the delay, stop accepting, complete open subscriptions
  // (`complete`, not a dropped socket), let in-flight requests finish, then close the pools.
  const stopAfter = async (delayMs: number) => {
    await drainServer(listening.server, gateway.drain, { ...config.shutdown, delayMs }, logger, () => subscriptions.drain());
    await gateway.stop();
    await metricsServer?.close();
  };
  return {
    ...listening,
    config,
    subscriptions,
    metricsUrl: `${metricsServer?.url ?? listening.url}/metrics`,
    stop: () => stopAfter(0),
    shutdown: () => stopAfter(config.shutdown.delayMs),
  };
}

/**
 * The logger @apollo/gateway writes to: its one start-up line ("Gateway
 * successfully loaded schema.\n\t* Mode: unmanaged", with a line break and
 * a tab) becomes one line at debug; everything else passes unchanged.
 */
function apolloGatewayLogger(logger: Logger): Logger {
  const info = (...args: unknown[]) => {
    const message = args[0];
    if (typeof message === 'string' && message.startsWith('Gateway successfully loaded schema')) {
      logger.debug({ mode: /Mode: (\w+)/.exec(message)?.[1] }, 'gateway loaded the supergraph schema');
      return;
    }
    (logger.info as (...values: unknown[]) => void)(...args);
  };
  return new Proxy(logger, {
    get: (target, key) => {
      if (key === 'info') return info;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...values: unknown[]) => unknown).bind(target) : value;
    },
  });
}

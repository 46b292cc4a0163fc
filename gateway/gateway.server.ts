import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { Server } from 'node:http';
import { errorFormatter } from '../lib/format-error';
import { listen, type ListeningServer } from '../lib/http';
import type { Logger } from '../lib/logger';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { authenticate, authorizationHeader } from './authentication';
import type { GatewayConfig } from './gateway.config';
import type { GatewayContext } from './gateway.context';
import { GatewayMetrics } from './metrics';
import { createPersistedQueries } from './persisted-queries';
import { SubgraphDataSource } from './subgraph-data-source';
import { attachSubscriptionServer, type SubscriptionServer } from './subscriptions/subscription-server';

export interface GatewayServer {
  app: Express;
  apollo: ApolloServer<GatewayContext>;
  /** Serves subscriptions (and operations) over graphql-ws on /graphql of a listening server. */
  attachSubscriptions(server: Server): SubscriptionServer;
  stop(): Promise<void>;
}

/**
 * The public endpoint: @apollo/gateway over the committed supergraph (static
 * composition, as in production: what runs is what was checked), served by
 * @apollo/server on /graphql, with Apollo Sandbox outside production.
 */
export async function createGateway(config: GatewayConfig, logger: Logger): Promise<GatewayServer> {
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  // Parsed once here for persisted queries and subscriptions (@apollo/gateway parses its own copy).
  const supergraph = Supergraph.build(supergraphSdl);
  const dataSources: Record<string, SubgraphDataSource> = {};
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) => {
      const override = SUBGRAPH_NAMES.includes(name as SubgraphName) ? config.subgraphUrls[name as SubgraphName] : undefined;
      const dataSource = new SubgraphDataSource({ url: override ?? url!, internalSecret: config.internalSecret });
      dataSources[name] = dataSource;
      return dataSource;
    },
  });

  const metrics = new GatewayMetrics();
  const persistedQueries = await createPersistedQueries({
    config: config.persistedQueries,
    redisUrl: config.redisUrl,
    redisNamespace: config.redisNamespace,
    introspection: config.introspection,
    apiSchema: supergraph.apiSchema().toGraphQLJSSchema(),
    logger,
    metrics,
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    persistedQueries: persistedQueries.apq,
    csrfPrevention: true,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    formatError: errorFormatter(logger, config.production),
    plugins: [
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      persistedQueries.plugin,
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', metrics.handler);
  app.get('/ready', async (_req, res) => {
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
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', subgraphs: Object.fromEntries(checks) });
  });
  if (!config.production) {
    // Sandbox lives on /graphql; send people who open the bare host there.
    app.get('/', (_req, res) => res.redirect(302, '/graphql'));
  }
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({ viewer: await authenticate(authorizationHeader(req.headers), config.jwtSecret) }),
    }),
  );

  const attachSubscriptions = (server: Server) =>
    attachSubscriptionServer({
      server,
      supergraph,
      subgraphUrls: Object.fromEntries(Object.entries(dataSources).map(([name, dataSource]) => [name, dataSource.url])),
      dataSources,
      internalSecret: config.internalSecret,
      jwtSecret: config.jwtSecret,
      queueSize: config.subscriptionQueueSize,
      safelist: {
        apiKeys: persistedQueries.apiKeys,
        manifests: persistedQueries.manifests,
        mode: config.persistedQueries.safelistMode,
        introspection: config.introspection,
      },
      logger,
      executeOperation: async (request, viewer) => {
        const response = await apollo.executeOperation(
          { query: request.query, variables: request.variables ?? undefined, operationName: request.operationName ?? undefined },
          { contextValue: { viewer } },
        );
        return response.body.kind === 'single' ? response.body.singleResult : { errors: [{ message: 'Incremental delivery is not supported over WebSocket' }] };
      },
    });

  return {
    app,
    apollo,
    attachSubscriptions,
    stop: async () => {
      await apollo.stop();
      await persistedQueries.close();
      await Promise.all(Object.values(dataSources).map((dataSource) => dataSource.close()));
    },
  };
}

export interface RunningGateway extends ListeningServer {
  subscriptions: SubscriptionServer;
  stop(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const gateway = await createGateway(config, logger);
  const listening = await listen(gateway.app, config.port, config.host);
  const subscriptions = gateway.attachSubscriptions(listening.server);
  return {
    ...listening,
    subscriptions,
    stop: async () => {
      // Open subscriptions end with `complete`, not a dropped socket.
      await subscriptions.drain();
      await listening.close();
      await gateway.stop();
    },
  };
}

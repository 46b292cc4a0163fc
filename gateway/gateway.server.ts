import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { errorFormatter } from '../lib/format-error';
import { listen, type ListeningServer } from '../lib/http';
import type { Logger } from '../lib/logger';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { authenticate, authorizationHeader } from './authentication';
import type { GatewayConfig } from './gateway.config';
import type { GatewayContext } from './gateway.context';
import { SubgraphDataSource } from './subgraph-data-source';

export interface GatewayServer {
  app: Express;
  apollo: ApolloServer<GatewayContext>;
  stop(): Promise<void>;
}

/**
 * The public endpoint: @apollo/gateway over the committed supergraph (static
 * composition, as in production: what runs is what was checked), served by
 * @apollo/server on /graphql, with Apollo Sandbox outside production.
 */
export async function createGateway(config: GatewayConfig, logger: Logger): Promise<GatewayServer> {
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const dataSources: SubgraphDataSource[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) => {
      const override = SUBGRAPH_NAMES.includes(name as SubgraphName) ? config.subgraphUrls[name as SubgraphName] : undefined;
      const dataSource = new SubgraphDataSource({ url: override ?? url!, internalSecret: config.internalSecret });
      dataSources.push(dataSource);
      return dataSource;
    },
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    csrfPrevention: true,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    formatError: errorFormatter(logger, config.production),
    plugins: [
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
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

  return {
    app,
    apollo,
    stop: async () => {
      await apollo.stop();
      await Promise.all(dataSources.map((dataSource) => dataSource.close()));
    },
  };
}

export interface RunningGateway extends ListeningServer {
  stop(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const gateway = await createGateway(config, logger);
  const listening = await listen(gateway.app, config.port, config.host);
  return {
    ...listening,
    stop: async () => {
      await listening.close();
      await gateway.stop();
    },
  };
}

import type { DestinationStream } from 'pino';
import { readGatewayConfig, type GatewayConfig } from '../gateway/gateway.config';
import { startGateway, type RunningGateway } from '../gateway/gateway.server';
import { withSafeDatabaseErrors } from '../lib/database';
import { createEventBus, type EventBus } from '../lib/event-bus';
import { createLogger, type Logger } from '../lib/logger';
import { DEFAULT_GATEWAY_PORT, DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { startSubgraph, type RunningSubgraph } from '../lib/subgraph';
import { subgraphDefinitions } from './subgraph-definitions';

export interface LocalSupergraphOptions {
  /** PostgreSQL server; each subgraph gets `<databasePrefix>_<name>` on it. */
  serverUrl: string;
  databasePrefix: string;
  host: string;
  /** 0 picks free ports (tests). */
  gatewayPort?: number;
  subgraphPorts?: Partial<Record<SubgraphName, number>>;
  internalSecret: string;
  jwtSecret: string;
  production?: boolean;
  /** `created`: seed databases this start created (npm start); `always`; `never`. */
  seed: 'created' | 'always' | 'never';
  logLevel?: string;
  /** Redis for events between processes; in-process delivery when absent (one process only). */
  redisUrl?: string;
  /** Prefix of Redis channels (tests). */
  redisNamespace?: string;
  /** Sweepers and outbox relays (default on; off where a test counts statements). */
  backgroundTasks?: boolean;
  /** Gateway settings beyond the ones above (e.g. the supergraph file). */
  gateway?: Partial<GatewayConfig>;
  /** One line per step (each subgraph, the gateway). */
  onProgress?: (message: string) => void;
  /** Until started, the services log only warnings and errors (npm start: the progress lines tell the start). */
  quietStartup?: boolean;
  /** Where every service's log lines go, as JSON (tests read them); stdout in LOG_FORMAT when absent. */
  logDestination?: DestinationStream;
}

export interface LocalSupergraph {
  gateway: RunningGateway;
  gatewayUrl: string;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  seeded: SubgraphName[];
  events: EventBus;
  stop(): Promise<void>;
}

/**
 * All five subgraphs and the gateway in this process, each on its own port,
 * the gateway still calling the subgraphs over HTTP. Subgraphs start in
 * dependency order (users, catalog, inventory, cart, orders) so each knows
 * the URLs of the siblings it calls.
 */
export async function startLocalSupergraph(options: LocalSupergraphOptions): Promise<LocalSupergraph> {
  const progress = options.onProgress ?? (() => undefined);
  const logLevel = options.logLevel ?? process.env.LOG_LEVEL ?? 'info';
  let starting = options.quietStartup === true;
  const quiet = () => starting;
  const loggers = new Map<string, Logger>();
  const destination = options.logDestination && { destination: options.logDestination, format: 'json' as const };
  const loggerFor = (name: string) => loggers.get(name) ?? loggers.set(name, createLogger(name, logLevel, { quiet, ...destination })).get(name)!;
  const subgraphs: Partial<Record<SubgraphName, RunningSubgraph>> = {};
  const urls: Partial<Record<SubgraphName, string>> = {};
  const seeded: SubgraphName[] = [];
  // Safe like the subgraphs' loggers: a handler's database error may reach it.
  const events = createEventBus({ redisUrl: options.redisUrl, namespace: options.redisNamespace, logger: withSafeDatabaseErrors(loggerFor('events')) });
  const stopAll = async () => {
    await Promise.allSettled(Object.values(subgraphs).map((subgraph) => subgraph.stop()));
    await events.close();
  };
  try {
    for (const name of SUBGRAPH_NAMES) {
      const definition = subgraphDefinitions[name]!;
      const running = await startSubgraph(definition, {
        serverUrl: options.serverUrl,
        databasePrefix: options.databasePrefix,
        port: options.subgraphPorts?.[name] ?? DEFAULT_SUBGRAPH_PORTS[name],
        host: options.host,
        internalSecret: options.internalSecret,
        production: options.production ?? false,
        // Users signs access tokens with the gateway's key.
        env: { ...process.env, JWT_SECRET: options.jwtSecret },
        subgraphUrls: urls,
        events,
        backgroundTasks: options.backgroundTasks,
        logger: loggerFor(name),
      });
      subgraphs[name] = running;
      urls[name] = `${running.url}/graphql`;
      const shouldSeed = options.seed === 'always' || (options.seed === 'created' && running.createdDatabase);
      if (shouldSeed && definition.seed) {
        await definition.seed(running.orm.em.fork(), loggerFor(name));
        seeded.push(name);
      }
      progress(`${name} subgraph ready at ${urls[name]}${seeded.includes(name) ? ' (demo data seeded)' : ''}`);
    }
    const config: GatewayConfig = {
      // The secrets given here, so a production-mode gateway needs none from the environment.
      ...readGatewayConfig({
        ...process.env,
        NODE_ENV: options.production ? 'production' : 'development',
        INTERNAL_SECRET: options.internalSecret,
        JWT_SECRET: options.jwtSecret,
      }),
      host: options.host,
      port: options.gatewayPort ?? DEFAULT_GATEWAY_PORT,
      logLevel,
      jwtSecret: options.jwtSecret,
      internalSecret: options.internalSecret,
      subgraphUrls: urls as Record<SubgraphName, string>,
      ...options.gateway,
    };
    const gateway = await startGateway(config, loggerFor('gateway'), { events });
    progress(`gateway ready at ${gateway.url}/graphql`);
    starting = false;
    return {
      gateway,
      gatewayUrl: `${gateway.url}/graphql`,
      subgraphs: subgraphs as Record<SubgraphName, RunningSubgraph>,
      seeded,
      events,
      stop: async () => {
        await gateway.stop();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

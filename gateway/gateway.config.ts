import path from 'node:path';
import { bool, commonEnv, jwtSecretEnv, port, readEnv, redisEnv, str, subgraphUrlEnv, wholeNumber } from '../lib/config';
import { metricsEnv } from '../lib/metrics-endpoint';
import { schemaDir } from '../lib/paths';
import { resilienceConfig, resilienceEnv, type ResilienceConfig } from '../lib/resilience';
import { DEFAULT_GATEWAY_PORT, subgraphUrlsFromEnv, type SubgraphName } from '../lib/subgraph-names';
import { shutdownEnv, shutdownSettings, type ShutdownSettings } from '../lib/graceful-shutdown';
import { corsConfig, corsEnv, type CorsConfig } from './cors';
import { explorerConfig, explorerEnv, type ExplorerConfig } from './explorer';
import { webSocketConfig, webSocketEnv, type WebSocketConfig } from './subscriptions/websocket.config';
import { clientIdentityConfig, clientIdentityEnv, type ClientIdentityConfig } from './plugins/client-identity';
import { credentialThrottleConfig, credentialThrottleEnv, type CredentialThrottleConfig } from './plugins/credential-throttle';
import { discountCodeThrottleConfig, discountCodeThrottleEnv, type DiscountCodeThrottleConfig } from './plugins/discount-code-throttle';
import { demandControlConfig, demandControlEnv, type DemandControlConfig } from './plugins/demand-control';
import { documentLimitsConfig, documentLimitsEnv, type DocumentLimitsConfig } from './plugins/document-limits';
import { operationLimitsConfig, operationLimitsEnv, type OperationLimitsConfig } from './plugins/operation-limits';
import { rateLimitConfig, rateLimitEnv, type RateLimitConfig } from './plugins/rate-limit';
import { responseCacheConfig, responseCacheEnv, type ResponseCacheConfig } from './response-cache/response-cache.plugin';
import { persistedQueriesConfig, persistedQueriesEnv, type PersistedQueriesConfig } from './persisted-queries/persisted-queries.config';

export interface GatewayConfig {
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  /** One info line per GraphQL operation (ACCESS_LOG); off: the same line at debug. */
  accessLog: boolean;
  jwtSecret: string;
  internalSecret: string;
  introspection: boolean;
  supergraphPath: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** Redis for the APQ cache shared by replicas; in memory when unset. */
  redisUrl?: string;
  /** Prefix of every Redis key, for environments sharing one Redis. */
  redisNamespace: string;
  /** APQ, the safelist manifest and API keys. */
  persistedQueries: PersistedQueriesConfig;
  /** Results a slow subscriber may fall behind by; the oldest are dropped beyond it. */
  subscriptionQueueSize: number;
  /** Browser origins allowed to call /graphql (and to open its WebSocket). */
  cors: CorsConfig;
  /** The offline GraphiQL explorer at /explorer. */
  explorer: ExplorerConfig;
  /** Limits of the graphql-ws endpoint. */
  websocket: WebSocketConfig;
  /** How SIGTERM drains the gateway. */
  shutdown: ShutdownSettings;
  /** The admission pipeline's settings, one block per plugin. */
  documentLimits: DocumentLimitsConfig;
  clientIdentity: ClientIdentityConfig;
  operationLimits: OperationLimitsConfig;
  demandControl: DemandControlConfig;
  rateLimit: RateLimitConfig;
  credentialThrottle: CredentialThrottleConfig;
  /** Failed applyDiscountCode attempts per IP and per cart. */
  discountCodeThrottle: DiscountCodeThrottleConfig;
  /** Timeouts, the request deadline and circuit breakers of the calls to subgraphs. */
  resilience: ResilienceConfig;
  /** Identical query fetches in flight at once (same subgraph, query, variables and viewer) share one call. */
  subgraphDeduplication: boolean;
  /** Public query responses kept at the gateway, dropped by change events. */
  responseCache: ResponseCacheConfig;
  /** An internal port of its own for /metrics; on `port` when unset. */
  metricsPort?: number;
}

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const values = readEnv(
    {
      ...commonEnv,
      ...jwtSecretEnv,
      ...subgraphUrlEnv,
      ...redisEnv,
      ...persistedQueriesEnv,
      ...corsEnv,
      ...explorerEnv,
      ...webSocketEnv,
      ...shutdownEnv,
      ...documentLimitsEnv,
      ...clientIdentityEnv,
      ...operationLimitsEnv,
      ...demandControlEnv,
      ...rateLimitEnv,
      ...credentialThrottleEnv,
      ...discountCodeThrottleEnv,
      ...resilienceEnv,
      ...responseCacheEnv,
      ...metricsEnv,
      PORT: port({ default: DEFAULT_GATEWAY_PORT }),
      GRAPHQL_INTROSPECTION: bool({ default: undefined, desc: 'serve introspection; on outside production by default' }),
      SUPERGRAPH_PATH: str({ default: path.join(schemaDir(), 'supergraph.graphql'), desc: 'the composed supergraph to serve' }),
      SUBSCRIPTION_QUEUE_SIZE: wholeNumber('results')({ default: 100, desc: 'results a slow subscriber may fall behind by before the oldest are dropped' }),
      ACCESS_LOG: bool({ default: true, desc: 'one info log line per GraphQL operation (off: the line is logged at debug); npm start turns it off outside production' }),
      SUBGRAPH_DEDUPLICATION: bool({ default: true, desc: 'identical query fetches in flight at once (same subgraph, query, variables and viewer) share one call' }),
    },
    env,
  );
  const production = values.NODE_ENV === 'production';
  return {
    production,
    host: values.HOST,
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
    accessLog: values.ACCESS_LOG,
    jwtSecret: values.JWT_SECRET,
    internalSecret: values.INTERNAL_SECRET,
    introspection: values.GRAPHQL_INTROSPECTION ?? !production,
    supergraphPath: values.SUPERGRAPH_PATH,
    subgraphUrls: subgraphUrlsFromEnv(values),
    redisUrl: values.REDIS_URL,
    redisNamespace: values.REDIS_NAMESPACE,
    persistedQueries: persistedQueriesConfig(values, production),
    subscriptionQueueSize: values.SUBSCRIPTION_QUEUE_SIZE,
    cors: corsConfig(values, production),
    explorer: explorerConfig(values, production),
    websocket: webSocketConfig(values),
    shutdown: shutdownSettings(values),
    documentLimits: documentLimitsConfig(values),
    clientIdentity: clientIdentityConfig(values),
    operationLimits: operationLimitsConfig(values),
    demandControl: demandControlConfig(values),
    rateLimit: rateLimitConfig(values),
    credentialThrottle: credentialThrottleConfig(values),
    discountCodeThrottle: discountCodeThrottleConfig(values),
    resilience: resilienceConfig(values, 'gateway'),
    subgraphDeduplication: values.SUBGRAPH_DEDUPLICATION,
    responseCache: responseCacheConfig(values),
    metricsPort: values.METRICS_PORT,
  };
}

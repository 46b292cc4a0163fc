import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Logger } from '../../lib/logger';
import type { GatewayContext } from '../gateway.context';
import type { GatewayMetrics } from '../metrics';
import { createApqCache } from './apq-cache';
import { ApiKeyRegistry } from './api-keys';
import { ManifestStore } from './manifest-store';
import type { PersistedQueriesConfig } from './persisted-queries.config';
import { persistedQueriesPlugin } from './persisted-queries.plugin';

export interface PersistedQueries {
  /** Apollo Server's `persistedQueries` option: its own APQ implementation over our cache. */
  apq: { cache: KeyValueCache<string>; ttl: number };
  plugin: ApolloServerPlugin<GatewayContext>;
  manifests: ManifestStore;
  apiKeys: ApiKeyRegistry;
  close(): Promise<void>;
}

export interface PersistedQueriesOptions {
  config: PersistedQueriesConfig;
  redisUrl?: string;
  /** Prefix of Redis keys (REDIS_NAMESPACE); APQ entries are `<namespace>gateway:apq:<sha256>`. */
  redisNamespace: string;
  introspection: boolean;
  /** The API schema served: manifest operations must validate against it. */
  apiSchema: GraphQLSchema;
  logger: Logger;
  metrics: GatewayMetrics;
}

/**
 * Automatic persisted queries (Apollo Server's, cached in Redis when
 * REDIS_URL is set), the manifest that is the safelist, and API keys with
 * their policies, as one unit the gateway plugs into Apollo Server.
 */
export async function createPersistedQueries(options: PersistedQueriesOptions): Promise<PersistedQueries> {
  const { config, logger, metrics } = options;
  const log = logger.child({ component: 'persisted-queries' });
  const manifests = await ManifestStore.open({ path: config.manifestPath, apiSchema: options.apiSchema, logger: log, metrics, watch: config.watchManifest });
  const apiKeys = new ApiKeyRegistry(config.apiKeys);
  const apqCache = await createApqCache({ redisUrl: options.redisUrl, keyPrefix: `${options.redisNamespace}gateway:`, logger: log });
  log.info({ apqCache: apqCache.kind, apqTtlSeconds: config.apqTtlSeconds, safelistMode: config.safelistMode, apiKeys: apiKeys.size }, 'persisted queries ready');
  return {
    apq: { cache: apqCache.cache, ttl: config.apqTtlSeconds },
    plugin: persistedQueriesPlugin({ apiKeys, manifests, mode: config.safelistMode, introspection: options.introspection, logger: log, metrics }),
    manifests,
    apiKeys,
    close: async () => {
      manifests.close();
      await apqCache.close();
    },
  };
}

import type { GraphQLSchema } from 'graphql';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import { createApqCache } from './apq-cache';
import { ApiKeyRegistry } from './api-keys';
import { ManifestStore } from './manifest-store';
import type { PersistedQueriesConfig } from './persisted-queries.config';

export { usePersistedQueries } from './persisted-queries.plugin';

/** What persisted queries need at run time: the manifest in use, the API keys, the APQ cache. */
export interface PersistedQueries {
  manifests: ManifestStore;
  apiKeys: ApiKeyRegistry;
  /** Apollo's APQ protocol over this cache (already prefixed for this environment). */
  apqCache: KeyValueCache<string>;
  close(): Promise<void>;
}

export interface PersistedQueriesOptions {
  config: PersistedQueriesConfig;
  redisUrl?: string;
  /** Prefix of Redis keys (REDIS_NAMESPACE); APQ entries are `<namespace>gateway:apq:<sha256>`. */
  redisNamespace: string;
  /** The API schema served: manifest operations must validate against it. */
  apiSchema: GraphQLSchema;
  logger: Logger;
  metrics: GatewayMetrics;
}

/**
 * The manifest that is the safelist (reloaded on change), API keys with their
 * policies, and the APQ cache (Redis when REDIS_URL is set, so every replica
 * knows every hash). The admission step using them is `usePersistedQueries`.
 */
export async function createPersistedQueries(options: PersistedQueriesOptions): Promise<PersistedQueries> {
  const { config, logger, metrics } = options;
  const log = logger.child({ component: 'persisted-queries' });
  const manifests = await ManifestStore.open({ path: config.manifestPath, apiSchema: options.apiSchema, logger: log, metrics, watch: config.watchManifest });
  const apiKeys = new ApiKeyRegistry(config.apiKeys);
  const apqCache = await createApqCache({ redisUrl: options.redisUrl, keyPrefix: `${options.redisNamespace}gateway:`, logger: log });
  log.info({ apqCache: apqCache.kind, apqTtlSeconds: config.apqTtlSeconds, safelistMode: config.safelistMode, apiKeys: apiKeys.size }, 'persisted queries ready');
  return {
    manifests,
    apiKeys,
    apqCache: apqCache.cache,
    close: async () => {
      manifests.close();
      await apqCache.close();
    },
  };
}

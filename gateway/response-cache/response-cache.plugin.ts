import { createHash } from 'node:crypto';
import { getArgumentValues, type GraphQLSchema } from 'graphql';
import { Counter, Gauge, Histogram } from 'prom-client';
import { bool, wholeNumber } from '../../lib/config';
import type { EventBus } from '../../lib/event-bus';
import { changedVariantIds, Topics, type EventPayloads, type Topic } from '../../lib/events';
import type { Logger } from '../../lib/logger';
import { connectFailFastRedis } from '../fail-fast-redis';
import type { GatewayMetrics } from '../metrics';
import type { Execute, GatewayOperation, GatewayPlugin, OperationResponse } from '../pipeline/operation';
import type { AnalyzedField, OperationAnalysis } from '../pipeline/operation-analysis';
import { AVAILABILITY_TAG, availabilityTags, planCaching, readCacheHints, takeEntityTags, type CachePlan } from './cache-hints';
import { takeChangedTags } from './mutation-changes';
import { ResponseCacheStore } from './response-cache.store';

/**
 * The response cache: whole responses of public queries, kept by the
 * gateway and dropped when what they contain changes.
 * - What may be kept, and how long, comes from the `@cacheControl` hints the
 *   subgraphs declare (cache-hints.ts): anything PRIVATE (about a viewer, a
 *   cart, an order), any field without a hint, every mutation and error
 *   response is never stored, so one viewer's data never reaches another.
 * - Each stored response is tagged by the entities it holds (`Product:<id>`)
 *   and by the types it lists; the domain events every subgraph publishes
 *   through its outbox (product and category changes from catalog, stock from
 *   inventory) drop exactly the responses holding what changed, on every
 *   replica, since each replica hears every event.
 * - Two tiers: a bounded LRU in the process, and Redis (REDIS_URL) shared by
 *   the replicas.
 * Stock is only cached while events arrive (`onlyWithInvalidation`); when
 * the event connection is lost nothing is cached or answered from the cache,
 * and memory is cleared when it is back (events may have been missed).
 *
 * Responses carry `x-cache: HIT|MISS|BYPASS`, `age` on hits, and a
 * Cache-Control that lets browsers and CDNs keep public answers only if they
 * revalidate (ETag/304 on GET, see http-transport.ts): they cannot hear events.
 */
export interface ResponseCacheConfig {
  enabled: boolean;
  maxEntries: number;
  maxBytes: number;
  /** Keep responses in Redis too (when REDIS_URL is set). */
  shared: boolean;
  /**
   * After a product goes in or out of stock, how long responses that depend
   * on availability are not stored (catalog's availability projection, which
   * filtered lists and facets read, takes the same event). Default
   * DEFAULT_AVAILABILITY_SETTLE_MS.
   */
  availabilitySettleMs?: number;
}

/** Far above the milliseconds catalog takes to record a stock event, well within the 2 s in which every read must agree. */
export const DEFAULT_AVAILABILITY_SETTLE_MS = 1_000;

export const responseCacheEnv = {
  RESPONSE_CACHE: bool({ default: true, desc: 'cache public query responses at the gateway, dropped by domain events' }),
  RESPONSE_CACHE_MAX_ENTRIES: wholeNumber('responses')({ default: 10_000, desc: 'responses the in-process tier keeps at most' }),
  RESPONSE_CACHE_MAX_MB: wholeNumber('MiB')({ default: 64, desc: 'size of the responses the in-process tier keeps at most' }),
  RESPONSE_CACHE_SHARED: bool({ default: true, desc: 'also keep responses in Redis (REDIS_URL), shared by the replicas' }),
  RESPONSE_CACHE_AVAILABILITY_SETTLE_MS: wholeNumber('milliseconds', 0, 60_000)({
    default: DEFAULT_AVAILABILITY_SETTLE_MS,
    desc: 'after a product goes in or out of stock, how long lists filtered by availability and facets are not cached (catalog updates its availability projection from the same event)',
  }),
};

export function responseCacheConfig(values: {
  RESPONSE_CACHE: boolean;
  RESPONSE_CACHE_MAX_ENTRIES: number;
  RESPONSE_CACHE_MAX_MB: number;
  RESPONSE_CACHE_SHARED: boolean;
  RESPONSE_CACHE_AVAILABILITY_SETTLE_MS: number;
}): ResponseCacheConfig {
  return {
    enabled: values.RESPONSE_CACHE,
    maxEntries: values.RESPONSE_CACHE_MAX_ENTRIES,
    maxBytes: values.RESPONSE_CACHE_MAX_MB * 1024 * 1024,
    shared: values.RESPONSE_CACHE_SHARED,
    availabilitySettleMs: values.RESPONSE_CACHE_AVAILABILITY_SETTLE_MS,
  };
}

/** The response header saying what the cache did. */
export const CACHE_STATUS_HEADER = 'x-cache';

/**
 * The tags each event drops. A changed product may join, leave or move in any
 * list of products. A stock change drops the product and the variants whose
 * stock changed; when the product went in or out of stock, also whatever
 * depends on availability (a filtered list it was not in may now hold it).
 * An event that does not say what it was before (recorded before
 * `wasInStock` existed) is taken as such a flip.
 */
const invalidatedBy: { [T in Topic]?: (event: EventPayloads[T]) => string[] } = {
  [Topics.STOCK_CHANGED]: (event) => [
    `Product:${event.productId}`,
    ...changedVariantIds(event).map((id) => `ProductVariant:${id}`),
    ...(event.wasInStock === event.inStock ? [] : [AVAILABILITY_TAG]),
  ],
  [Topics.PRODUCT_CHANGED]: (event) => [`Product:${event.productId}`, 'Product'],
  [Topics.CATEGORY_CHANGED]: (event) => [`Category:${event.categoryId}`, 'Category'],
};

export interface ResponseCacheOptions {
  config: ResponseCacheConfig;
  supergraphSdl: string;
  apiSchema: GraphQLSchema;
  /** Where change events arrive; absent: only data without `onlyWithInvalidation`, kept for its max age. */
  events?: EventBus;
  redisUrl?: string;
  /** Prefix of Redis keys of this environment. */
  redisNamespace: string;
  metrics: GatewayMetrics;
  logger: Logger;
}

export interface ResponseCache extends GatewayPlugin {
  /** Stops listening for events and closes Redis. */
  close(): Promise<void>;
}

export async function useResponseCache(options: ResponseCacheOptions): Promise<ResponseCache> {
  const { config, events, logger } = options;
  const availabilitySettleMs = config.availabilitySettleMs ?? DEFAULT_AVAILABILITY_SETTLE_MS;
  const hints = readCacheHints(options.supergraphSdl);
  // A new supergraph may change what a document returns: its responses never meet the old one's.
  const schemaVersion = createHash('sha256').update(options.supergraphSdl).digest('hex').slice(0, 12);
  // One plan per analysis (which is cached per document, operation and @skip/@include values).
  const plans = new WeakMap<OperationAnalysis, CachePlan>();
  const registers = [options.metrics.registry];

  const lookups = new Counter({
    name: 'graphql_response_cache_lookups_total',
    help: 'Queries by what the response cache did: hit (by tier), miss, coalesced (a miss that waited for the same answer being executed for another request), or bypass (not cacheable, or the cache cannot be trusted now)',
    labelNames: ['result', 'tier'] as const,
    registers,
  });
  const stores = new Counter({
    name: 'graphql_response_cache_stores_total',
    help: 'Responses stored, or not stored because something they hold changed while they were built (raced)',
    labelNames: ['result'] as const,
    registers,
  });
  const invalidations = new Counter({
    name: 'graphql_response_cache_invalidations_total',
    help: 'Change events that dropped cached responses, by topic',
    labelNames: ['topic'] as const,
    registers,
  });
  const invalidationLag = new Histogram({
    name: 'graphql_response_cache_invalidation_lag_seconds',
    help: 'From a change (its event time, taken at commit) to its cached responses being dropped in this replica',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });

  const redis = config.enabled && config.shared && options.redisUrl
    ? await connectFailFastRedis(options.redisUrl, logger, { name: 'response cache', meanwhile: 'responses are kept in memory only', commandTimeoutMs: 200 })
    : undefined;
  const store = new ResponseCacheStore({
    maxEntries: config.maxEntries,
    maxBytes: config.maxBytes,
    redis: redis?.redis,
    keyPrefix: `${options.redisNamespace}gateway:response-cache:${schemaVersion}:`,
    warn: redis?.warn ?? ((fields, message) => logger.warn(fields, message)),
  });
  new Gauge({
    name: 'graphql_response_cache_entries',
    help: 'Responses in the in-process tier',
    registers,
    collect() {
      this.set(store.size);
    },
  });
  new Gauge({
    name: 'graphql_response_cache_bytes',
    help: 'Size of the responses in the in-process tier',
    registers,
    collect() {
      this.set(store.bytes);
    },
  });

  // Subscribed in the background: a Redis that is away must not hold the start (the cache bypasses until events arrive).
  const listening: Promise<() => Promise<void>>[] = [];
  /** Every topic's subscription is in place: only then can a stored answer be trusted to be dropped on change. */
  let subscribed = false;
  if (config.enabled && events) {
    for (const [topic, tagsOf] of Object.entries(invalidatedBy) as [Topic, (event: unknown) => string[]][]) {
      const subscribed = events.listen(topic, (event) => {
        const tags = tagsOf(event);
        // Catalog's availability projection (what filtered lists and facets read) takes this event too and may not have written it yet.
        if (tags.includes(AVAILABILITY_TAG)) store.hold([AVAILABILITY_TAG], availabilitySettleMs);
        void store
          .invalidate(tags)
          .then(() => {
            invalidations.inc({ topic });
            const changedAt = Date.parse((event as { changedAt?: string }).changedAt ?? '');
            if (Number.isFinite(changedAt)) invalidationLag.observe(Math.max(0, Date.now() - changedAt) / 1000);
          })
          .catch((error: unknown) => logger.error({ err: error, topic }, 'response cache: invalidation failed'));
      });
      subscribed.catch((error: unknown) => logger.error({ err: error, topic }, 'response cache: could not subscribe to change events; it bypasses until restarted'));
      listening.push(subscribed);
    }
    void Promise.all(listening).then(
      () => {
        subscribed = true;
      },
      () => undefined,
    );
    events.onReconnect(() => {
      logger.warn('response cache: the event connection is back; events may have been missed, so the in-process tier is cleared');
      store.clearMemory();
    });
  }

  const planOf = (operation: GatewayOperation): CachePlan | undefined => {
    const analysis = operation.analysis();
    if (!analysis || !operation.document) return undefined;
    let plan = plans.get(analysis);
    if (!plan) {
      plan = planCaching(hints, analysis, operation.document, options.apiSchema);
      plans.set(analysis, plan);
    }
    return plan;
  };

  /** Why this operation's response is not looked up or stored now; undefined when it is. */
  const bypassReason = (plan: CachePlan): string | undefined => {
    if (plan.maxAge <= 0 || plan.scope === 'PRIVATE') return plan.reason ?? 'not cacheable';
    if (events && !(subscribed && events.receiving())) return 'change events are not arriving';
    if (plan.onlyWithInvalidation && !events) return 'it holds data that may only be cached with change events, and none are configured';
    return undefined;
  };

  /** Answers being executed, by cache key. */
  const inFlight = new Map<string, Promise<Pick<OperationResponse, 'result' | 'status'>>>();

  const cacheKey = (operation: GatewayOperation) =>
    createHash('sha256')
      .update(operation.operationName ?? '')
      .update('\u0000')
      .update(operation.query!)
      .update('\u0000')
      // Coerced variables: keys in the document's and the schema's order, so equal requests print equally.
      .update(JSON.stringify(operation.variables))
      .digest('base64url');

  const plugin: ResponseCache = {
    name: 'response-cache',
    close: async () => {
      // Subscriptions still waiting for Redis end with the bus.
      const settled = await Promise.race([Promise.allSettled(listening), new Promise<undefined>((resolve) => setTimeout(resolve, 100, undefined))]);
      for (const outcome of settled ?? []) if (outcome.status === 'fulfilled') await outcome.value();
      redis?.redis.disconnect();
    },
  };

  /**
   * A mutation through this gateway drops, after it ran and before it
   * answers, what holds what it changed, as mutation-changes.ts declares per
   * field (a field not declared there: the entities it returns, and their
   * lists): whoever sent it reads their own write here even before its event
   * arrives. Other replicas drop theirs when the event comes.
   */
  const executeMutation = async (operation: GatewayOperation, next: Execute): Promise<OperationResponse> => {
    const plan = planOf(operation);
    if (plan?.executedQuery) operation.executedQuery = plan.executedQuery;
    const response = await next(operation);
    const data = (response.result.data ?? undefined) as Record<string, unknown> | undefined;
    const tags = new Set<string>();
    for (const field of operation.analysis()?.rootFields ?? []) {
      const answer = data?.[field.responseKey];
      // Also removes the cache's aliases from the field's answer.
      const returned = plan?.executedQuery ? entityTagsOfRootField(plan, field.responseKey, answer) : [];
      const declared = takeChangedTags(field.name, argumentsOf(field, operation.variables), answer);
      const withLists = returned.flatMap((tag) => (tag.includes(':') ? [tag, tag.slice(0, tag.indexOf(':'))] : [tag]));
      for (const tag of declared ?? withLists) tags.add(tag);
    }
    if (tags.size > 0) await store.invalidate([...tags]);
    return response;
  };

  if (config.enabled) {
    plugin.onExecute = async (operation: GatewayOperation, next: Execute): Promise<OperationResponse> => {
      if (operation.operationType === 'mutation') return executeMutation(operation, next);
      if (operation.operationType !== 'query') return next(operation);
      const plan = planOf(operation);
      if (!plan || bypassReason(plan) !== undefined) {
        lookups.inc({ result: 'bypass', tier: 'none' });
        operation.cacheStatus = operation.responseHeaders[CACHE_STATUS_HEADER] = 'BYPASS';
        return next(operation);
      }
      const key = cacheKey(operation);
      const snapshot = store.snapshot();
      const found = await store.get(key, snapshot);
      if (found) {
        lookups.inc({ result: 'hit', tier: found.tier });
        operation.cacheStatus = operation.responseHeaders[CACHE_STATUS_HEADER] = 'HIT';
        operation.responseHeaders.age = String(Math.floor((Date.now() - found.entry.storedAt) / 1000));
        // A copy: response hooks may add extensions (cost) to what they are given.
        return { result: { ...found.entry.result }, refused: false };
      }
      operation.cacheStatus = operation.responseHeaders[CACHE_STATUS_HEADER] = 'MISS';
      // After an invalidation many requests miss the same key at once: one executes, the others wait for its answer.
      const running = inFlight.get(key);
      lookups.inc({ result: running ? 'coalesced' : 'miss', tier: 'none' });
      if (running) {
        const shared = await running;
        return { result: { ...shared.result }, refused: false, status: shared.status };
      }
      const execution = (async () => {
        operation.executedQuery = plan.executedQuery;
        const response = await next(operation);
        const tags = [...takeEntityTags(response.result.data, plan), ...availabilityTags(plan, operation.variables)];
        if (!response.result.errors?.length && response.result.data && (response.status ?? 200) === 200) {
          const stored = await store.set(key, { result: { data: response.result.data }, tags, storedAt: Date.now(), ttlMs: plan.maxAge * 1000 }, snapshot);
          stores.inc({ result: stored ? 'stored' : 'raced' });
        }
        return response;
      })();
      // Waiters get the answer as executed, before any response hook of the first request decorates it.
      const snapshotOfAnswer = execution.then((response) => ({ result: { ...response.result }, status: response.status }));
      // A failure reaches the first request and each waiter through their own await; none is left unhandled.
      snapshotOfAnswer.catch(() => undefined);
      inFlight.set(key, snapshotOfAnswer);
      try {
        return await execution;
      } finally {
        inFlight.delete(key);
      }
    };
  }

  plugin.onResponse = (operation: GatewayOperation, response: OperationResponse) => {
    if (response.refused || operation.responseHeaders['cache-control']) return;
    const plan = operation.operationType === 'query' ? planOf(operation) : undefined;
    const shareable = plan && plan.maxAge > 0 && plan.scope === 'PUBLIC' && !response.result.errors?.length;
    // Public answers may be kept by browsers and CDNs only if they ask again each time: they cannot hear change events.
    operation.responseHeaders['cache-control'] = shareable ? 'public, max-age=0, must-revalidate' : plan?.scope === 'PRIVATE' ? 'private, no-store' : 'no-store';
  };

  return plugin;
}

/** The tags of the entities in one root field's answer, as takeEntityTags makes them (the cache's aliases are removed, in place). */
function entityTagsOfRootField(plan: CachePlan, responseKey: string, answer: unknown): string[] {
  const shape = plan.shape.children?.get(responseKey);
  if (!shape || answer === null || answer === undefined) return [];
  return takeEntityTags({ [responseKey]: answer }, { ...plan, typeTags: [], shape: { children: new Map([[responseKey, shape]]) } });
}

/** A root field's arguments as coerced with the request's variables; none when they cannot be read (the field then failed anyway). */
function argumentsOf(field: AnalyzedField, variables: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!field.definition || field.nodes.length === 0) return {};
  try {
    return getArgumentValues(field.definition, field.nodes[0], variables);
  } catch {
    return {};
  }
}

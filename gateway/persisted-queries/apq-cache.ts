import { InMemoryLRUCache, PrefixingKeyValueCache, type KeyValueCache, type KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type Redis from 'ioredis';
import { connectFailFastRedis } from '../fail-fast-redis';
import type { Logger } from '../../lib/logger';

/**
 * Apollo's KeyValueCache over ioredis, for the APQ cache shared by every
 * gateway replica.
 *
 * Apollo documents `@apollo/utils.keyvadapter` + `keyv` + `@keyv/redis` for
 * this. That stack was tried here and not used: the current `@keyv/redis`
 * (node-redis 5) left a `get` waiting indefinitely while Redis was
 * unreachable, which would hang every APQ request instead of degrading to a
 * miss; keyv 6 needs Node 22; and it would add a second Redis client library
 * beside the ioredis the event bus uses. These few lines with ioredis get a
 * bounded command timeout and no offline queue, so an outage costs clients
 * one retry with the full query, never a stuck request.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl;
    if (typeof ttl === 'number' && ttl > 0) await this.redis.set(key, value, 'EX', Math.ceil(ttl));
    else await this.redis.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) > 0;
  }
}

/**
 * A failing cache must not fail requests: a lookup that fails is a miss (the
 * client sends its query again) and a registration that fails is skipped.
 */
class OutageTolerantCache implements KeyValueCache<string> {
  constructor(
    private readonly inner: KeyValueCache<string>,
    private readonly report: (action: string, error: unknown) => void,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return await this.inner.get(key);
    } catch (error) {
      this.report('lookup', error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    try {
      await this.inner.set(key, value, options);
    } catch (error) {
      this.report('registration', error);
    }
  }

  async delete(key: string): Promise<boolean | void> {
    try {
      return await this.inner.delete(key);
    } catch (error) {
      this.report('removal', error);
      return false;
    }
  }
}

export interface ApqCache {
  cache: KeyValueCache<string>;
  kind: 'redis' | 'memory';
  close(): Promise<void>;
}

/**
 * Redis when a URL is given (every replica knows every hash), else a bounded
 * in-memory LRU (one process). Redis keys are `<prefix>apq:<sha256>`: Apollo
 * Server adds `apq:`, the prefix keeps environments sharing a Redis apart.
 * Redis failures count as misses, so the client resends its query; they are
 * logged at most once a minute.
 */
export async function createApqCache(options: { redisUrl?: string; keyPrefix: string; logger: Logger }): Promise<ApqCache> {
  if (!options.redisUrl) {
    return { cache: new InMemoryLRUCache<string>(), kind: 'memory', close: async () => undefined };
  }
  const { redis, warn } = await connectFailFastRedis(options.redisUrl, options.logger, {
    name: 'APQ cache',
    meanwhile: 'persisted queries are misses',
    commandTimeoutMs: 1_000,
  });
  const cache = new OutageTolerantCache(new PrefixingKeyValueCache(new RedisKeyValueCache(redis), options.keyPrefix), (action, error) =>
    warn({ err: error, action }, 'APQ cache: Redis command failed; served as a miss'),
  );
  return {
    cache,
    kind: 'redis',
    close: async () => {
      redis.disconnect();
    },
  };
}

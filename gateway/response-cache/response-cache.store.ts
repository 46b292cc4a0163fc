import type { FormattedExecutionResult } from 'graphql';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';

/** A stored response: the result as sent (without the cache's aliases) and the tags of what it holds. */
export interface CachedResponse {
  result: FormattedExecutionResult;
  tags: string[];
  /** Epoch milliseconds. */
  storedAt: number;
  /** Milliseconds it may be kept from storedAt. */
  ttlMs: number;
}

export type CacheTier = 'memory' | 'redis';

export interface ResponseCacheStoreOptions {
  /** Responses kept in this process at most. */
  maxEntries: number;
  /** Bytes of (serialized) responses kept in this process at most. */
  maxBytes: number;
  /** The shared tier; absent: memory only. */
  redis?: Redis;
  /** Prefix of every Redis key (environment namespace and schema version). */
  keyPrefix: string;
  /** Where Redis failures are reported (rate-limited by the caller). */
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Tags invalidated this many invalidations ago are forgotten: an in-flight request is never that old. */
const REMEMBERED_INVALIDATIONS = 100_000;

/**
 * Stores KEYS[1] = ARGV[1] for ARGV[2] ms and adds it to each tag set
 * KEYS[2..], whose lives are stretched to the entry's: one round trip, and
 * atomic, so an invalidation never sees an entry without its tags.
 */
const STORE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return 1`;

/** Deletes every entry in the tag sets KEYS[1..] and the sets themselves; returns how many entries. */
const INVALIDATE_SCRIPT = `
local removed = 0
for i = 1, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, member in ipairs(members) do removed = removed + redis.call('DEL', member) end
  redis.call('DEL', KEYS[i])
end
return removed`;

/**
 * The response cache's two tiers: a bounded LRU in this process and Redis
 * shared by the replicas, both indexed by tag.
 *
 * Correct under races by construction: a request takes a `snapshot` (the
 * invalidation count) before it reads subgraphs or Redis, and what it read
 * is stored (or promoted from Redis to memory) only if none of its tags was
 * invalidated since, because what it read may predate that change. Every
 * replica runs every invalidation on Redis too, over the same connection as
 * its own stores, so a store that raced ahead of an event is deleted by the
 * storing replica's own handling of that event.
 */
export class ResponseCacheStore {
  private invalidations = 0;
  /** The invalidation count when memory was last cleared: requests from before must not store. */
  private clearedAt = 0;
  /** Tag -> the invalidation count when it was last invalidated. */
  private readonly invalidatedAt = new LRUCache<string, number>({ max: REMEMBERED_INVALIDATIONS });
  /** Tag -> epoch ms until which responses holding it are neither stored nor taken from Redis (see `hold`). */
  private readonly heldUntil = new Map<string, number>();
  /** Tag -> keys in memory holding it. */
  private readonly keysByTag = new Map<string, Set<string>>();
  private readonly memory: LRUCache<string, CachedResponse>;
  private readonly redis?: Redis & RedisScripts;

  constructor(private readonly options: ResponseCacheStoreOptions) {
    this.memory = new LRUCache<string, CachedResponse>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      // Close enough to the serialized size, and computed once per store.
      sizeCalculation: (entry) => Math.max(1, JSON.stringify(entry.result).length),
      ttlAutopurge: false,
      allowStale: false,
      dispose: (entry, key) => this.unindex(key, entry.tags),
    });
    if (options.redis) {
      options.redis.defineCommand('responseCacheStore', { lua: STORE_SCRIPT });
      options.redis.defineCommand('responseCacheInvalidate', { lua: INVALIDATE_SCRIPT });
      this.redis = options.redis as Redis & RedisScripts;
    }
  }

  /** Taken before reading anything a response will be built from. */
  snapshot(): number {
    return this.invalidations;
  }

  /** A fresh entry from memory, else from Redis (then kept in memory too). */
  async get(key: string, snapshot: number): Promise<{ entry: CachedResponse; tier: CacheTier } | undefined> {
    const inMemory = this.memory.get(key);
    if (inMemory) return { entry: inMemory, tier: 'memory' };
    if (!this.redis) return undefined;
    let stored: string | null;
    try {
      stored = await this.redis.get(this.entryKey(key));
    } catch (error) {
      this.options.warn({ err: error }, 'response cache: Redis read failed; answering from the subgraphs');
      return undefined;
    }
    if (!stored) return undefined;
    const entry = JSON.parse(stored) as CachedResponse;
    const remainingMs = entry.storedAt + entry.ttlMs - Date.now();
    if (remainingMs <= 0) return undefined;
    if (this.changedSince(entry.tags, snapshot)) return undefined;
    this.remember(key, entry, remainingMs);
    return { entry, tier: 'redis' };
  }

  /** Keeps a response built from what was read after `snapshot`; false when a tag of it changed meanwhile. */
  async set(key: string, entry: CachedResponse, snapshot: number): Promise<boolean> {
    if (this.changedSince(entry.tags, snapshot)) return false;
    this.remember(key, entry, entry.ttlMs);
    if (this.redis) {
      const tagKeys = entry.tags.map((tag) => this.tagKey(tag));
      try {
        await this.redis.responseCacheStore(1 + tagKeys.length, this.entryKey(key), ...tagKeys, JSON.stringify(entry), String(entry.ttlMs));
      } catch (error) {
        this.options.warn({ err: error }, 'response cache: Redis write failed; kept in memory only');
      }
    }
    return true;
  }

  /** Drops every response holding any of `tags`, here and in Redis; resolves with how many were in memory. */
  async invalidate(tags: readonly string[]): Promise<number> {
    this.invalidations += 1;
    let removed = 0;
    for (const tag of tags) {
      this.invalidatedAt.set(tag, this.invalidations);
      for (const key of [...(this.keysByTag.get(tag) ?? [])]) {
        if (this.memory.delete(key)) removed += 1;
      }
    }
    if (this.redis && tags.length > 0) {
      try {
        await this.redis.responseCacheInvalidate(tags.length, ...tags.map((tag) => this.tagKey(tag)));
      } catch (error) {
        this.options.warn({ err: error, tags }, 'response cache: Redis invalidation failed; entries there expire by their max age');
      }
    }
    return removed;
  }

  /**
   * For `ms` from now, responses holding any of `tags` are neither stored nor
   * taken from Redis: for data that another service derives from the same
   * event (catalog's availability projection) and may still be writing when
   * this replica drops what held it, an answer built in that window may
   * predate the change. Call it with the invalidation of the same tags.
   */
  hold(tags: readonly string[], ms: number): void {
    if (ms <= 0) return;
    const until = Date.now() + ms;
    for (const tag of tags) this.heldUntil.set(tag, Math.max(until, this.heldUntil.get(tag) ?? 0));
  }

  /** Forgets everything in memory (events may have been missed); anything in flight is not stored. */
  clearMemory(): void {
    this.invalidations += 1;
    this.clearedAt = this.invalidations;
    this.memory.clear();
  }

  /** Entries in memory (metrics, tests). */
  get size(): number {
    return this.memory.size;
  }

  /** Bytes of responses in memory, as counted for the bound. */
  get bytes(): number {
    return this.memory.calculatedSize;
  }

  private changedSince(tags: readonly string[], snapshot: number): boolean {
    if (this.clearedAt > snapshot) return true;
    return tags.some((tag) => (this.invalidatedAt.get(tag) ?? 0) > snapshot || this.isHeld(tag));
  }

  private isHeld(tag: string): boolean {
    const until = this.heldUntil.get(tag);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.heldUntil.delete(tag);
    return false;
  }

  private remember(key: string, entry: CachedResponse, ttlMs: number): void {
    const previous = this.memory.get(key);
    if (previous) this.unindex(key, previous.tags);
    this.memory.set(key, entry, { ttl: ttlMs });
    for (const tag of entry.tags) {
      const keys = this.keysByTag.get(tag) ?? this.keysByTag.set(tag, new Set()).get(tag)!;
      keys.add(key);
    }
  }

  private unindex(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(tag);
    }
  }

  private entryKey(key: string): string {
    return `${this.options.keyPrefix}entry:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.options.keyPrefix}tag:${tag}`;
  }
}

interface RedisScripts {
  responseCacheStore(numberOfKeys: number, ...args: string[]): Promise<number>;
  responseCacheInvalidate(numberOfKeys: number, ...args: string[]): Promise<number>;
}

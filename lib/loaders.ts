import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { isUuid } from './uuid';

/**
 * A request-scoped loader of one value per UUID key (an entity, a count, a
 * sum): one query per tick for the distinct keys that can exist, none when no
 * key can; `fallback` for the others and for keys without a row. Keys compare
 * in lower case, as PostgreSQL prints UUIDs and a client may not.
 */
export function uuidKeyedLoader<V>(load: (keys: string[]) => Promise<Map<string, V>>, fallback: V): DataLoader<string, V> {
  return new DataLoader<string, V>(async (keys) => {
    const valid = [...new Set(keys.filter(isUuid).map((key) => key.toLowerCase()))];
    const found = valid.length > 0 ? await load(valid) : new Map<string, V>();
    return keys.map((key) => found.get(key.toLowerCase()) ?? fallback);
  });
}

/** Entities by id: one `WHERE id IN (...)` per tick, null for ids that do not exist. */
export function entityLoader<T extends { id: string }>(em: EntityManager, entity: EntityName<T>): DataLoader<string, T | null> {
  return uuidKeyedLoader<T | null>(async (ids) => {
    const rows = await em.find(entity, { id: { $in: ids } } as unknown as FilterQuery<T>);
    return new Map(rows.map((row) => [row.id, row]));
  }, null);
}

/**
 * The rows that belong to each UUID key (one-to-many): one query for all keys
 * of a tick, an empty list for keys without rows.
 */
export function groupLoader<T>(load: (keys: readonly string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T[]> {
  return uuidKeyedLoader<T[]>(
    async (keys) => {
      // A list of its own per key, so callers may sort or extend what they get.
      const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
      for (const row of await load(keys)) groups.get(keyOf(row))?.push(row);
      return groups;
    },
    Object.freeze([]) as unknown as T[],
  );
}

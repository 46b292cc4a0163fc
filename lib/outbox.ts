import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { EntityManager } from './database';
import type { EventPayloads, Topic } from './events';

/**
 * The transactional outbox of a subgraph that emits events. A row is written
 * in the same transaction as the change it describes, so a rolled-back change
 * leaves no event and a committed one cannot lose its event; the relay
 * publishes rows in id order (so in order per key) and marks them published.
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_unpublished_idx', expression: 'create index "outbox_event_unpublished_idx" on "outbox_event" ("id") where "published_at" is null' })
export class OutboxEvent {
  [OptionalProps]?: 'createdAt' | 'publishedAt';

  /** bigserial: commit order of writers to one key follows their row locks, so ids order events per key. */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ length: 100 })
  topic!: string;

  /** What the event is about (product id, order id): consumers rely on order per key. */
  @Property({ length: 100 })
  key!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ columnType: 'timestamptz(3)', nullable: true })
  publishedAt?: Date | null;
}

/**
 * Adds an event to the outbox in the unit of work of `em`: call it inside the
 * transaction that makes the change, and it commits (or rolls back) with it.
 */
export function recordEvent<T extends Topic>(em: EntityManager, topic: T, key: string, payload: EventPayloads[T]): OutboxEvent {
  return em.create(OutboxEvent, { topic, key, payload: payload as unknown as Record<string, unknown> });
}

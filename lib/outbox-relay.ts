import type { EventSubscriber, FlushEventArgs, TransactionEventArgs } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventBus } from './event-bus';
import type { Topic } from './events';
import type { Logger } from './logger';
import { OutboxEvent } from './outbox';
import { startPeriodicTask, type PeriodicTask } from './periodic-task';

/** Any constant: the advisory lock that lets one relay per database publish at a time. */
const RELAY_LOCK_KEY = 7_346_001;
const BATCH_SIZE = 200;
/** Published rows are kept this long for inspection, then deleted. */
const RETENTION_INTERVAL = '1 day';

export interface OutboxRelayOptions {
  orm: MikroORM;
  bus: EventBus;
  logger: Logger;
  /** Fallback poll; commits in this process kick the relay at once. */
  pollIntervalMs?: number;
}

export interface OutboxRelay extends PeriodicTask {
  /** Publishes everything pending now; resolves when done (tests, shutdown). */
  flush(): Promise<number>;
}

/**
 * Publishes outbox rows to the event bus in id order and marks them
 * published. At least once: a crash after publishing and before marking
 * publishes those rows again on restart, never loses them. An advisory lock
 * keeps replicas of one subgraph from publishing in parallel, which would
 * reorder events of one key.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { orm, bus, logger } = options;
  let published = 0;

  async function publishBatch(): Promise<number> {
    const em = orm.em.fork();
    return em.transactional(async (tx) => {
      const connection = tx.getConnection();
      const [{ locked }] = await connection.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [RELAY_LOCK_KEY], 'all', tx.getTransactionContext());
      if (!locked) return 0;
      const rows = await connection.execute<{ id: string; topic: Topic; payload: never }[]>(
        'select id, topic, payload from outbox_event where published_at is null order by id limit ?',
        [BATCH_SIZE],
        'all',
        tx.getTransactionContext(),
      );
      for (const row of rows) await bus.publish(row.topic, row.payload);
      if (rows.length > 0) {
        // knex expands an array binding into a list: `in (?, ?, ...)`.
        await connection.execute('update outbox_event set published_at = now() where id in (?)', [rows.map((row) => row.id)], 'run', tx.getTransactionContext());
      }
      return rows.length;
    });
  }

  async function publishPending(): Promise<void> {
    // Idle polls cost one indexed look-up, not a transaction.
    const [{ pending }] = await orm.em
      .fork()
      .getConnection()
      .execute<{ pending: boolean }[]>('select exists (select 1 from outbox_event where published_at is null) as pending');
    if (!pending) return;
    let count: number;
    do {
      count = await publishBatch();
      published += count;
    } while (count === BATCH_SIZE);
  }

  let lastCleanup = 0;
  async function tick(): Promise<void> {
    await publishPending();
    if (Date.now() - lastCleanup > 3_600_000) {
      lastCleanup = Date.now();
      await orm.em.fork().getConnection().execute(`delete from outbox_event where published_at < now() - interval '${RETENTION_INTERVAL}'`);
    }
  }

  const task = startPeriodicTask('outbox-relay', options.pollIntervalMs ?? 1_000, tick, logger);

  // Kick after a commit in this process that wrote events: they leave within milliseconds, not a poll interval.
  // After commit the unit of work has forgotten its change sets, so the flush notes which transaction wrote events.
  const wroteEvents = new WeakSet<object>();
  const kicker: EventSubscriber = {
    afterFlush: async ({ em, uow }: FlushEventArgs) => {
      if (!uow.getChangeSets().some((changeSet) => changeSet.name === OutboxEvent.name)) return;
      if (em.isInTransaction()) wroteEvents.add(em);
      else void task.runNow();
    },
    afterTransactionCommit: async ({ em }: TransactionEventArgs) => {
      if (!wroteEvents.has(em)) return;
      wroteEvents.delete(em);
      void task.runNow();
    },
  };
  orm.em.getEventManager().registerSubscriber(kicker);

  return {
    runNow: task.runNow,
    stop: async () => {
      await task.stop();
      logger.debug({ published }, 'outbox relay stopped');
    },
    flush: async () => {
      const before = published;
      await task.runNow();
      return published - before;
    },
  };
}

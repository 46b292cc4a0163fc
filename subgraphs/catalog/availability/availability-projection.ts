import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventBus } from '../../../lib/event-bus';
import { Topics, type StockChangedEvent } from '../../../lib/events';
import type { Logger } from '../../../lib/logger';
import { quietWhileStopping, startPeriodicTask, type BackgroundTask } from '../../../lib/periodic-task';
import type { SubgraphClient } from '../../../lib/subgraph-client';
import { recordAvailability, resyncAvailability, type ResyncResult } from './product-availability';

export interface AvailabilityProjectionOptions {
  orm: MikroORM;
  logger: Logger;
  /** Catalog's client of inventory, which owns the figures. */
  inventory: SubgraphClient;
  /**
   * The process's event bus: `stock.changed` keeps the projection current,
   * and a reconnect (events lost meanwhile) asks for a resync. Without one the
   * projection is only resynchronised, every `fallbackResyncMs`.
   */
  events?: EventBus;
  /** How often a pending resync that failed (inventory not up yet, or away) is tried again. */
  retryMs?: number;
  /** A full resync this often even when nothing asks for one: a safety net for figures no event carried. */
  periodicResyncMs?: number;
  /** The resync period without an event bus. */
  fallbackResyncMs?: number;
}

export interface AvailabilityProjection extends BackgroundTask {
  /** Asks for a resync and waits for it (tests; the background asks at start and on reconnect). */
  resync(): Promise<ResyncResult | undefined>;
  /** Waits for the event upserts in flight. */
  settled(): Promise<void>;
  /** Whether the start-up (or last requested) resync has succeeded since. */
  synchronised(): boolean;
}

/**
 * Keeps `product_availability` from inventory: each `stock.changed` event is
 * upserted (only over an older figure, so order and duplicates do not
 * matter), and the whole projection is re-read from inventory in the
 * background at start, after the event bus reconnects, and every
 * `periodicResyncMs`. Start never waits for inventory: under `npm start`
 * catalog starts before it, so the first resync is retried every `retryMs`
 * until inventory answers.
 */
export function startAvailabilityProjection(options: AvailabilityProjectionOptions): AvailabilityProjection {
  const { orm, inventory, events } = options;
  const retryMs = options.retryMs ?? 2_000;
  const periodicResyncMs = events ? (options.periodicResyncMs ?? 15 * 60_000) : (options.fallbackResyncMs ?? 60_000);
  let stopping = false;
  const logger = quietWhileStopping(options.logger, () => stopping);
  let pending = true;
  let lastSuccess = 0;
  let failingSince: number | null = null;
  let lastResult: ResyncResult | undefined;

  const work = async () => {
    if (!pending && Date.now() - lastSuccess < periodicResyncMs) return;
    pending = true;
    try {
      const started = Date.now();
      lastResult = await resyncAvailability(orm.em.fork(), inventory);
      pending = false;
      lastSuccess = Date.now();
      logger.info({ ...lastResult, ms: lastSuccess - started, afterFailingMs: failingSince === null ? undefined : lastSuccess - failingSince }, 'availability projection resynchronised from inventory');
      failingSince = null;
    } catch (error) {
      // Expected at start (inventory starts after catalog) and while inventory is away: one warning per outage.
      if (failingSince === null) {
        failingSince = Date.now();
        logger.warn({ err: error }, `availability projection cannot resynchronise from inventory yet; retrying every ${retryMs} ms`);
      } else {
        logger.debug({ err: error }, 'availability resync failed again');
      }
    }
  };
  const task = startPeriodicTask('availability-resync', retryMs, work, logger);
  void task.runNow();

  const inFlight = new Set<Promise<unknown>>();
  const onEvent = (event: StockChangedEvent) => {
    const write = recordAvailability(orm.em.fork(), [{ productId: event.productId, availableQuantity: event.availableQuantity, changedAt: event.changedAt }])
      .catch((error) => logger.error({ err: error, productId: event.productId }, 'could not record a stock.changed event in the availability projection'))
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  };
  let unlisten: Promise<() => Promise<void>> | undefined;
  if (events) {
    unlisten = events.listen(Topics.STOCK_CHANGED, onEvent);
    unlisten.catch((error) => logger.error({ err: error }, 'could not subscribe to stock.changed'));
    // Events published while the subscriber was away are lost to this process: re-read everything.
    events.onReconnect(() => {
      if (stopping) return;
      pending = true;
      void task.runNow();
    });
  } else {
    logger.info(`no event bus given to the availability projection: it is resynchronised from inventory every ${periodicResyncMs} ms only`);
  }

  return {
    resync: async () => {
      pending = true;
      await task.runNow();
      if (pending) throw new Error('availability resync failed (see the log)');
      return lastResult;
    },
    settled: async () => {
      await Promise.all([...inFlight]);
    },
    synchronised: () => !pending,
    stop: async () => {
      stopping = true;
      if (unlisten) await (await unlisten.catch(() => async () => undefined))();
      await task.stop();
      await Promise.all([...inFlight]);
    },
  };
}

import type { MikroORM } from '@mikro-orm/postgresql';
import { databaseName, databaseUrl, dropDatabase, openDatabase } from './database';
import { createEventBus, type EventBus } from './event-bus';
import { Topics, type StockChangedEvent } from './events';
import { createLogger } from './logger';
import { OutboxEvent, recordEvent } from './outbox';
import { startOutboxRelay, type OutboxRelay } from './outbox-relay';
import { testDatabasePrefix, testServerUrl } from '../test/subgraph-harness';
import { eventually } from '../test/wait';

function stockEvent(productId: string, availableQuantity: number): StockChangedEvent {
  return { productId, availableQuantity, inStock: availableQuantity > 0, changedAt: new Date().toISOString() };
}

describe('outbox relay', () => {
  let orm: MikroORM;
  let bus: EventBus;
  let relay: OutboxRelay;
  const received: StockChangedEvent[] = [];
  let url: string;

  beforeAll(async () => {
    url = databaseUrl(testServerUrl(), databaseName(testDatabasePrefix(), 'outbox'));
    await dropDatabase(url);
    ({ orm } = await openDatabase({ name: 'outbox', entities: [OutboxEvent], migrations: [] }, { url }));
    await orm.schema.createSchema();
    bus = createEventBus();
    const iterator = bus.pubSub.subscribe(Topics.STOCK_CHANGED)[Symbol.asyncIterator]();
    void (async () => {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) return;
        received.push(value as StockChangedEvent);
      }
    })();
    relay = startOutboxRelay({ orm, bus, logger: createLogger('outbox-test', 'silent'), pollIntervalMs: 60_000 });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.close();
    await orm?.close(true);
    await dropDatabase(url);
  });

  beforeEach(() => {
    received.length = 0;
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  const unpublished = () => orm.em.fork().count(OutboxEvent, { publishedAt: null });

  it('publishes committed events in order, marks them, and publishes them once', async () => {
    await orm.em.fork().transactional(async (tx) => {
      for (let i = 1; i <= 3; i += 1) recordEvent(tx, Topics.STOCK_CHANGED, 'p1', stockEvent('p1', i));
    });
    await relay.flush();
    await settle();
    expect(received.map((e) => e.availableQuantity)).toEqual([1, 2, 3]);
    expect(await unpublished()).toBe(0);
    await relay.flush();
    await settle();
    expect(received).toHaveLength(3);
  });

  it('is kicked by the commit itself, without waiting for a poll', async () => {
    await orm.em.fork().transactional(async (tx) => {
      recordEvent(tx, Topics.STOCK_CHANGED, 'p2', stockEvent('p2', 7));
    });
    await eventually(() => received.length > 0, 'the kicked relay to publish', 2_000);
    expect(received.map((e) => e.productId)).toEqual(['p2']);
  });

  it('publishes nothing for a rolled-back change', async () => {
    await expect(
      orm.em.fork().transactional(async (tx) => {
        recordEvent(tx, Topics.STOCK_CHANGED, 'p3', stockEvent('p3', 1));
        await tx.flush();
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await relay.flush();
    await settle();
    expect(received).toEqual([]);
    expect(await orm.em.fork().count(OutboxEvent, { key: 'p3' })).toBe(0);
  });

  it('drains more than one batch, still in order', async () => {
    await orm.em.fork().transactional(async (tx) => {
      for (let i = 0; i < 450; i += 1) recordEvent(tx, Topics.STOCK_CHANGED, 'p4', stockEvent('p4', i));
    });
    await relay.flush();
    await settle();
    expect(received.map((e) => e.availableQuantity)).toEqual(Array.from({ length: 450 }, (_, i) => i));
    expect(await unpublished()).toBe(0);
  });

  it('resumes after a crash between commit and publish: unpublished rows go out on restart', async () => {
    await relay.stop();
    // Written while no relay runs, as if the process died right after committing.
    await orm.em.fork().transactional(async (tx) => {
      recordEvent(tx, Topics.STOCK_CHANGED, 'p5', stockEvent('p5', 5));
    });
    expect(await unpublished()).toBe(1);
    relay = startOutboxRelay({ orm, bus, logger: createLogger('outbox-test', 'silent'), pollIntervalMs: 60_000 });
    await relay.flush();
    await settle();
    expect(received.map((e) => e.productId)).toEqual(['p5']);
  });
});

import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';
import { createEventBus } from './event-bus';
import { Topics, type StockChangedEvent } from './events';

const event: StockChangedEvent = { productId: '00000000-0000-4000-8000-000000000001', availableQuantity: 3, inStock: true, changedAt: '2026-12-01T00:00:00.000Z' };

describe('the in-process event bus', () => {
  const lines: { msg: string; topic?: string; err?: { message?: string } }[] = [];
  const bus = createEventBus({ logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) });
  beforeEach(() => {
    lines.length = 0;
  });
  afterAll(() => bus.close());

  it("runs a handler in the async context it subscribed from, not the publisher's (where another subgraph's ORM transaction is)", async () => {
    // Stands for MikroORM's TransactionContext: an AsyncLocalStorage every ORM of the process looks in.
    const transaction = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const unlisten = await transaction.run('subscriber', () => bus.listen(Topics.STOCK_CHANGED, () => void seen.push(transaction.getStore())));
    try {
      await transaction.run('publisher', () => bus.publish(Topics.STOCK_CHANGED, event));
      expect(seen).toEqual(['subscriber']);
    } finally {
      await unlisten();
    }
  });

  it('logs a failing handler; the publisher and the other handlers do not see it', async () => {
    const received: StockChangedEvent[] = [];
    const unlisten = await Promise.all([
      bus.listen(Topics.STOCK_CHANGED, () => {
        throw new Error('handler broke');
      }),
      bus.listen(Topics.STOCK_CHANGED, async () => Promise.reject(new Error('async handler broke'))),
      bus.listen(Topics.STOCK_CHANGED, (payload) => void received.push(payload)),
    ]);
    try {
      await expect(bus.publish(Topics.STOCK_CHANGED, event)).resolves.toBeUndefined();
      expect(received).toEqual([event]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines.map((line) => [line.msg, line.topic, line.err?.message])).toEqual([
        ['an event handler failed', Topics.STOCK_CHANGED, 'handler broke'],
        ['an event handler failed', Topics.STOCK_CHANGED, 'async handler broke'],
      ]);
    } finally {
      for (const stop of unlisten) await stop();
    }
  });
});

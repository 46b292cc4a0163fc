import { randomUUID } from 'node:crypto';
import { DEMO_USERS, demoCatalog } from '../../lib/demo-data';
import { createEventBus, type EventBus } from '../../lib/event-bus';
import { Topics, type CategoryChangedEvent, type ProductChangedEvent } from '../../lib/events';
import { Role, type Viewer } from '../../lib/identity';
import { OutboxEvent } from '../../lib/outbox';
import { testRedisNamespace, testRedisUrl } from '../../test/redis';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { eventually } from '../../test/wait';
import { catalogSubgraph } from './catalog.server';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };

const CREATE = 'mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id category { id } } }';
const UPDATE = 'mutation Update($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id name category { id } } }';
const UPDATE_CATEGORY = 'mutation UpdateCategory($id: ID!, $input: UpdateCategoryInput!) { updateCategory(id: $id, input: $input) { id name slug } }';

type Row = { id: string; topic: string; key: string; payload: Record<string, unknown> };

/**
 * Catalog's changes and their events commit together (the outbox), and its
 * relay carries them over Redis to other processes. The mutations below run
 * with no relay, so the rows stay as the change wrote them: PostgreSQL's
 * `xmin` (the transaction that wrote a row version) of the changed row and of
 * its event are the same transaction.
 */
describe('catalog change events', () => {
  let catalog: TestSubgraph;
  const demo = demoCatalog();
  const [shoes, jackets] = ['Running Shoes', 'Jackets'].map((name) => demo.categories.find((c) => c.name === name)!);
  const productInput = (overrides: Record<string, unknown> = {}) => ({
    sku: `EVT-${randomUUID().slice(0, 8)}`,
    name: 'Ridge Trail Shoe',
    description: 'A light shoe for dry ridges.',
    priceAmount: 11900,
    categoryId: shoes.id,
    ...overrides,
  });

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph, { seed: true });
  });
  afterAll(() => catalog?.stop());

  const create = async (overrides: Record<string, unknown> = {}) => {
    const result = await catalog.query<{ createProduct: { id: string } }>(CREATE, { input: productInput(overrides) }, ADMIN);
    expect(result.errors).toBeUndefined();
    return result.data!.createProduct.id;
  };
  const update = (id: string, input: Record<string, unknown>) => catalog.query<{ updateProduct: { id: string } }>(UPDATE, { id, input }, ADMIN);
  const updateCategory = (id: string, input: Record<string, unknown>) => catalog.query<{ updateCategory: { name: string } }>(UPDATE_CATEGORY, { id, input }, ADMIN);
  const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.map((e) => e.extensions?.code);

  const rowsOf = async (key: string): Promise<Row[]> =>
    (await catalog.orm.em.fork().find(OutboxEvent, { key }, { orderBy: { id: 'asc' } })).map(({ id, topic, key: rowKey, payload }) => ({ id, topic, key: rowKey, payload }));
  const allRows = () => catalog.orm.em.fork().count(OutboxEvent);
  /** The transaction that wrote the current version of a row. */
  const writtenBy = async (table: 'product' | 'category' | 'outbox_event', id: string): Promise<string> => {
    const [row] = await catalog.orm.em.fork().getConnection().execute<{ xmin: string }[]>(`select xmin::text as xmin from ${table} where id = ?`, [id]);
    return row.xmin;
  };

  it('createProduct records one product.changed "created" in the transaction that inserts the product', async () => {
    const id = await create({ categoryId: jackets.id });
    const rows = await rowsOf(id);
    expect(rows).toEqual([
      {
        id: expect.any(String),
        topic: Topics.PRODUCT_CHANGED,
        key: id,
        payload: { productId: id, change: 'created', categoryId: jackets.id, previousCategoryId: null, changedAt: expect.any(String) } satisfies ProductChangedEvent,
      },
    ]);
    expect(new Date(rows[0].payload.changedAt as string).toISOString()).toBe(rows[0].payload.changedAt);
    expect(await writtenBy('outbox_event', rows[0].id)).toBe(await writtenBy('product', id));
  });

  it('updateProduct records one "updated" event per change, naming the previous category only when it moved', async () => {
    const id = await create();
    const renamed = await update(id, { name: 'Ridge Trail Shoe II', priceAmount: 12900 });
    expect(renamed.errors).toBeUndefined();
    let rows = await rowsOf(id);
    expect(rows.map((row) => row.payload)).toEqual([
      expect.objectContaining({ change: 'created' }),
      { productId: id, change: 'updated', categoryId: shoes.id, previousCategoryId: null, changedAt: expect.any(String) },
    ]);
    expect(await writtenBy('outbox_event', rows[1].id)).toBe(await writtenBy('product', id));

    const moved = await update(id, { categoryId: jackets.id.toUpperCase() });
    expect(moved.errors).toBeUndefined();
    rows = await rowsOf(id);
    expect(rows).toHaveLength(3);
    expect(rows[2].payload).toEqual({ productId: id, change: 'updated', categoryId: jackets.id, previousCategoryId: shoes.id, changedAt: expect.any(String) });
    expect(await writtenBy('outbox_event', rows[2].id)).toBe(await writtenBy('product', id));

    // Nothing changes, nothing is written: no event.
    for (const input of [{}, { name: 'Ridge Trail Shoe II', categoryId: jackets.id }, { priceAmount: 12900, imageUrl: null }]) {
      const same = await update(id, input);
      expect(same.errors).toBeUndefined();
    }
    expect(await rowsOf(id)).toHaveLength(3);
  });

  it('a change that fails records nothing', async () => {
    const id = await create();
    const before = await allRows();
    expect(codes(await update(id, { categoryId: randomUUID() }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await update(id, { name: 'Fine', priceAmount: -1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await update(randomUUID(), { name: 'Ghost' }))).toEqual(['NOT_FOUND']);
    expect(codes(await updateCategory(shoes.id, { name: '  ' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await updateCategory(randomUUID(), { name: 'Ghost' }))).toEqual(['NOT_FOUND']);
    expect(await allRows()).toBe(before);

    // Racing creates of one SKU: the losers that got past the pre-check fail on the unique index, and their events roll back with them.
    const sku = `RACE-${randomUUID().slice(0, 8)}`;
    const raced = await Promise.all(Array.from({ length: 6 }, (_, i) => catalog.query(CREATE, { input: productInput({ sku, name: `Raced ${i}` }) }, ADMIN)));
    expect(raced.filter((result) => !result.errors)).toHaveLength(1);
    expect(await allRows()).toBe(before + 1);
  });

  it('updateCategory records one category.changed in the transaction that renames it', async () => {
    const renamed = await updateCategory(jackets.id, { name: '  Shells and Jackets ' });
    expect(renamed.errors).toBeUndefined();
    const rows = await rowsOf(jackets.id);
    expect(rows).toEqual([
      { id: expect.any(String), topic: Topics.CATEGORY_CHANGED, key: jackets.id, payload: { categoryId: jackets.id, changedAt: expect.any(String) } satisfies CategoryChangedEvent },
    ]);
    expect(await writtenBy('outbox_event', rows[0].id)).toBe(await writtenBy('category', jackets.id));

    expect((await updateCategory(jackets.id, { name: 'Shells and Jackets' })).errors).toBeUndefined();
    expect((await updateCategory(jackets.id, { name: null })).errors).toBeUndefined();
    expect(await rowsOf(jackets.id)).toHaveLength(1);
  });

  describe('published by the relay over Redis', () => {
    const namespace = `${testRedisNamespace()}${randomUUID().slice(0, 8)}:`;
    let publisher: EventBus;
    /** Another process's view of the bus. */
    let listener: EventBus;
    let replica: TestSubgraph;
    const received: { topic: string; payload: Record<string, unknown> }[] = [];

    beforeAll(async () => {
      publisher = createEventBus({ redisUrl: testRedisUrl(), namespace });
      listener = createEventBus({ redisUrl: testRedisUrl(), namespace });
      for (const topic of [Topics.PRODUCT_CHANGED, Topics.CATEGORY_CHANGED]) {
        const iterator = listener.pubSub.subscribe(topic)[Symbol.asyncIterator]();
        void (async () => {
          for (;;) {
            const { value, done } = await iterator.next();
            if (done) return;
            received.push({ topic, payload: value as Record<string, unknown> });
          }
        })();
      }
      // Redis subscribes asynchronously: wait until a probe on each topic comes through.
      await eventually(async () => {
        await publisher.publish(Topics.PRODUCT_CHANGED, { productId: 'probe', change: 'updated', categoryId: 'probe', previousCategoryId: null, changedAt: new Date().toISOString() });
        await publisher.publish(Topics.CATEGORY_CHANGED, { categoryId: 'probe', changedAt: new Date().toISOString() });
        return new Set(received.map((event) => event.topic)).size === 2;
      }, 'the listener to subscribe');
      await new Promise((resolve) => setTimeout(resolve, 100));
      received.length = 0;
      // A second catalog on the same database, with its background work (the relay) on, as a replica
      // started after the first one committed its changes would be.
      replica = await startTestSubgraph(catalogSubgraph, { sharedDatabase: true, backgroundTasks: true, events: publisher });
    });

    afterAll(async () => {
      await replica?.stop();
      await listener?.close();
      await publisher?.close();
    });

    it('publishes every committed event in outbox order, once, and marks it published', async () => {
      expect(replica.running.outboxRelay).toBeDefined();
      const rows = await catalog.orm.em.fork().find(OutboxEvent, {}, { orderBy: { id: 'asc' } });
      expect(rows.length).toBeGreaterThan(0);
      await replica.running.outboxRelay!.flush();
      await eventually(() => received.length >= rows.length, 'every outbox row on Redis');
      expect(received).toEqual(rows.map((row) => ({ topic: row.topic, payload: row.payload })));
      expect(await catalog.orm.em.fork().count(OutboxEvent, { publishedAt: null })).toBe(0);
    });

    it('publishes the changes made through it as they commit', async () => {
      received.length = 0;
      const created = await replica.query<{ createProduct: { id: string } }>(CREATE, { input: productInput() }, ADMIN);
      expect(created.errors).toBeUndefined();
      const id = created.data!.createProduct.id;
      expect((await replica.query(UPDATE, { id, input: { categoryId: jackets.id } }, ADMIN)).errors).toBeUndefined();
      expect((await replica.query(UPDATE_CATEGORY, { id: shoes.id, input: { name: 'Trail and Road Shoes' } }, ADMIN)).errors).toBeUndefined();
      await eventually(() => received.length >= 3, 'the three new events on Redis');
      expect(received).toEqual([
        { topic: Topics.PRODUCT_CHANGED, payload: expect.objectContaining({ productId: id, change: 'created', categoryId: shoes.id, previousCategoryId: null }) },
        { topic: Topics.PRODUCT_CHANGED, payload: expect.objectContaining({ productId: id, change: 'updated', categoryId: jackets.id, previousCategoryId: shoes.id }) },
        { topic: Topics.CATEGORY_CHANGED, payload: expect.objectContaining({ categoryId: shoes.id }) },
      ]);
    });
  });
});

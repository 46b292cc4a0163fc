import { randomUUID } from 'node:crypto';
import { DEMO_USERS, DEMO_WAREHOUSES } from '../../../lib/demo-data';
import { Topics, type StockChangedEvent } from '../../../lib/events';
import { Role, type Viewer } from '../../../lib/identity';
import { OutboxEvent } from '../../../lib/outbox';
import { countStatements } from '../../../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { inventorySubgraph } from '../inventory.server';
import { StockLevel } from '../stock/stock-level.entity';
import { StockMovement, StockMovementKind } from '../stock/stock-movement.entity';
import { ReservationLine } from './reservation-line.entity';
import { Reservation, ReservationStatus } from './reservation.entity';
import { releaseExpiredReservations } from './reservation-sweeper';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };
const CHI = DEMO_WAREHOUSES.find((w) => w.code === 'CHI')!;

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [StockLineInput!]!, $ttlSeconds: Int) {
  reserveStock(orderId: $orderId, lines: $lines, ttlSeconds: $ttlSeconds)
}`;
const RELEASE = 'mutation Release($orderId: ID!) { releaseReservation(orderId: $orderId) }';
const COMMIT = 'mutation Commit($orderId: ID!) { commitReservation(orderId: $orderId) }';
const RENEW = 'mutation Renew($orderId: ID!, $lines: [StockLineInput!]!) { renewReservation(orderId: $orderId, lines: $lines) }';
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!) {
  adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand }
}`;

type Line = { productId: string; quantity: number };

describe('stock reservations', () => {
  let inventory: TestSubgraph;

  beforeAll(async () => {
    inventory = await startTestSubgraph(inventorySubgraph, { seed: true });
  });
  afterAll(() => inventory?.stop());

  const reserve = (orderId: string, lines: Line[], ttlSeconds?: number) =>
    inventory.query<{ reserveStock: boolean }>(RESERVE, { orderId, lines, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }, CUSTOMER);
  const release = (orderId: string) => inventory.query<{ releaseReservation: boolean }>(RELEASE, { orderId }, CUSTOMER);
  const commit = (orderId: string) => inventory.query<{ commitReservation: boolean }>(COMMIT, { orderId }, CUSTOMER);
  const renew = (orderId: string, lines: Line[]) => inventory.query<{ renewReservation: boolean }>(RENEW, { orderId, lines }, CUSTOMER);

  /** A product of its own per test, stocked through adjustStock: { warehouse code: units }. */
  async function stockedProduct(stock: Partial<Record<'AMS' | 'CHI' | 'SIN', number>>): Promise<string> {
    const productId = randomUUID();
    for (const [code, units] of Object.entries(stock)) {
      const warehouse = DEMO_WAREHOUSES.find((w) => w.code === code)!;
      const result = await inventory.query(ADJUST, { productId, warehouseId: warehouse.id, delta: units }, ADMIN);
      expect(result.errors).toBeUndefined();
    }
    return productId;
  }

  /** onHand/reserved per warehouse code, and availability over all. */
  /** The product's stock levels and availability; the availability product_stock keeps must always be their sum. */
  async function stockOf(productId: string) {
    const em = inventory.orm.em.fork();
    const levels = await em.find(StockLevel, { productId }, { populate: ['warehouse'] });
    const byCode = Object.fromEntries(levels.map((l) => [l.warehouse.code, { onHand: l.onHand, reserved: l.reserved }]));
    const available = levels.reduce((sum, l) => sum + l.onHand - l.reserved, 0);
    const [summary] = await em.getConnection().execute<{ available: number }[]>('select available from product_stock where product_id = ?', [productId]);
    expect(summary?.available).toBe(available);
    return { levels: byCode, available };
  }

  async function reservationOf(orderId: string) {
    const em = inventory.orm.em.fork();
    const reservation = await em.findOne(Reservation, { orderId });
    if (!reservation) return null;
    const lines = await em.find(ReservationLine, { reservation }, { populate: ['warehouse'] });
    return {
      status: reservation.status,
      expiresAt: reservation.expiresAt,
      lines: lines.map((l) => ({ productId: l.productId, warehouse: l.warehouse.code, quantity: l.quantity })).sort((a, b) => a.warehouse.localeCompare(b.warehouse)),
    };
  }

  /** STOCK_CHANGED payloads of a product, in outbox (commit) order. */
  async function eventsOf(productId: string): Promise<StockChangedEvent[]> {
    const rows = await inventory.orm.em.fork().find(OutboxEvent, { topic: Topics.STOCK_CHANGED, key: productId }, { orderBy: { id: 'asc' } });
    return rows.map((row) => row.payload as unknown as StockChangedEvent);
  }

  async function movementsOf(productId: string) {
    const rows = await inventory.orm.em.fork().find(StockMovement, { productId }, { populate: ['warehouse'], orderBy: { createdAt: 'asc' } });
    return rows.map((m) => ({ kind: m.kind, warehouse: m.warehouse.code, delta: m.delta, reservedDelta: m.reservedDelta, orderId: m.orderId ?? null }));
  }

  const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

  it('reserves across warehouses, most available first, summing duplicate lines', async () => {
    const product = await stockedProduct({ AMS: 3, CHI: 2, SIN: 1 });
    const orderId = randomUUID();
    const result = await reserve(orderId, [
      { productId: product, quantity: 1 },
      { productId: product.toUpperCase(), quantity: 3 },
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.data!.reserveStock).toBe(true);

    expect(await stockOf(product)).toEqual({
      levels: { AMS: { onHand: 3, reserved: 3 }, CHI: { onHand: 2, reserved: 1 }, SIN: { onHand: 1, reserved: 0 } },
      available: 2,
    });
    const reservation = await reservationOf(orderId);
    expect(reservation).toMatchObject({
      status: ReservationStatus.ACTIVE,
      lines: [
        { productId: product, warehouse: 'AMS', quantity: 3 },
        { productId: product, warehouse: 'CHI', quantity: 1 },
      ],
    });
    // The default time to live is 15 minutes.
    expect(reservation!.expiresAt.getTime() - Date.now()).toBeGreaterThan(890_000);
    expect(reservation!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(900_000);

    const movements = (await movementsOf(product)).filter((m) => m.kind === StockMovementKind.RESERVE);
    expect(movements.sort((a, b) => a.warehouse.localeCompare(b.warehouse))).toEqual([
      { kind: 'RESERVE', warehouse: 'AMS', delta: 0, reservedDelta: 3, orderId },
      { kind: 'RESERVE', warehouse: 'CHI', delta: 0, reservedDelta: 1, orderId },
    ]);
    const events = await eventsOf(product);
    // Three adjustments, then one event for the reservation (not one per warehouse).
    expect(events.map((e) => e.availableQuantity)).toEqual([3, 5, 6, 2]);
    expect(events.at(-1)).toEqual({ productId: product, variantIds: [product], availableQuantity: 2, inStock: true, wasInStock: true, changedAt: expect.any(String) });
  });

  it('reserves all lines or none: a shortage is OUT_OF_STOCK naming the short products and writes nothing', async () => {
    const plenty = await stockedProduct({ AMS: 10 });
    const scarce = await stockedProduct({ CHI: 1, SIN: 1 });
    const missing = randomUUID();
    const before = { plenty: await stockOf(plenty), scarce: await stockOf(scarce), events: (await eventsOf(plenty)).length + (await eventsOf(scarce)).length };
    const movementsBefore = (await movementsOf(plenty)).length + (await movementsOf(scarce)).length;
    const outboxBefore = await inventory.orm.em.fork().count(OutboxEvent);

    const orderId = randomUUID();
    const result = await reserve(orderId, [
      { productId: plenty, quantity: 4 },
      { productId: scarce, quantity: 3 },
      { productId: missing, quantity: 1 },
    ]);
    expect(codes(result)).toEqual(['OUT_OF_STOCK']);
    expect(result.errors![0].extensions!.productIds).toEqual([scarce, missing]);
    expect(result.errors![0].message).toContain(scarce);

    expect(await stockOf(plenty)).toEqual(before.plenty);
    expect(await stockOf(scarce)).toEqual(before.scarce);
    expect(await reservationOf(orderId)).toBeNull();
    expect((await movementsOf(plenty)).length + (await movementsOf(scarce)).length).toBe(movementsBefore);
    expect(await inventory.orm.em.fork().count(OutboxEvent)).toBe(outboxBefore);

    // The order id was not used up by the failure.
    const retry = await reserve(orderId, [{ productId: plenty, quantity: 4 }]);
    expect(retry.data?.reserveStock).toBe(true);
    expect((await stockOf(plenty)).available).toBe(6);
  });

  it('refuses malformed requests with BAD_USER_INPUT before touching anything', async () => {
    const product = await stockedProduct({ AMS: 5 });
    const cases: [string, Promise<GraphQLResult>][] = [
      ['zero quantity', reserve(randomUUID(), [{ productId: product, quantity: 0 }])],
      ['negative quantity', reserve(randomUUID(), [{ productId: product, quantity: -2 }])],
      ['no lines', reserve(randomUUID(), [])],
      ['malformed order id', reserve('order-1', [{ productId: product, quantity: 1 }])],
      ['malformed product id', reserve(randomUUID(), [{ productId: 'shoe', quantity: 1 }])],
      ['zero ttl', reserve(randomUUID(), [{ productId: product, quantity: 1 }], 0)],
      ['day-long ttl exceeded', reserve(randomUUID(), [{ productId: product, quantity: 1 }], 86_401)],
    ];
    for (const [name, pending] of cases) {
      const result = await pending;
      expect({ name, codes: codes(result) }).toEqual({ name, codes: ['BAD_USER_INPUT'] });
    }
    expect((await stockOf(product)).available).toBe(5);
    expect(await inventory.orm.em.fork().count(Reservation, { lines: { productId: product } })).toBe(0);
  });

  it('is idempotent per order id, also for concurrent duplicates', async () => {
    const product = await stockedProduct({ AMS: 10 });
    const orderId = randomUUID();
    expect((await reserve(orderId, [{ productId: product, quantity: 2 }])).data?.reserveStock).toBe(true);
    // A retry, even with other lines, changes nothing.
    expect((await reserve(orderId, [{ productId: product, quantity: 2 }])).data?.reserveStock).toBe(true);
    expect((await reserve(orderId, [{ productId: product, quantity: 7 }])).data?.reserveStock).toBe(true);
    expect((await stockOf(product)).available).toBe(8);

    const concurrentOrder = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => reserve(concurrentOrder, [{ productId: product, quantity: 3 }])));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    expect(results.every((r) => r.data?.reserveStock === true)).toBe(true);
    expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 10, reserved: 5 } }, available: 5 });
    expect((await reservationOf(concurrentOrder))!.lines).toEqual([{ productId: product, warehouse: 'AMS', quantity: 3 }]);

    // A committed order answers true too; a released one cannot be reserved again.
    expect((await commit(orderId)).data?.commitReservation).toBe(true);
    expect((await reserve(orderId, [{ productId: product, quantity: 2 }])).data?.reserveStock).toBe(true);
    expect((await release(concurrentOrder)).data?.releaseReservation).toBe(true);
    const again = await reserve(concurrentOrder, [{ productId: product, quantity: 3 }]);
    expect(codes(again)).toEqual(['BAD_USER_INPUT']);
    expect(again.errors![0].message).toMatch(/new order id/);
    expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 8, reserved: 0 } }, available: 8 });
  });

  it('releases an ACTIVE reservation idempotently; unknown orders are already released', async () => {
    const product = await stockedProduct({ AMS: 4, CHI: 3 });
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: product, quantity: 6 }]);
    expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 4, reserved: 4 }, CHI: { onHand: 3, reserved: 2 } }, available: 1 });

    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await release(orderId);
      expect(result.errors).toBeUndefined();
      expect(result.data!.releaseReservation).toBe(true);
      expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 4, reserved: 0 }, CHI: { onHand: 3, reserved: 0 } }, available: 7 });
    }
    expect((await reservationOf(orderId))!.status).toBe(ReservationStatus.RELEASED);
    expect((await movementsOf(product)).filter((m) => m.kind === 'RELEASE').map(({ warehouse, delta, reservedDelta }) => ({ warehouse, delta, reservedDelta })).sort((a, b) => a.warehouse.localeCompare(b.warehouse))).toEqual([
      { warehouse: 'AMS', delta: 0, reservedDelta: -4 },
      { warehouse: 'CHI', delta: 0, reservedDelta: -2 },
    ]);
    expect((await eventsOf(product)).map((e) => e.availableQuantity)).toEqual([4, 7, 1, 7]);

    expect((await release(randomUUID())).data?.releaseReservation).toBe(true);
    expect((await release('not-an-order')).data?.releaseReservation).toBe(true);
    // Released stock cannot be sold any more.
    expect(codes(await commit(orderId))).toEqual(['BAD_USER_INPUT']);
  });

  it('commits a reservation into a sale, and a cancelled sale restocks', async () => {
    const product = await stockedProduct({ AMS: 6, SIN: 4 });
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: product, quantity: 7 }]);

    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await commit(orderId);
      expect(result.errors).toBeUndefined();
      expect(result.data!.commitReservation).toBe(true);
      expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 0, reserved: 0 }, SIN: { onHand: 3, reserved: 0 } }, available: 3 });
    }
    expect((await reservationOf(orderId))!.status).toBe(ReservationStatus.COMMITTED);

    // Releasing a committed reservation is a cancelled paid order: the units go back on hand.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await release(orderId)).data?.releaseReservation).toBe(true);
      expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 6, reserved: 0 }, SIN: { onHand: 4, reserved: 0 } }, available: 10 });
    }
    expect((await reservationOf(orderId))!.status).toBe(ReservationStatus.RESTOCKED);
    expect(codes(await commit(orderId))).toEqual(['BAD_USER_INPUT']);

    const kinds = (await movementsOf(product)).filter((m) => m.orderId === orderId).map(({ kind, warehouse, delta, reservedDelta }) => `${kind} ${warehouse} ${delta} ${reservedDelta}`);
    expect(kinds.sort()).toEqual(['COMMIT AMS -6 -6', 'COMMIT SIN -1 -1', 'RESERVE AMS 0 6', 'RESERVE SIN 0 1', 'RESTOCK AMS 6 0', 'RESTOCK SIN 1 0']);
    // adjust, adjust, reserve, commit (availability unchanged), restock
    expect((await eventsOf(product)).map((e) => [e.availableQuantity, e.inStock])).toEqual([
      [6, true],
      [10, true],
      [3, true],
      [3, true],
      [10, true],
    ]);

    expect(codes(await commit(randomUUID()))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await commit('not-an-order'))).toEqual(['BAD_USER_INPUT']);
  });

  it('releases expired ACTIVE reservations, and only those', async () => {
    const product = await stockedProduct({ CHI: 10 });
    const [expiring, fresh, committed] = [randomUUID(), randomUUID(), randomUUID()];
    await reserve(expiring, [{ productId: product, quantity: 2 }], 60);
    await reserve(fresh, [{ productId: product, quantity: 3 }], 3600);
    await reserve(committed, [{ productId: product, quantity: 1 }], 60);
    await commit(committed);
    expect((await stockOf(product)).levels.CHI).toEqual({ onHand: 9, reserved: 5 });

    const em = inventory.orm.em.fork();
    expect(await releaseExpiredReservations(em, new Date())).toBe(0);
    const later = new Date(Date.now() + 61_000);
    expect(await releaseExpiredReservations(em, later)).toBe(1);
    expect(await releaseExpiredReservations(em, later)).toBe(0);

    expect((await reservationOf(expiring))!.status).toBe(ReservationStatus.RELEASED);
    expect((await reservationOf(fresh))!.status).toBe(ReservationStatus.ACTIVE);
    expect((await reservationOf(committed))!.status).toBe(ReservationStatus.COMMITTED);
    expect(await stockOf(product)).toEqual({ levels: { CHI: { onHand: 9, reserved: 3 } }, available: 6 });
    const expiry = await inventory.orm.em.fork().findOneOrFail(StockMovement, { orderId: expiring, kind: StockMovementKind.RELEASE });
    expect({ reason: expiry.reason, actorId: expiry.actorId }).toEqual({ reason: 'reservation expired', actorId: null });
    expect((await eventsOf(product)).at(-1)!.availableQuantity).toBe(6);
    // The expired order can no longer be sold.
    expect(codes(await commit(expiring))).toEqual(['BAD_USER_INPUT']);
  });

  it('renews a lapsed reservation for its order, all lines or none, so the sale can be committed after all', async () => {
    const product = await stockedProduct({ AMS: 3, CHI: 2 });
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: product, quantity: 4 }], 60);
    expect(await releaseExpiredReservations(inventory.orm.em.fork(), new Date(Date.now() + 61_000))).toBeGreaterThanOrEqual(1);
    // commit says why it cannot: the stock was given back.
    const refused = await commit(orderId);
    expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0].extensions!).toHaveProperty('reservationStatus', ReservationStatus.RELEASED);
    const none = await commit(randomUUID());
    expect(none.errors![0].extensions!).toHaveProperty('reservationStatus', null);

    // Someone else takes 2 meanwhile: 3 are left, the order wants 4. Nothing is taken, the reservation stays as it was.
    const other = randomUUID();
    await reserve(other, [{ productId: product, quantity: 2 }]);
    const short = await renew(orderId, [{ productId: product, quantity: 4 }]);
    expect(codes(short)).toEqual(['OUT_OF_STOCK']);
    expect(short.errors![0].extensions!.productIds).toEqual([product]);
    const released = await reservationOf(orderId);
    expect(released!.status).toBe(ReservationStatus.RELEASED);
    expect(released!.lines.reduce((sum, line) => sum + line.quantity, 0)).toBe(4);
    expect((await stockOf(product)).available).toBe(3);

    // The other one lets go: now the order gets its stock again, under the same reservation, with a new expiry.
    await release(other);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const renewed = await renew(orderId, [{ productId: product, quantity: 4 }]);
      expect(renewed.errors).toBeUndefined();
      expect(renewed.data!.renewReservation).toBe(true);
      expect((await stockOf(product)).available).toBe(1);
    }
    const active = (await reservationOf(orderId))!;
    expect(active.status).toBe(ReservationStatus.ACTIVE);
    expect(active.expiresAt.getTime()).toBeGreaterThan(Date.now() + 890_000);
    expect(active.lines).toEqual([
      { productId: product, warehouse: 'AMS', quantity: 3 },
      { productId: product, warehouse: 'CHI', quantity: 1 },
    ]);
    expect((await commit(orderId)).data?.commitReservation).toBe(true);
    expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 0, reserved: 0 }, CHI: { onHand: 1, reserved: 0 } }, available: 1 });
    const renewal = (await movementsOf(product)).filter((m) => m.orderId === orderId && m.kind === StockMovementKind.RESERVE);
    expect(renewal).toHaveLength(4);

    // A committed one is left alone; a sold-then-restocked one is not taken again.
    expect((await renew(orderId, [{ productId: product, quantity: 4 }])).data?.renewReservation).toBe(true);
    expect((await stockOf(product)).available).toBe(1);
    await release(orderId);
    expect(codes(await renew(orderId, [{ productId: product, quantity: 4 }]))).toEqual(['BAD_USER_INPUT']);
    expect((await stockOf(product)).available).toBe(5);
  });

  it('sells exactly the available units to 20 concurrent checkouts', async () => {
    const product = await stockedProduct({ AMS: 3, CHI: 2 });
    const outboxBefore = (await eventsOf(product)).length;
    const orders = Array.from({ length: 20 }, () => randomUUID());
    const results = await Promise.all(orders.map((orderId) => reserve(orderId, [{ productId: product, quantity: 1 }])));

    const succeeded = results.filter((r) => r.data?.reserveStock === true);
    const refused = results.filter((r) => r.errors);
    expect(succeeded).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const result of refused) {
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].extensions).toMatchObject({ code: 'OUT_OF_STOCK', productIds: [product] });
    }
    expect(await stockOf(product)).toEqual({ levels: { AMS: { onHand: 3, reserved: 3 }, CHI: { onHand: 2, reserved: 2 } }, available: 0 });
    const availability = await inventory.query<{ _entities: { availableQuantity: number; inStock: boolean }[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { availableQuantity inStock } } }',
      { r: [{ __typename: 'Product', id: product }] },
    );
    expect(availability.data!._entities).toEqual([{ availableQuantity: 0, inStock: false }]);
    expect(await inventory.orm.em.fork().count(Reservation, { orderId: { $in: orders } })).toBe(5);
    // One event per successful reservation, in commit order: availability counts down without gaps.
    expect((await eventsOf(product)).slice(outboxBefore).map((e) => e.availableQuantity)).toEqual([4, 3, 2, 1, 0]);
  });

  it('never deadlocks when orders lock the same products in different line orders, beside adjustments', async () => {
    const a = await stockedProduct({ AMS: 20, CHI: 20 });
    const b = await stockedProduct({ CHI: 20, SIN: 20 });
    const calls: Promise<GraphQLResult>[] = [];
    for (let i = 0; i < 30; i += 1) {
      const lines = i % 2 === 0 ? [{ productId: a, quantity: 1 }, { productId: b, quantity: 1 }] : [{ productId: b, quantity: 1 }, { productId: a, quantity: 1 }];
      calls.push(reserve(randomUUID(), lines));
      if (i % 5 === 0) calls.push(inventory.query(ADJUST, { productId: i % 2 ? a : b, warehouseId: CHI.id, delta: 1 }, ADMIN));
    }
    const results = await Promise.all(calls);
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const [stockA, stockB] = [await stockOf(a), await stockOf(b)];
    expect([stockA.available, stockB.available]).toEqual([40 + 3 - 30, 40 + 3 - 30]);
    // Every event's figure is the availability its transaction left behind, so the last one is current.
    expect((await eventsOf(a)).at(-1)!.availableQuantity).toBe(stockA.available);
    expect((await eventsOf(b)).at(-1)!.availableQuantity).toBe(stockB.available);
  });

  it('takes a fixed number of statements to reserve, whatever the number of lines', async () => {
    const products = [await stockedProduct({ AMS: 5 }), await stockedProduct({ AMS: 5, CHI: 5 }), await stockedProduct({ SIN: 5 })];
    const counter = countStatements(inventory.orm);
    try {
      const measure = async (lines: Line[]) => {
        counter.reset();
        expect((await reserve(randomUUID(), lines)).data?.reserveStock).toBe(true);
        return counter.count;
      };
      const one = await measure([{ productId: products[0], quantity: 1 }]);
      const three = await measure(products.map((productId) => ({ productId, quantity: 1 })));
      expect(three).toBe(one);
      // begin, claim the order, lock the variants' stock levels, one batched update of them, one insert each for lines and
      // movements, one update of the products' availability, the outbox insert, commit
      expect(one).toBe(9);
      // Only the requested variants are locked, never a whole product.
      expect(counter.statements.some((sql) => /for update/i.test(sql) && /where variant_id in/i.test(sql) && /order by variant_id, warehouse_id/i.test(sql))).toBe(true);
      expect(counter.statements.some((sql) => /for update/i.test(sql) && /order by .*variant_id.*warehouse_id/i.test(sql))).toBe(true);
    } finally {
      counter.detach();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { eventually } from '../../../test/wait';
import { cartSubgraph } from '../../cart/cart.server';
import { catalogSubgraph } from '../../catalog/catalog.server';
import { inventorySubgraph } from '../../inventory/inventory.server';
import { Order } from '../order/order.entity';
import { ordersSubgraph } from '../orders.server';

/**
 * Checkout's answer and admission, with real siblings: an order that takes
 * longer than CHECKOUT_ANSWER_MS to pay is answered PENDING and finishes in
 * the background; a product's crowd beyond its queue is refused with
 * CHECKOUT_BUSY, nothing reserved or placed, and may come back with
 * the same idempotency key.
 */
const ADDRESS = { line1: 'Main Street 1', line2: null, city: 'Springfield', postalCode: '12345', country: 'US' };
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { id status } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status } }`;
const AVAILABLE = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { availableQuantity stockLevels { reserved } } } }`;

jest.setTimeout(60_000);

describe('checkout answers within its time and admits a crowd in turn', () => {
  let catalog: TestSubgraph;
  let inventory: TestSubgraph;
  let cart: TestSubgraph;
  const products = demoCatalog().products.filter((product, index) => (index + 1) % 10 !== 0 && product.options.length === 0);

  beforeAll(async () => {
    [catalog, inventory] = await Promise.all([startTestSubgraph(catalogSubgraph, { seed: true }), startTestSubgraph(inventorySubgraph, { seed: true })]);
    cart = await startTestSubgraph(cartSubgraph, { subgraphUrls: { catalog: catalog.url, inventory: inventory.url } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([cart, inventory, catalog].map((subgraph) => subgraph?.stop()));
  });

  const startOrders = (env: Record<string, string>) => startTestSubgraph(ordersSubgraph, { subgraphUrls: { catalog: catalog.url, inventory: inventory.url, cart: cart.url }, env });

  async function buyer(productId: string): Promise<Viewer> {
    const viewer: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
    const added = await cart.query(`mutation($productId: ID!) { addToCart(productId: $productId, quantity: 1) { id } }`, { productId }, viewer);
    expect(added.errors).toBeUndefined();
    return viewer;
  }

  async function stock(productId: string) {
    const answer = await inventory.query<{ _entities: { availableQuantity: number; stockLevels: { reserved: number }[] }[] }>(AVAILABLE, { r: [{ __typename: 'Product', id: productId }] }, { id: randomUUID(), role: Role.ADMIN });
    const [product] = answer.data!._entities;
    return { available: product.availableQuantity, reserved: product.stockLevels.reduce((sum, level) => sum + level.reserved, 0) };
  }

  it('answers PENDING once the order is placed when paying takes longer than CHECKOUT_ANSWER_MS, then finishes it (PAID, stock committed); a retry gets the same order', async () => {
    const orders = await startOrders({ CHECKOUT_ANSWER_MS: '1' });
    try {
      const product = products[0];
      const before = await stock(product.id);
      const viewer = await buyer(product.id);
      const input = { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
      const answer = await orders.query<{ checkout: { id: string; status: string } }>(CHECKOUT, { input }, viewer);
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.checkout.status).toBe('PENDING');
      const id = answer.data!.checkout.id;
      await eventually(async () => (await orders.query<{ order: { status: string } }>(ORDER, { id }, viewer)).data?.order.status === 'PAID', 'the order answered PENDING becomes PAID', 10_000);
      await eventually(async () => (await orders.orm.em.fork().findOneOrFail(Order, { id })).stockCommitted, 'its stock is committed', 10_000);
      expect(await stock(product.id)).toEqual({ available: before.available - 1, reserved: before.reserved });
      const again = await orders.query<{ checkout: { id: string; status: string } }>(CHECKOUT, { input }, viewer);
      expect(again.data!.checkout).toEqual({ id, status: 'PAID' });
    } finally {
      await orders.stop();
    }
  });

  it('gives up before placing an order it cannot place by CHECKOUT_PLACE_BY_MS: CHECKOUT_BUSY, no order, nothing left reserved', async () => {
    const orders = await startOrders({ CHECKOUT_ANSWER_MS: '1', CHECKOUT_PLACE_BY_MS: '1' });
    try {
      const product = products[2];
      const before = await stock(product.id);
      const viewer = await buyer(product.id);
      const answer = await orders.query(CHECKOUT, { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, viewer);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'CHECKOUT_BUSY', retryAfterSeconds: 1 });
      expect(answer.errors![0].message).toMatch(/could not be placed within 1 ms, so nothing was reserved or charged/);
      // The saga goes on in the background until it stops short of the order: then nothing is held.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await orders.orm.em.fork().count(Order, { userId: viewer.id })).toBe(0);
      expect(await stock(product.id)).toEqual(before);
    } finally {
      await orders.stop();
    }
  });

  it('refuses the crowd beyond one product\'s queue with CHECKOUT_BUSY (nothing reserved, no order), serves the rest, and serves a refused buyer who comes back with the same key', async () => {
    const orders = await startOrders({ CHECKOUT_CONCURRENCY_PER_PRODUCT: '1', CHECKOUT_QUEUE_LENGTH: '2', CHECKOUT_QUEUE_WAIT_MS: '5000' });
    try {
      const product = products[1];
      const before = await stock(product.id);
      const buyers = await Promise.all(Array.from({ length: 8 }, () => buyer(product.id)));
      const inputs = buyers.map(() => ({ shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() }));
      const answers: GraphQLResult<{ checkout: { id: string; status: string } }>[] = await Promise.all(
        buyers.map((viewer, i) => orders.query<{ checkout: { id: string; status: string } }>(CHECKOUT, { input: inputs[i] }, viewer)),
      );
      const refused = answers.map((answer, i) => ({ answer, i })).filter(({ answer }) => answer.errors?.[0]?.extensions?.code === 'CHECKOUT_BUSY');
      const served = answers.filter((answer) => answer.data?.checkout);
      // At most one at a time and two waiting: of eight at once, some are refused; everyone hears one or the other.
      expect(refused.length).toBeGreaterThan(0);
      expect(served.length + refused.length).toBe(8);
      for (const { answer, i } of refused) {
        expect(answer.errors![0].extensions).toMatchObject({ productIds: [product.id] });
        expect(answer.errors![0].extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(await orders.orm.em.fork().count(Order, { userId: buyers[i].id })).toBe(0);
      }
      // What was sold is exactly what was served; nothing is left reserved for the refused.
      await eventually(async () => (await stock(product.id)).reserved === before.reserved, 'the served orders commit their stock', 10_000);
      expect((await stock(product.id)).available).toBe(before.available - served.length);
      // Refused buyers come back with the same key and are served now.
      const { i } = refused[0];
      const retried = await orders.query<{ checkout: { id: string; status: string } }>(CHECKOUT, { input: inputs[i] }, buyers[i]);
      expect(retried.errors).toBeUndefined();
      expect(['PAID', 'PENDING']).toContain(retried.data!.checkout.status);
    } finally {
      await orders.stop();
    }
  });
});

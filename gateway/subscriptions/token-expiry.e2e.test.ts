import { randomUUID } from 'node:crypto';
import { accessTokenExpiresAt, signAccessToken } from '../../lib/access-token';
import { demoCatalog } from '../../lib/demo-data';
import { TEST_JWT_SECRET } from '../../test/subgraph-harness';
import { demoAdmin, demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';
import { eventually } from '../../test/wait';
import { subscribe, wsClient } from '../../test/ws-client';

/**
 * A subscription authenticated by an access token ends when the token
 * expires, through the real gateway and a real graphql-ws client: the buyer's
 * order subscription gets UNAUTHENTICATED then `complete`, and nothing of the
 * order after that, while anonymous subscriptions go on and a client that
 * reconnects with a fresh token is served again.
 */

jest.setTimeout(60_000);

const ORDER = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status total { amount } shippingAddress { line1 } } }`;
const STOCK = `subscription($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity product { id } } }`;
const ADD = 'mutation($productId: ID!, $variantId: ID, $quantity: Int!) { addToCart(productId: $productId, variantId: $variantId, quantity: $quantity) { id } }';
const CHECKOUT = 'mutation($input: CheckoutInput!) { checkout(input: $input) { id status } }';
const SET_STATUS = 'mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }';
const ADJUST = 'mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: "token expiry test") { onHand } }';
const ADDRESS = { line1: '350 Fifth Avenue', line2: null, city: 'New York', postalCode: '10118', country: 'US' };

/** `ended` of a subscription, failing the test if it has not ended a second after the token expired. */
function endedBy<T>(ended: Promise<T>, expiresAt: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the subscription was still open a second after its token expired')), Math.max(0, expiresAt + 1_000 - Date.now()));
  });
  return Promise.race([ended, late]).finally(() => clearTimeout(timer));
}

const demo = demoCatalog();
/** Stock rows with units to spare: one to buy from, one to move the stock of. */
const [bought, moved] = demo.stock.filter((stock) => stock.onHand > 5 && stock.variantId === stock.productId);

/** Seconds of validity of the short token: enough to subscribe and receive one event on a busy machine. */
const SHORT_TTL_SECONDS = 3;

describe('subscriptions end with the access token that authorised them', () => {
  let supergraph: TestSupergraph;

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 120_000);
  afterAll(() => supergraph?.stop());

  async function succeed(query: string, variables: Record<string, unknown>, as = demoAdmin) {
    const result = await supergraph.query(query, variables, as);
    expect(result.errors).toBeUndefined();
    return result.data!;
  }

  /** A new PAID order of the demo customer, through cart and checkout. */
  async function placeOrder(): Promise<string> {
    await succeed(ADD, { productId: bought.productId, quantity: 1 }, demoCustomer);
    const { checkout } = await succeed(CHECKOUT, { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, demoCustomer);
    expect(checkout.status).toBe('PAID');
    return checkout.id;
  }

  const stats = () => supergraph.gateway.subscriptions.federated.stats;

  /** A token of the demo customer valid for `seconds` whole seconds: minted as a second begins, since `exp` counts in seconds. */
  async function shortToken(seconds: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000)));
    return signAccessToken(demoCustomer, TEST_JWT_SECRET, seconds);
  }

  it('delivers events before the expiry, then UNAUTHENTICATED and complete, and nothing after; anonymous subscriptions go on', async () => {
    const orderId = await placeOrder();
    const token = await shortToken(SHORT_TTL_SECONDS);
    const expiresAt = accessTokenExpiresAt(token)!;
    const buyer = wsClient(supergraph.gatewayUrl, token);
    const anonymous = wsClient(supergraph.gatewayUrl);
    let refreshed: ReturnType<typeof wsClient> | undefined;
    try {
      const order = subscribe(buyer, ORDER, { id: orderId });
      let orderEndedAt = 0;
      void order.ended.then(() => (orderEndedAt = Date.now()));
      // Public data on the same socket, but under the buyer's identity: it ends with the token too.
      const buyerStock = subscribe(buyer, STOCK, { ids: [moved.productId] });
      const anonymousStock = subscribe(anonymous, STOCK, { ids: [moved.productId] });
      await eventually(() => stats().subscribers === 3, 'the three subscriptions');

      // Before the expiry: the event is delivered, whole.
      await succeed(SET_STATUS, { id: orderId, status: 'SHIPPED' });
      const shipped = await order.next();
      expect(Date.now()).toBeLessThan(expiresAt);
      expect(shipped.errors).toBeUndefined();
      expect(shipped.data.orderStatusChanged).toMatchObject({ id: orderId, status: 'SHIPPED', shippingAddress: { line1: ADDRESS.line1 } });

      // At the expiry: one UNAUTHENTICATED result, then complete, on each of the buyer's subscriptions.
      expect(await endedBy(order.ended, expiresAt)).toBeNull();
      expect(orderEndedAt).toBeGreaterThanOrEqual(expiresAt);
      expect(orderEndedAt).toBeLessThan(expiresAt + 1_000);
      expect(order.results.at(-1)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
      expect(order.results.at(-1)!.data).toBeUndefined();
      expect(await endedBy(buyerStock.ended, expiresAt)).toBeNull();
      expect(buyerStock.results.map((result) => result.errors?.[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      // The socket stays open (its queries are refused like any with an expired token).
      const query = subscribe(buyer, `{ me { id } }`);
      expect(await query.ended).toMatchObject([{ extensions: { code: 'UNAUTHENTICATED' } }]);

      // The client refreshes its token and reconnects: served again.
      refreshed = wsClient(supergraph.gatewayUrl, await supergraph.tokenFor(demoCustomer));
      const again = subscribe(refreshed, ORDER, { id: orderId });
      await eventually(() => stats().subscribers === 2, 'the anonymous and the renewed subscriptions');

      // After the expiry: the order changes and the stock moves; the expired subscription gets none of it.
      await succeed(SET_STATUS, { id: orderId, status: 'DELIVERED' });
      expect((await again.next()).data.orderStatusChanged).toMatchObject({ id: orderId, status: 'DELIVERED' });
      await succeed(ADJUST, { productId: moved.productId, warehouseId: moved.warehouseId, delta: 1 });
      const stockEvent = await anonymousStock.next();
      expect(stockEvent.data.stockChanged.product.id).toBe(moved.productId);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(order.results).toHaveLength(2);
      expect(buyerStock.results).toHaveLength(1);
      expect(await Promise.race([anonymousStock.ended, Promise.resolve('open')])).toBe('open');
    } finally {
      await Promise.all([buyer.dispose(), anonymous.dispose(), refreshed?.dispose()]);
    }
  });

  it('keeps a subscription with a token valid for longer open past a short one', async () => {
    const orderId = await placeOrder();
    const shortLived = await shortToken(2);
    const short = wsClient(supergraph.gatewayUrl, shortLived);
    const long = wsClient(supergraph.gatewayUrl, await supergraph.tokenFor(demoCustomer));
    try {
      // Same viewer, same subscription: one shared upstream, yet each ends with its own token.
      const ending = subscribe(short, ORDER, { id: orderId });
      const lasting = subscribe(long, ORDER, { id: orderId });
      await eventually(() => stats().subscribers === 2, 'both subscriptions');
      expect(await endedBy(ending.ended, accessTokenExpiresAt(shortLived)!)).toBeNull();
      await succeed(SET_STATUS, { id: orderId, status: 'SHIPPED' });
      expect((await lasting.next()).data.orderStatusChanged.status).toBe('SHIPPED');
      expect(ending.results.map((result) => result.errors?.[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    } finally {
      await Promise.all([short.dispose(), long.dispose()]);
    }
  });
});

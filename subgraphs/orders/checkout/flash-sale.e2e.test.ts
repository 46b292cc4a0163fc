import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { signAccessToken } from '../../../lib/access-token';
import { databaseUrl } from '../../../lib/database';
import { demoCatalog, DEMO_WAREHOUSES } from '../../../lib/demo-data';
import { ErrorCode } from '../../../lib/errors';
import { Role } from '../../../lib/identity';
import { startSplitDeployment, type SplitDeployment } from '../../../test/split-deployment';
import { TEST_JWT_SECRET } from '../../../test/subgraph-harness';
import { demoAdmin, demoCustomer } from '../../../test/supergraph-harness';
import { eventually } from '../../../test/wait';

/**
 * A flash sale through a real gateway over real processes (production mode):
 * many buyers of one product with fewer units than buyers, all checking out
 * at once and coming back when told to (Retry-After, same idempotency key),
 * while other buyers check out other products and a customer reads their
 * orders. Every buyer hears PAID, PENDING or a refusal that took nothing;
 * what was sold is what buyers were told was bought; the other buyers and
 * the reader never notice.
 */
const HOT_UNITS = 60;
const HOT_BUYERS = 80;
/** As many as the turns of all a crowd can never take (half of CHECKOUT_CONCURRENCY, 16). */
const OTHER_BUYERS = 8;
const MAX_ATTEMPTS = 15;
const ADDRESS = { line1: 'Damrak 1', line2: null, city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' };
const CHECKOUT = `mutation Checkout($input: CheckoutInput!) { checkout(input: $input) { id status items { quantity product { id name } } } }`;
const ADD = `mutation Add($productId: ID!) { addToCart(productId: $productId, quantity: 1) { id } }`;
const ORDER = `query Order($id: ID!) { order(id: $id) { id status } }`;
const MY_ORDERS = `query MyOrders { me { orders(first: 5) { nodes { id status items { product { name } } } } } }`;
const STOCK = `query Stock($id: ID!) { product(id: $id) { availableQuantity stockLevels { warehouse { id code } onHand reserved } } }`;
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: "flash sale") { onHand } }`;

const demo = demoCatalog();
const stockOf = (productId: string) => demo.stock.filter((s) => s.variantId === productId).reduce((sum, s) => sum + s.onHand, 0);
// Products without options: a line without variantId buys the default variant, which holds all their stock.
const plain = demo.products.filter((p) => p.options.length === 0 && stockOf(p.id) >= 3);
const hot = plain[0];
const others = plain.slice(1, 1 + OTHER_BUYERS);

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: { checkout?: { id: string; status: string } | null } | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

interface Purchase {
  userId: string;
  token: string;
  idempotencyKey: string;
  answers: Answer[];
}

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code as string | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a flash sale: one product\'s crowd, every buyer answered, the rest of the store untouched', () => {
  let deployment: SplitDeployment;
  let adminToken: string;
  const url = () => deployment.gatewayUrl('gateway');

  async function post(query: string, variables: Record<string, unknown>, token: string): Promise<Answer> {
    const response = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
  }

  async function stock(productId: string) {
    const answer = await post(STOCK, { id: productId }, adminToken);
    expect(answer.body.errors).toBeUndefined();
    return (answer.body.data as unknown as { product: { availableQuantity: number; stockLevels: { warehouse: { id: string; code: string }; onHand: number; reserved: number }[] } }).product;
  }

  /** A fresh signed-in customer with one unit of the product in their cart. */
  async function buyerOf(productId: string): Promise<Purchase> {
    const userId = randomUUID();
    const token = await signAccessToken({ id: userId, role: Role.CUSTOMER }, TEST_JWT_SECRET);
    const added = await post(ADD, { productId }, token);
    expect(added.body.errors).toBeUndefined();
    return { userId, token, idempotencyKey: randomUUID(), answers: [] };
  }

  /** Checks out as a real client does: told to come back later, it comes back then, with the same key. */
  async function checkOut(purchase: Purchase): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const answer = await post(CHECKOUT, { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: purchase.idempotencyKey } }, purchase.token);
      purchase.answers.push(answer);
      if (codeOf(answer) !== ErrorCode.CHECKOUT_BUSY) return;
      await sleep(Number(answer.retryAfter) * 1000);
    }
  }

  const final = (purchase: Purchase) => purchase.answers.at(-1)!;
  const orderOf = (purchase: Purchase) => final(purchase).body.data?.checkout ?? null;

  beforeAll(async () => {
    // A short queue per product (the default is 1000), so that some of the crowd is surely told to come back; and
    // more time to begin placing an order (the default is 2.5 s, still under the gateway's 5 s), since this
    // machine runs other suites beside this one: what is tested here is who gets turns, not how fast.
    deployment = await startSplitDeployment({
      databaseSuffix: 'flash_sale',
      gateways: { gateway: {} },
      env: { CHECKOUT_QUEUE_LENGTH: '10', CHECKOUT_PLACE_BY_MS: '4000' },
    });
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
  }, 90_000);
  afterAll(() => deployment?.stop());

  it(`sells exactly ${HOT_UNITS} units to ${HOT_BUYERS} buyers at once, telling each what happened, while other products sell and orders are read as usual`, async () => {
    // The hot product: exactly HOT_UNITS on hand, all in one warehouse.
    const before = await stock(hot.id);
    for (const level of before.stockLevels) {
      const wanted = level.warehouse.id === DEMO_WAREHOUSES[0].id ? HOT_UNITS : 0;
      if (level.onHand !== wanted) expect((await post(ADJUST, { productId: hot.id, warehouseId: level.warehouse.id, delta: wanted - level.onHand }, adminToken)).body.errors).toBeUndefined();
    }
    if (!before.stockLevels.some((level) => level.warehouse.id === DEMO_WAREHOUSES[0].id)) {
      expect((await post(ADJUST, { productId: hot.id, warehouseId: DEMO_WAREHOUSES[0].id, delta: HOT_UNITS }, adminToken)).body.errors).toBeUndefined();
    }
    expect((await stock(hot.id)).availableQuantity).toBe(HOT_UNITS);

    const hotBuyers: Purchase[] = [];
    for (let i = 0; i < HOT_BUYERS; i += 10) hotBuyers.push(...(await Promise.all(Array.from({ length: Math.min(10, HOT_BUYERS - i) }, () => buyerOf(hot.id)))));
    const otherBuyers = await Promise.all(others.map((product) => buyerOf(product.id)));
    const availableBefore = new Map(await Promise.all(others.map(async (product) => [product.id, (await stock(product.id)).availableQuantity] as const)));

    // A customer reading their orders all through the sale.
    const customerToken = await signAccessToken(demoCustomer, TEST_JWT_SECRET);
    const reads: Answer[] = [];
    let selling = true;
    const reader = (async () => {
      while (selling) reads.push(await post(MY_ORDERS, {}, customerToken));
    })();

    await Promise.all([...hotBuyers, ...otherBuyers].map(checkOut));
    selling = false;
    await reader;

    // Every answer is a definite one: a sale (PAID, or PENDING: placed, still paying), OUT_OF_STOCK, or "come back" with a Retry-After.
    const answers = [...hotBuyers, ...otherBuyers].flatMap((purchase) => purchase.answers);
    for (const answer of answers) {
      const code = codeOf(answer);
      if (code === undefined) expect(['PAID', 'PENDING']).toContain(answer.body.data?.checkout?.status);
      else expect({ code, answer: [ErrorCode.OUT_OF_STOCK, ErrorCode.CHECKOUT_BUSY].includes(code as never) ? 'definite' : answer.body }).toEqual({ code, answer: 'definite' });
      if (code === ErrorCode.CHECKOUT_BUSY) {
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(answer.body.errors![0].extensions!.retryAfterSeconds).toBe(Number(answer.retryAfter));
      }
    }
    expect(answers.filter((answer) => codeOf(answer) === ErrorCode.CHECKOUT_BUSY).length).toBeGreaterThan(0);
    // Every hot buyer ends with a sale or OUT_OF_STOCK (none left waiting after MAX_ATTEMPTS).
    for (const purchase of hotBuyers) expect(codeOf(final(purchase)) ?? orderOf(purchase)?.status).toMatch(/^(PAID|PENDING|OUT_OF_STOCK)$/);
    // The other buyers never waited for the hot product: all bought, and none was ever refused for a product's queue
    // (a crowd arriving at once can delay any request, theirs too, past its wait: that refusal names no product).
    for (const purchase of otherBuyers) {
      expect(['PAID', 'PENDING']).toContain(orderOf(purchase)?.status);
      for (const answer of purchase.answers.slice(0, -1)) expect(answer.body.errors![0].extensions).toMatchObject({ code: ErrorCode.CHECKOUT_BUSY, productIds: [] });
    }
    // The reader never saw an error, let alone a breaker's.
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.flatMap((read) => read.body.errors ?? [])).toEqual([]);

    // Once every order told PENDING has settled: what was sold is what buyers were told was bought.
    const sold = hotBuyers.filter((purchase) => orderOf(purchase));
    const finalStatus = async (purchase: Purchase) => {
      const order = orderOf(purchase)!;
      if (order.status !== 'PENDING') return order.status;
      const answer = await post(ORDER, { id: order.id }, purchase.token);
      const status = (answer.body.data as unknown as { order: { status: string } }).order.status;
      return status === 'PENDING' ? undefined : status;
    };
    const statuses = await eventually(async () => {
      const all = await Promise.all(sold.map(finalStatus));
      return all.every((status) => status !== undefined) ? all : undefined;
    }, 'every order told PENDING settles', 30_000);
    expect(statuses.every((status) => status === 'PAID')).toBe(true);
    expect(sold).toHaveLength(HOT_UNITS);
    expect(hotBuyers.filter((purchase) => codeOf(final(purchase)) === ErrorCode.OUT_OF_STOCK)).toHaveLength(HOT_BUYERS - HOT_UNITS);
    const after = await eventually(async () => {
      const current = await stock(hot.id);
      return current.stockLevels.every((level) => level.reserved === 0) ? current : undefined;
    }, 'the sold units are committed', 30_000);
    expect(after.availableQuantity).toBe(0);
    expect(after.stockLevels.reduce((sum, level) => sum + level.onHand, 0)).toBe(0);
    // In orders' own books: a PAID order for every buyer told so, none for a buyer told OUT_OF_STOCK (nobody charged but told no).
    const books = new Client({ connectionString: databaseUrl(deployment.env.DATABASE_URL, `${deployment.env.DATABASE_NAME_PREFIX}_orders`) });
    await books.connect();
    try {
      const { rows } = await books.query<{ user_id: string; status: string }>('select user_id, status from customer_order where user_id = any($1::uuid[])', [hotBuyers.map((p) => p.userId)]);
      expect(rows.map((row) => row.user_id).sort()).toEqual(sold.map((purchase) => purchase.userId).sort());
      expect(rows.every((row) => row.status === 'PAID')).toBe(true);
    } finally {
      await books.end();
    }
    // A buyer asking again with the same key gets the same order.
    const again = await post(CHECKOUT, { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: sold[0].idempotencyKey } }, sold[0].token);
    expect(again.body.data?.checkout).toMatchObject({ id: orderOf(sold[0])!.id, status: 'PAID' });
    // Each other product sold its one unit.
    for (const product of others) expect((await stock(product.id)).availableQuantity).toBe(availableBefore.get(product.id)! - 1);

    // No breaker opened at the gateway: not the orders queries', not checkout's.
    const ready = (await (await fetch(url().replace(/\/graphql$/, '/ready'))).json()) as { breakers: Record<string, string> };
    expect(Object.entries(ready.breakers).filter(([, state]) => state !== 'closed')).toEqual([]);
  }, 180_000);
});

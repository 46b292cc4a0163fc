import { demoCatalog, DEMO_WAREHOUSES } from '../../lib/demo-data';
import { Role } from '../../lib/identity';
import { demoAdmin, demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { schemaDir } from '../../lib/paths';
import { subscribe, wsClient } from '../../test/ws-client';
import { eventually } from '../../test/wait';

const STOCK = `subscription($ids: [ID!]) {
  stockChanged(productIds: $ids) { availableQuantity inStock changedAt product { id name price { formatted } category { name } } }
}`;
const ORDER = `subscription($id: ID!) {
  orderStatusChanged(orderId: $id) { id status items { quantity product { name } } user { email } statusHistory { status } }
}`;
const ADJUST = `mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) {
  adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: "subscription test") { onHand }
}`;

const demo = demoCatalog();
const inStock = demo.products.filter((p) => demo.stock.some((s) => s.productId === p.id && s.onHand > 5));

describe('federated subscriptions through the gateway (one process, in-process events)', () => {
  let supergraph: TestSupergraph;
  let adminToken: string;
  let customerToken: string;

  beforeAll(async () => {
    supergraph = await startTestSupergraph({ gateway: { subscriptionQueueSize: 3 } });
    adminToken = await supergraph.tokenFor(demoAdmin);
    customerToken = await supergraph.tokenFor(demoCustomer);
  }, 60_000);
  afterAll(() => supergraph?.stop());

  async function adjust(productId: string, delta: number) {
    const stock = demo.stock.find((s) => s.productId === productId)!;
    const result = await supergraph.query(ADJUST, { productId, warehouseId: stock.warehouseId, delta }, adminToken);
    expect(result.errors).toBeUndefined();
  }

  it('answers queries and mutations over the socket with their errors, as over HTTP', async () => {
    const client = wsClient(supergraph.gatewayUrl, customerToken);
    try {
      const missing = subscribe(client, `query($id: ID!) { order(id: $id) { id } product(id: $id) { id } }`, { id: '00000000-0000-4000-8000-000000000000' });
      expect(await missing.next()).toEqual({ data: { order: null, product: null } });
      const refused = subscribe(client, `mutation { applyDiscountCode(code: "NO-SUCH-CODE") { id } }`);
      const answer = await refused.next();
      expect(answer.data).toBeNull();
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['DISCOUNT_CODE_INVALID']);
      expect(answer.errors?.[0]).toMatchObject({ path: ['applyDiscountCode'], message: expect.any(String) });
      expect(await refused.ended).toBeNull();
    } finally {
      await client.dispose();
    }
  });

  it('answers stock changes with the whole selection, fields of catalog included', async () => {
    const [product, other] = inStock;
    const client = wsClient(supergraph.gatewayUrl);
    try {
      const subscription = subscribe(client, STOCK, { ids: [product.id] });
      await eventually(() => supergraph.gateway.subscriptions.federated.stats.upstreams === 1, 'the subscription state');
      await adjust(other.id, 1); // filtered out server-side
      await adjust(product.id, 2);
      const event = await subscription.next();
      expect(event.errors).toBeUndefined();
      expect(event.data.stockChanged).toMatchObject({
        inStock: true,
        product: {
          id: product.id,
          name: product.name,
          price: { formatted: `$${(product.priceAmount / 100).toFixed(2)}` },
          category: { name: demo.categories.find((c) => c.id === product.categoryId)!.name },
        },
      });
      const { data } = await supergraph.query(`query($id: ID) { product(id: $id) { availableQuantity } }`, { id: product.id });
      expect(event.data.stockChanged.availableQuantity).toBe(data!.product.availableQuantity);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(subscription.results).toHaveLength(1);
    } finally {
      await client.dispose();
    }
  });

  it('delivers order status changes to the owner, with users and catalog fields', async () => {
    const orders = await supergraph.query(`{ me { orders { nodes { id status } } } }`, {}, customerToken);
    const paid = orders.data!.me.orders.nodes.find((o: { status: string }) => o.status === 'PAID');
    expect(paid).toBeDefined();
    const client = wsClient(supergraph.gatewayUrl, customerToken);
    try {
      const subscription = subscribe(client, ORDER, { id: paid.id });
      await eventually(() => supergraph.gateway.subscriptions.federated.stats.upstreams >= 1, 'the subscription state');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const shipped = await supergraph.query(`mutation($id: ID!) { updateOrderStatus(id: $id, status: SHIPPED) { status } }`, { id: paid.id }, adminToken);
      expect(shipped.errors).toBeUndefined();
      const event = await subscription.next();
      expect(event.errors).toBeUndefined();
      expect(event.data.orderStatusChanged).toMatchObject({ id: paid.id, status: 'SHIPPED', user: { email: 'customer@example.com' } });
      expect(event.data.orderStatusChanged.items[0].product.name).toEqual(expect.any(String));
      expect(event.data.orderStatusChanged.statusHistory.map((h: { status: string }) => h.status)).toEqual(expect.arrayContaining(['PENDING', 'PAID', 'SHIPPED']));
      // A later event reads the order as it is then, not as the first event left it.
      const delivered = await supergraph.query(`mutation($id: ID!) { updateOrderStatus(id: $id, status: DELIVERED) { status } }`, { id: paid.id }, adminToken);
      expect(delivered.errors).toBeUndefined();
      const second = await subscription.next();
      expect(second.data.orderStatusChanged.status).toBe('DELIVERED');
      expect(second.data.orderStatusChanged.statusHistory.map((h: { status: string }) => h.status)).toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED']);
    } finally {
      await client.dispose();
    }
  });

  it('refuses order subscriptions to anyone but the owner or an ADMIN, leaking nothing', async () => {
    const orders = await supergraph.query(`{ me { orders { nodes { id } } } }`, {}, customerToken);
    const orderId = orders.data!.me.orders.nodes[0].id;
    const stranger = await supergraph.tokenFor({ id: '2c8f7f5e-4c7e-4d5a-9d0f-6a1b2c3d4e5f', role: Role.CUSTOMER });
    for (const [token, code] of [
      [stranger, 'FORBIDDEN'],
      [undefined, 'UNAUTHENTICATED'],
      ['not-a-token', 'UNAUTHENTICATED'],
    ] as const) {
      const client = wsClient(supergraph.gatewayUrl, token);
      try {
        const subscription = subscribe(client, ORDER, { id: orderId });
        // Refused by the gateway (bad token): an `error` message; refused by orders: an errors-only result, then complete.
        const ended = (await subscription.ended) as { extensions?: { code?: string } }[] | null;
        const errors = ended ?? subscription.results[0]?.errors;
        expect(errors?.[0]?.extensions?.code).toBe(code);
        expect(subscription.results.every((result) => result.data == null)).toBe(true);
      } finally {
        await client.dispose();
      }
    }
    const admin = wsClient(supergraph.gatewayUrl, adminToken);
    try {
      const subscription = subscribe(admin, ORDER, { id: orderId });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await Promise.race([subscription.ended, Promise.resolve('open')])).toBe('open');
    } finally {
      await admin.dispose();
    }
  });

  it('shares one upstream between identical subscriptions and frees everything on disconnect', async () => {
    const product = inStock[2];
    const clients = [wsClient(supergraph.gatewayUrl), wsClient(supergraph.gatewayUrl), wsClient(supergraph.gatewayUrl)];
    const subscriptions = clients.map((client) => subscribe(client, STOCK, { ids: [product.id] }));
    const stats = () => supergraph.gateway.subscriptions.federated.stats;
    await eventually(() => stats().subscribers === 3, 'the subscription state');
    expect(stats()).toEqual({ subscribers: 3, groups: 1, upstreams: 1 });
    await adjust(product.id, 1);
    for (const subscription of subscriptions) expect((await subscription.next()).data.stockChanged.product.id).toBe(product.id);
    await Promise.all(clients.map((client) => client.dispose()));
    await eventually(() => stats().subscribers === 0, 'the subscription state');
    expect(stats()).toEqual({ subscribers: 0, groups: 0, upstreams: 0 });
  });

  it('keeps a slow subscriber to a bounded queue, dropping the oldest results', async () => {
    const product = inStock[3];
    const { federated } = supergraph.gateway.subscriptions;
    const { parse } = await import('graphql');
    const stream = federated.subscribe({ document: parse(STOCK), variables: { ids: [product.id] }, viewer: null });
    // Nothing reads the stream while five events arrive; the queue holds three.
    const first = stream.next();
    await eventually(() => federated.stats.upstreams >= 1, 'the subscription state');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 6; i += 1) await adjust(product.id, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const received = [(await first).value];
    for (let i = 0; i < 3; i += 1) received.push((await stream.next()).value);
    const quantities = received.map((r) => r!.data!.stockChanged.availableQuantity as number);
    // The first result was taken at once; of the five after it only the last three were kept.
    expect(quantities[1]).toBe(quantities[0] + 3);
    expect(quantities.slice(1)).toEqual([quantities[0] + 3, quantities[0] + 4, quantities[0] + 5]);
    await stream.return!();
  });

  it('completes open subscriptions when the gateway shuts down gracefully', async () => {
    const extra = await startTestSupergraph();
    const client = wsClient(extra.gatewayUrl);
    const subscription = subscribe(client, STOCK, {});
    await eventually(() => extra.gateway.subscriptions.federated.stats.upstreams === 1, 'the subscription state');
    await extra.stop();
    await expect(subscription.ended).resolves.toBeNull();
    await client.dispose();
  }, 60_000);

  it('answers queries over the same socket, so one WebSocket link can serve everything', async () => {
    const client = wsClient(supergraph.gatewayUrl, adminToken);
    try {
      const result = await subscribe(client, `{ warehouses { code } }`).next();
      expect(result.data.warehouses.map((w: { code: string }) => w.code).sort()).toEqual(DEMO_WAREHOUSES.map((w) => w.code).sort());
    } finally {
      await client.dispose();
    }
  });

  it('applies API keys and the safelist on the socket as on HTTP', async () => {
    const manifest = JSON.parse(readFileSync(path.join(schemaDir(), 'persisted-query-manifest.json'), 'utf8')) as { operations: { id: string; name: string }[] };
    const listed = manifest.operations.find((o) => o.name === 'ProductAvailability')!;
    const connect = (apiKey: string) =>
      createClient({ url: supergraph.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { 'x-api-key': apiKey }, retryAttempts: 0, lazy: true });

    const unknown = connect('not-a-key');
    try {
      const errors = (await subscribe(unknown, STOCK, {}).ended) as { extensions?: { code?: string } }[];
      expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await unknown.dispose();
    }

    const integrator = connect('demo-integrator-key');
    try {
      const unlisted = (await subscribe(integrator, STOCK, {}).ended) as { extensions?: { code?: string } }[];
      expect(unlisted?.[0]?.extensions?.code).toBe('QUERY_NOT_IN_SAFELIST');

      const product = inStock[4];
      const received: { data?: any }[] = [];
      const dispose = integrator.subscribe(
        { query: '', variables: { productIds: [product.id] }, extensions: { persistedQuery: { version: 1, sha256Hash: listed.id } } },
        { next: (result) => void received.push(result), error: () => undefined, complete: () => undefined },
      );
      await eventually(() => supergraph.gateway.subscriptions.federated.stats.upstreams >= 1, 'the subscription state');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await adjust(product.id, 1);
      await eventually(() => received.length === 1, 'the subscription state');
      expect(received[0].data.stockChanged.product.id).toBe(product.id);
      dispose();
    } finally {
      await integrator.dispose();
    }
  });
});

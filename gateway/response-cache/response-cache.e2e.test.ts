import { demoCatalog } from '../../lib/demo-data';
import { demoAdmin, demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';
import { scrape } from '../../test/prometheus-text';
import { eventually } from '../../test/wait';
import { postGraphQLWithHeaders, type HttpGraphQLAnswer } from '../../test/graphql-http';

/**
 * The response cache through the whole supergraph (one process, the event
 * bus in process): public catalog answers are kept and dropped by the change
 * events of catalog and inventory, private ones are never kept or shared.
 * Replicas sharing Redis: response-cache-replicas.e2e.test.ts.
 */
const demo = demoCatalog();
const PRODUCT_PAGE = `query ProductPage($slug: String!) { product(slug: $slug) { id name price { amount formatted } inStock availableQuantity category { id name } } }`;
const LIST = `query List($first: Int) { products(first: $first, sort: NEWEST) { totalCount nodes { id name price { amount } } } }`;
const UPDATE_PRICE = `mutation($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { id price { amount } } }`;
const ADJUST = `mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand } }`;

type Answer = HttpGraphQLAnswer;

describe('response cache', () => {
  let supergraph: TestSupergraph;
  let adminToken: string;

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
    adminToken = await supergraph.tokenFor(demoAdmin);
  }, 60_000);
  afterAll(() => supergraph?.stop());

  const post = (query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer> => postGraphQLWithHeaders(supergraph.gatewayUrl, query, variables, token);


  /** The gateway's invalidation count (all topics). */
  async function invalidations(): Promise<number> {
    return (await scrape(`${supergraph.gateway.url}/metrics`)).sum('graphql_response_cache_invalidations_total');
  }

  /** Runs a change, then waits until the gateway has handled at least one more event. */
  async function afterEvent(change: () => Promise<Answer>): Promise<void> {
    const before = await invalidations();
    const changed = await change();
    expect(changed.body.errors).toBeUndefined();
    await eventually(async () => (await invalidations()) > before, 'the change event to reach the gateway', 10_000);
  }

  it('answers a repeated product page from the cache, the same as the subgraphs did', async () => {
    const product = demo.products[3];
    const first = await post(PRODUCT_PAGE, { slug: product.slug });
    const second = await post(PRODUCT_PAGE, { slug: product.slug });
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('age')).toMatch(/^\d+$/);
    expect(second.body).toEqual(first.body);
    expect(first.body.data.product).toMatchObject({ id: product.id, name: product.name, price: { amount: product.priceAmount } });
    // The ids the cache adds to tag entries never reach the client.
    expect(JSON.stringify(second.body)).not.toContain('_cacheEntity');
    expect(first.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
  });

  it('drops a cached product page when its price changes through the admin API', async () => {
    const product = demo.products[5];
    await post(PRODUCT_PAGE, { slug: product.slug });
    expect((await post(PRODUCT_PAGE, { slug: product.slug })).headers.get('x-cache')).toBe('HIT');
    const newAmount = product.priceAmount + 111;
    await afterEvent(() => post(UPDATE_PRICE, { id: product.id, amount: newAmount }, adminToken));
    const after = await post(PRODUCT_PAGE, { slug: product.slug });
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.body.data.product.price.amount).toBe(newAmount);
  });

  it('drops cached stock when stock is adjusted, and lists when a product changes', async () => {
    const stock = demo.stock.find((s) => s.onHand > 3)!;
    const product = demo.products.find((p) => p.id === stock.productId)!;
    const before = (await post(PRODUCT_PAGE, { slug: product.slug })).body.data.product.availableQuantity as number;
    await afterEvent(() => post(ADJUST, { productId: stock.productId, warehouseId: stock.warehouseId, delta: -2 }, adminToken));
    expect((await post(PRODUCT_PAGE, { slug: product.slug })).body.data.product.availableQuantity).toBe(before - 2);

    // A list that holds the product, and one that may come to hold it: both are dropped by its change.
    const listed = await post(LIST, { first: 100 });
    expect((await post(LIST, { first: 100 })).headers.get('x-cache')).toBe('HIT');
    const entry = (listed.body.data.products.nodes as { id: string; price: { amount: number } }[])[7];
    await afterEvent(() => post(UPDATE_PRICE, { id: entry.id, amount: entry.price.amount + 7 }, adminToken));
    const relisted = await post(LIST, { first: 100 });
    expect(relisted.headers.get('x-cache')).toBe('MISS');
    expect(relisted.body.data.products.nodes.find((node: { id: string }) => node.id === entry.id).price.amount).toBe(entry.price.amount + 7);
  });

  it('executes concurrent misses of the same answer once', async () => {
    const product = demo.products[12];
    const lookups = async () => {
      const metrics = await scrape(`${supergraph.gateway.url}/metrics`);
      const count = (result: string) => metrics.sum('graphql_response_cache_lookups_total', { result });
      return { miss: count('miss'), coalesced: count('coalesced'), hit: count('hit') };
    };
    const before = await lookups();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(PRODUCT_PAGE, { slug: product.slug })));
    const after = await lookups();
    for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
    expect(answers[0].body.data.product.id).toBe(product.id);
    // Each of the 10 either executed, waited for the one executing, or came late enough to find it kept.
    expect(after.miss - before.miss + (after.coalesced - before.coalesced) + (after.hit - before.hit)).toBe(10);
    expect(after.miss - before.miss).toBe(1);
  });

  it('keeps other products cached when one changes', async () => {
    const [changed, untouched] = [demo.products[10], demo.products[11]];
    await post(PRODUCT_PAGE, { slug: untouched.slug });
    await afterEvent(() => post(UPDATE_PRICE, { id: changed.id, amount: changed.priceAmount + 1 }, adminToken));
    expect((await post(PRODUCT_PAGE, { slug: untouched.slug })).headers.get('x-cache')).toBe('HIT');
  });

  it('finds a product created under a slug that was looked up and not found', async () => {
    const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id slug } }`;
    const missing = await post(PRODUCT_PAGE, { slug: 'cache-test-lamp' });
    expect(missing.body.data.product).toBeNull();
    expect((await post(PRODUCT_PAGE, { slug: 'cache-test-lamp' })).headers.get('x-cache')).toBe('HIT');
    let created: Answer | undefined;
    await afterEvent(async () => {
      created = await post(
        CREATE,
        { input: { sku: 'CACHE-LAMP-1', name: 'Cache Test Lamp', description: 'A lamp', priceAmount: 2500, categoryId: demo.categories[0].id } },
        adminToken,
      );
      return created;
    });
    expect(created!.body.data.createProduct.slug).toBe('cache-test-lamp');
    expect((await post(PRODUCT_PAGE, { slug: 'cache-test-lamp' })).body.data.product).toMatchObject({ id: created!.body.data.createProduct.id });
  });

  it('never keeps or shares what is about a viewer', async () => {
    const ME = `{ me { id email cart { id itemCount } } }`;
    const [customer, admin] = [await supergraph.tokenFor(demoCustomer), adminToken];
    for (let round = 0; round < 2; round++) {
      const asCustomer = await post(ME, {}, customer);
      const asAdmin = await post(ME, {}, admin);
      const anonymous = await post(ME);
      expect(asCustomer.body.data.me.id).toBe(demoCustomer.id);
      expect(asAdmin.body.data.me.id).toBe(demoAdmin.id);
      expect(anonymous.body.data.me).toBeNull();
      for (const answer of [asCustomer, asAdmin, anonymous]) {
        expect(answer.headers.get('x-cache')).toBe('BYPASS');
        expect(answer.headers.get('cache-control')).toBe('private, no-store');
      }
    }
    // Public data beside private data makes the whole response private.
    const MIXED = `{ products(first: 2) { nodes { id } } me { email } }`;
    await post(MIXED, {}, customer);
    const other = await post(MIXED, {}, admin);
    expect(other.headers.get('x-cache')).toBe('BYPASS');
    expect(other.body.data.me.email).not.toBe((await post(ME, {}, customer)).body.data.me.email);
  });

  it('never keeps mutations, admin-only data or error responses', async () => {
    const STOCK_LEVELS = `query($slug: String!) { product(slug: $slug) { stockLevels { onHand } } }`;
    const slug = demo.products[0].slug;
    expect((await post(STOCK_LEVELS, { slug }, adminToken)).headers.get('x-cache')).toBe('BYPASS');
    const refused = await post(STOCK_LEVELS, { slug });
    expect(refused.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const BAD_PAGE = `query($first: Int) { products(first: $first) { nodes { id } } }`;
    for (let round = 0; round < 2; round++) {
      const answer = await post(BAD_PAGE, { first: 1000 });
      expect(answer.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.headers.get('x-cache')).toBe('MISS');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers a GET with an ETag and a 304 while it is unchanged', async () => {
    const product = demo.products[2];
    const url = `${supergraph.gatewayUrl}?query=${encodeURIComponent(PRODUCT_PAGE)}&variables=${encodeURIComponent(JSON.stringify({ slug: product.slug }))}`;
    const headers = { 'apollo-require-preflight': 'true' };
    const first = await fetch(url, { headers });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const unchanged = await fetch(url, { headers: { ...headers, 'if-none-match': etag! } });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    await afterEvent(() => post(UPDATE_PRICE, { id: product.id, amount: product.priceAmount + 3 }, adminToken));
    const changed = await fetch(url, { headers: { ...headers, 'if-none-match': etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});

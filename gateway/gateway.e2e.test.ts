import { signAccessToken } from '../lib/access-token';
import { demoCatalog, DEMO_USERS, DEMO_WAREHOUSES } from '../lib/demo-data';
import { createLogger } from '../lib/logger';
import { TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';
import { demoAdmin, demoCustomer, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { readGatewayConfig } from './gateway.config';
import { startGateway } from './gateway.server';

const demo = demoCatalog();

describe('the supergraph through the gateway', () => {
  let supergraph: TestSupergraph;

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 60_000);
  afterAll(() => supergraph?.stop());

  it('answers a product page with fields from catalog and inventory', async () => {
    const result = await supergraph.query(`{
      products(first: 5) {
        totalCount
        nodes { id name price { amount formatted } category { name } inStock availableQuantity }
      }
    }`);
    expect(result.errors).toBeUndefined();
    const page = result.data!.products;
    expect(page.totalCount).toBe(demo.products.length);
    expect(page.nodes).toHaveLength(5);
    const newest = [...demo.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, 5);
    expect(page.nodes.map((n: { id: string }) => n.id)).toEqual(newest.map((p) => p.id));
    for (const node of page.nodes) {
      const product = demo.products.find((p) => p.id === node.id)!;
      const available = demo.stock.filter((s) => s.productId === product.id).reduce((sum, s) => sum + s.onHand, 0);
      expect(node).toMatchObject({
        name: product.name,
        price: { amount: product.priceAmount, formatted: `$${(product.priceAmount / 100).toFixed(2)}` },
        category: { name: demo.categories.find((c) => c.id === product.categoryId)!.name },
        inStock: available > 0,
        availableQuantity: available,
      });
    }
  });

  it('reports sold-out products as not in stock', async () => {
    const soldOut = demo.products.find((p) => demo.stock.filter((s) => s.productId === p.id).every((s) => s.onHand === 0))!;
    const result = await supergraph.query(`query($id: ID) { product(id: $id) { slug inStock availableQuantity } }`, { id: soldOut.id });
    expect(result.data).toEqual({ product: { slug: soldOut.slug, inStock: false, availableQuantity: 0 } });
    const bySlug = await supergraph.query(`query($slug: String) { product(slug: $slug) { id } }`, { slug: soldOut.slug });
    expect(bySlug.data).toEqual({ product: { id: soldOut.id } });
  });

  it('serves the category tree with products', async () => {
    const result = await supergraph.query(`{ categories { id slug parent { id } children { id } products(first: 2) { totalCount nodes { category { id } } } } }`);
    expect(result.errors).toBeUndefined();
    const categories = result.data!.categories as { id: string; parent: { id: string } | null; children: { id: string }[]; products: { totalCount: number } }[];
    expect(categories).toHaveLength(demo.categories.length);
    for (const category of categories) {
      const expectedChildren = demo.categories.filter((c) => c.parentId === category.id).map((c) => c.id).sort();
      expect(category.children.map((c) => c.id).sort()).toEqual(expectedChildren);
      expect(category.parent?.id ?? null).toBe(demo.categories.find((c) => c.id === category.id)!.parentId);
      const subtree = new Set([category.id, ...expectedChildren]);
      expect(category.products.totalCount).toBe(demo.products.filter((p) => subtree.has(p.categoryId)).length);
    }
  });

  it('answers unknown ids with null and bad page sizes with BAD_USER_INPUT', async () => {
    const unknown = await supergraph.query(`{ product(id: "7b0e2b8a-2f59-4d7c-9a52-0e8f6f1f2a11") { id name inStock } }`);
    expect(unknown).toMatchObject({ data: { product: null } });
    expect(unknown.errors).toBeUndefined();
    const tooMany = await supergraph.query(`{ products(first: 101) { totalCount } }`);
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('knows the viewer: me is null anonymously and the user with a token', async () => {
    const anonymous = await supergraph.query(`{ me { id } }`);
    expect(anonymous.data).toEqual({ me: null });
    const customer = DEMO_USERS.find((u) => u.id === demoCustomer.id)!;
    const signedIn = await supergraph.query(`{ me { id email role } }`, {}, demoCustomer);
    expect(signedIn.data).toEqual({ me: { id: customer.id, email: customer.email, role: 'CUSTOMER' } });
  });

  it('refuses invalid, forged and expired tokens with UNAUTHENTICATED', async () => {
    const forged = await signAccessToken(demoAdmin, 'not-the-gateway-secret-but-long-enough');
    const expired = await signAccessToken(demoAdmin, TEST_JWT_SECRET, -10);
    for (const token of ['garbage', forged, expired]) {
      const result = await supergraph.query(`{ me { id } }`, {}, token);
      expect(result.status).toBe(401);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('lets only an ADMIN list warehouses and stock levels', async () => {
    const anonymous = await supergraph.query(`{ warehouses { code } }`);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const customer = await supergraph.query(`{ warehouses { code } }`, {}, demoCustomer);
    expect(customer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const admin = await supergraph.query(`{ warehouses { code name } }`, {}, demoAdmin);
    expect(admin.errors).toBeUndefined();
    expect(admin.data!.warehouses.map((w: { code: string }) => w.code).sort()).toEqual(DEMO_WAREHOUSES.map((w) => w.code).sort());
    const product = demo.products[0];
    const levels = await supergraph.query(`query($id: ID) { product(id: $id) { stockLevels { warehouse { code } onHand reserved available } } }`, { id: product.id }, demoAdmin);
    expect(levels.errors).toBeUndefined();
    expect(levels.data!.product.stockLevels).toHaveLength(demo.stock.filter((s) => s.productId === product.id).length);
    const levelsAsCustomer = await supergraph.query(`query($id: ID) { product(id: $id) { stockLevels { onHand } } }`, { id: product.id }, demoCustomer);
    expect(levelsAsCustomer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('serves Apollo Sandbox, health and readiness outside production', async () => {
    const base = supergraph.gateway.url;
    const landing = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(200);
    expect(await landing.text()).toMatch(/sandbox/i);
    // The root page offers Sandbox (on /graphql) and the offline explorer.
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(200);
    const rootPage = await root.text();
    expect(rootPage).toContain('href="/graphql"');
    expect(rootPage).toContain('href="/explorer"');
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { subgraphs: unknown }).subgraphs).toEqual({ users: 'ok', catalog: 'ok', inventory: 'ok', cart: 'ok', orders: 'ok' });
  });

  it('allows introspection in development and prevents CSRF', async () => {
    const introspection = await supergraph.query(`{ __schema { queryType { name } } }`);
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const simpleRequest = await fetch(`${supergraph.gateway.url}/graphql?query=${encodeURIComponent('{ categories { id } }')}`);
    expect(simpleRequest.status).toBe(400);
    expect(await simpleRequest.text()).toMatch(/CSRF/i);
  });

  it('refuses a subgraph called directly, without the internal credential', async () => {
    for (const subgraph of Object.values(supergraph.subgraphs)) {
      const response = await fetch(`${subgraph.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-viewer': JSON.stringify(demoAdmin) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
    }
  });

  it('in production hides Sandbox and introspection unless enabled', async () => {
    const subgraphUrls = Object.fromEntries(Object.entries(supergraph.subgraphs).map(([name, s]) => [name, `${s.url}/graphql`]));
    const config = { ...readGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, INTERNAL_SECRET: TEST_INTERNAL_SECRET }), host: '127.0.0.1', port: 0, subgraphUrls };
    const production = await startGateway(config as typeof config & { subgraphUrls: never }, createLogger('gateway', 'silent'));
    try {
      const introspection = await fetch(`${production.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      });
      expect(((await introspection.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const landing = await fetch(`${production.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await landing.text()).not.toMatch(/sandbox/i);
    } finally {
      await production.stop();
    }
  });
});

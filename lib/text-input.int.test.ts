import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import { inventorySubgraph } from '../subgraphs/inventory/inventory.server';
import { User } from '../subgraphs/users/account/user.entity';
import { usersSubgraph } from '../subgraphs/users/users.server';
import { countStatements } from '../test/sql-counter';
import { startTestSubgraph, TEST_INTERNAL_SECRET, type GraphQLResult, type TestSubgraph } from '../test/subgraph-harness';
import { subscribe } from '../test/ws-client';
import { INTERNAL_SECRET_HEADER } from './identity';

const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken } }`;

/** What a refusal at the boundary looks like: a 400 with one BAD_USER_INPUT naming the place, and nothing of the database. */
function expectRefused(result: GraphQLResult, place: Record<string, string>, problem = 'a NUL character (U+0000)') {
  expect(result.status).toBe(400);
  expect(result.data).toBeUndefined();
  expect(result.errors).toHaveLength(1);
  expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', ...place });
  expect(result.errors![0].message).toContain(problem);
  expect(result.errors![0].message).toContain(Object.values(place)[0]);
  expect(JSON.stringify(result)).not.toMatch(/select |insert |invalid byte sequence|DriverException|0x00/i);
}

describe('text that PostgreSQL cannot store, at the subgraph boundary', () => {
  let catalog: TestSubgraph;
  let users: TestSubgraph;
  let inventory: TestSubgraph;
  let catalogStatements: ReturnType<typeof countStatements>;

  beforeAll(async () => {
    [catalog, users, inventory] = await Promise.all([startTestSubgraph(catalogSubgraph), startTestSubgraph(usersSubgraph), startTestSubgraph(inventorySubgraph)]);
    catalogStatements = countStatements(catalog.orm);
  }, 30_000);
  afterAll(async () => {
    catalogStatements?.detach();
    await Promise.all([catalog, users, inventory].map((subgraph) => subgraph?.stop()));
  });
  beforeEach(() => catalogStatements.reset());

  it('refuses a NUL in catalog search and slug variables with a 400, before any SQL', async () => {
    expectRefused(await catalog.query(`query($f: ProductFilter) { products(filter: $f) { totalCount } }`, { f: { search: `pan${NUL}` } }), { variablePath: '$f.search' });
    expectRefused(await catalog.query(`query($slug: String) { product(slug: $slug) { id } }`, { slug: `${NUL}` }), { variablePath: '$slug' });
    expect(catalogStatements.count).toBe(0);
  });

  it('refuses a NUL in inline string literals, inside input objects too', async () => {
    expectRefused(await catalog.query(`{ products(filter: { search: "pan\\u0000" }) { totalCount } }`), { argumentName: 'filter.search' });
    expectRefused(await catalog.query(`{ product(slug: "a\\u{0}b") { id } }`), { argumentName: 'slug' });
    expect(catalogStatements.count).toBe(0);
  });

  it('refuses unpaired surrogates in variables; in literals they are already a syntax error', async () => {
    expectRefused(await catalog.query(`query($slug: String) { product(slug: $slug) { id } }`, { slug: `a${LONE_SURROGATE}` }), { variablePath: '$slug' }, 'an unpaired UTF-16 surrogate');
    expectRefused(await catalog.query(`query($f: ProductFilter) { products(filter: $f) { totalCount } }`, { f: { search: '\udc00x' } }), { variablePath: '$f.search' }, 'an unpaired UTF-16 surrogate');
    const literal = await catalog.query(`{ product(slug: "\\ud800") { id } }`);
    expect(literal.status).toBe(400);
    expect(literal.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(catalogStatements.count).toBe(0);
  });

  it('still answers valid text, astral characters included', async () => {
    const result = await catalog.query(`query($f: ProductFilter) { products(filter: $f) { totalCount } a: product(slug: "caf\\u00e9-\\ud83d\\ude00") { id } }`, { f: { search: 'pan 😀' } });
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ products: { totalCount: 0 }, a: null });
  });

  it('refuses a NUL or an unpaired surrogate in a registration name, and creates no account', async () => {
    const input = (name: string, email: string) => ({ email, password: 'long-enough-password', name });
    expectRefused(await users.query(REGISTER, { input: input(`Eve${NUL}`, 'nul-variable@example.com') }), { variablePath: '$input.name' });
    expectRefused(await users.query(REGISTER, { input: input(`Eve${LONE_SURROGATE}`, 'surrogate@example.com') }), { variablePath: '$input.name' }, 'an unpaired UTF-16 surrogate');
    expectRefused(
      await users.query(`mutation { register(input: { email: "nul-literal@example.com", password: "long-enough-password", name: "Eve\\u0000" }) { accessToken } }`),
      { argumentName: 'input.name' },
    );
    expect(await users.orm.em.fork().count(User, { email: { $like: '%@example.com' } })).toBe(0);

    const valid = await users.query(REGISTER, { input: input('Eve', 'eve@example.com') });
    expect(valid.errors).toBeUndefined();
  });

  it('refuses invalid text of a subscription over graphql-ws too', async () => {
    const client = createClient({
      url: inventory.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { [INTERNAL_SECRET_HEADER]: TEST_INTERNAL_SECRET },
      retryAttempts: 0,
      lazy: true,
    });
    try {
      const literal = await subscribe(client, `subscription { stockChanged(productIds: ["\\u0000"]) { productId } }`).ended;
      expect(literal).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argumentName: 'productIds[0]' } })]);
      const variable = await subscribe(client, `subscription($ids: [ID!]) { stockChanged(productIds: $ids) { productId } }`, { ids: [LONE_SURROGATE] }).ended;
      expect(variable).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', variablePath: '$ids[0]' } })]);
      expect((variable![0] as { message: string }).message).toContain('an unpaired UTF-16 surrogate');
    } finally {
      await client.dispose();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { DEMO_USERS } from './demo-data';
import { Role, type Viewer } from './identity';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import { ordersSubgraph } from '../subgraphs/orders/orders.server';
import { countStatements } from '../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../test/subgraph-harness';

const PRODUCTS = `query($first: Int, $after: String, $sort: ProductSort, $filter: ProductFilter) {
  products(first: $first, after: $after, sort: $sort, filter: $filter) { pageInfo { endCursor } nodes { id } }
}`;
const USER_ORDERS = `query($representations: [_Any!]!, $after: String) {
  _entities(representations: $representations) { ... on User { orders(first: 1, after: $after) { pageInfo { endCursor } nodes { id } } } }
}`;

const cursor = (...values: unknown[]) => Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
const ID = '0b6e5e0e-6f0c-4d2a-9a43-1b2c3d4e5f60';
const customerAccount = DEMO_USERS.find((user) => user.role === 'CUSTOMER')!;
const customer: Viewer = { id: customerAccount.id, role: Role.CUSTOMER };

/** The one answer to any cursor the list did not hand out: BAD_USER_INPUT on `after`, nothing of SQL. */
function expectNotACursor(result: GraphQLResult, label: string) {
  expect({ label, errors: result.errors?.map(({ message, extensions }) => ({ message, code: extensions?.code, argumentName: extensions?.argumentName })) }).toEqual({
    label,
    errors: [{ message: '"after" is not a cursor of this list and ordering', code: 'BAD_USER_INPUT', argumentName: 'after' }],
  });
  expect(JSON.stringify(result)).not.toMatch(/select |invalid input syntax|out of range|DriverException/i);
}

describe('cursors with values of the wrong type', () => {
  let catalog: TestSubgraph;
  let orders: TestSubgraph;

  beforeAll(async () => {
    [catalog, orders] = await Promise.all([startTestSubgraph(catalogSubgraph, { seed: true }), startTestSubgraph(ordersSubgraph, { seed: true })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([catalog, orders].map((subgraph) => subgraph?.stop()));
  });

  it('are refused by catalog products before any SQL runs', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['string where the price is a number', { sort: 'PRICE_ASC', after: cursor('PRICE_ASC', '1299', ID) }],
      ['object where the price is a number', { sort: 'PRICE_ASC', after: cursor('PRICE_ASC', { amount: 1299 }, ID) }],
      ['price beyond a 4-byte integer', { sort: 'PRICE_DESC', after: cursor('PRICE_DESC', 2 ** 40, ID) }],
      ['fraction where the price is an integer', { sort: 'PRICE_ASC', after: cursor('PRICE_ASC', 12.5, ID) }],
      ['too few values', { sort: 'PRICE_ASC', after: cursor('PRICE_ASC', 1299) }],
      ['too many values', { sort: 'PRICE_ASC', after: cursor('PRICE_ASC', 1299, ID, ID) }],
      ['id that is not a UUID', { sort: 'PRICE_ASC', after: cursor('PRICE_ASC', 1299, 'not-a-uuid') }],
      ['number where the id is', { sort: 'NAME_ASC', after: cursor('NAME_ASC', 'Pan', 7) }],
      ['invalid date', { sort: 'NEWEST', after: cursor('NEWEST', 'yesterday', ID) }],
      ['impossible date', { sort: 'NEWEST', after: cursor('NEWEST', '2026-02-30T00:00:00.000Z', ID) }],
      ['number where the date is', { after: cursor('NEWEST', Date.now(), ID) }],
      ['NUL in a name', { sort: 'NAME_ASC', after: cursor('NAME_ASC', 'Pan\u0000', ID) }],
      ['rank beyond a real', { sort: 'RELEVANCE', filter: { search: 'skillet' }, after: cursor('RELEVANCE', 1e39, ID) }],
      ['JSON that is not a list', { after: Buffer.from('{"NEWEST":1}').toString('base64url') }],
    ];
    const statements = countStatements(catalog.orm);
    try {
      for (const [label, variables] of cases) {
        const result = await catalog.query(PRODUCTS, { first: 2, ...variables });
        expectNotACursor(result, label);
        expect(result.data).toBeNull();
      }
      expect(statements.count).toBe(0);
    } finally {
      statements.detach();
    }
  });

  it('still lets catalog page on with the cursors it handed out, in every ordering', async () => {
    for (const [sort, filter] of [['NEWEST'], ['PRICE_ASC'], ['PRICE_DESC'], ['NAME_ASC'], ['RELEVANCE', { search: 'skillet' }]] as const) {
      const first = await catalog.query(PRODUCTS, { first: 2, sort, filter });
      const next = await catalog.query(PRODUCTS, { first: 2, sort, filter, after: first.data!.products.pageInfo.endCursor });
      expect({ sort, errors: next.errors }).toEqual({ sort, errors: undefined });
      expect(next.data!.products.nodes[0].id).not.toBe(first.data!.products.nodes[1].id);
    }
  });

  it('are refused by a user\'s orders before any SQL runs', async () => {
    const cases: [string, string][] = [
      ['number where the date is', cursor('ORDERS_NEWEST', 1767323045678, ID)],
      ['object where the date is', cursor('ORDERS_NEWEST', { at: 'now' }, ID)],
      ['invalid date', cursor('ORDERS_NEWEST', 'yesterday', ID)],
      ['id that is not a UUID', cursor('ORDERS_NEWEST', '2026-01-02T03:04:05.678Z', 'x')],
      ['null id', cursor('ORDERS_NEWEST', '2026-01-02T03:04:05.678Z', null)],
      ['too few values', cursor('ORDERS_NEWEST', '2026-01-02T03:04:05.678Z')],
      ["catalog's cursor", cursor('NEWEST', '2026-01-02T03:04:05.678Z', ID)],
    ];
    const statements = countStatements(orders.orm);
    try {
      for (const [label, after] of cases) {
        expectNotACursor(await orders.query(USER_ORDERS, { representations: [{ __typename: 'User', id: customer.id }], after }, customer), label);
      }
      expect(statements.count).toBe(0);
    } finally {
      statements.detach();
    }
  });

  it("still lets a user's orders page on with the cursors they handed out", async () => {
    const representations = [{ __typename: 'User', id: customer.id }];
    const first = await orders.query(USER_ORDERS, { representations }, customer);
    const endCursor = first.data!._entities[0].orders.pageInfo.endCursor;
    const next = await orders.query(USER_ORDERS, { representations, after: endCursor }, customer);
    expect(next.errors).toBeUndefined();
    expect(next.data!._entities[0].orders.nodes).toHaveLength(1);
    expect(next.data!._entities[0].orders.nodes[0].id).not.toBe(first.data!._entities[0].orders.nodes[0].id);
    // An unknown user's empty list takes the same cursor shape.
    const stranger = { id: randomUUID(), role: Role.CUSTOMER };
    const empty = await orders.query(USER_ORDERS, { representations: [{ __typename: 'User', id: stranger.id }], after: endCursor }, stranger);
    expect(empty.errors).toBeUndefined();
  });
});

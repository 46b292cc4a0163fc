/**
 * Abusive HTTP requests and the refusal the gateway's admission pipeline
 * (gateway/pipeline/, gateway/plugins/) must answer each with, under its
 * default limits: the cases `npm run bench:refusals` sends and times.
 *
 * Each case is one POST to /graphql: `body` is sent as JSON, `raw` as it
 * stands. Every case carries `content-type: application/json` (the
 * gateway's CSRF prevention refuses a POST without a non-simple content
 * type), the invalid-JSON one included. `expectedLimit` is the
 * `extensions.limit` of a QUERY_TOO_COMPLEX refusal, where the case aims at
 * one limit in particular.
 */
import { ErrorCode } from '../lib/errors';
import type { AbusiveCase } from './hostile-shapes';
export type { AbusiveCase } from './hostile-shapes';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

const times = <T>(count: number, item: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => item(index));

/** `{ categories { children { children … { id } } } }`: `levels` fields deep, the id below them. */
function nestedCategories(levels: number): string {
  const open = ['categories', ...times(levels - 1, () => 'children')].join(' { ');
  return `{ ${open} { id }${' }'.repeat(levels - 1)} }`;
}

/** `{ a0: __typename a1: __typename … }`, or with `field` instead of __typename. */
function aliases(count: number, field = '__typename', separator = ': '): string {
  return `{ ${times(count, (index) => `a${index}${separator}${field}`).join(' ')} }`;
}

/**
 * The 15,625-node query: `products(first: 5)`, and under each product
 * `category { products(first: 5) }`, six pages of 5 in all (the top one and
 * five nested), so the bottom level asks for 5^6 = 15,625 products, each
 * with `id name`. Depth 18; its static cost is far beyond
 * DEMAND_CONTROL_MAX_COST. Field names as in schema/api-contract.graphql
 * (`Query.products`, `ProductConnection.nodes`, `Product.category`,
 * `Category.products`).
 */
export const NESTED_PAGES = 6;
export const ABUSIVE_NESTED_QUERY = (() => {
  let selection = 'id name';
  for (let level = 0; level < NESTED_PAGES; level += 1) {
    selection = level === 0 ? `products(first: 5) { nodes { ${selection} } }` : `products(first: 5) { nodes { category { ${selection} } } }`;
  }
  return `{ ${selection} }`;
})();

/** A cheap, ordinary query: the whole (flat) category list. */
export const TRIVIAL_QUERY = '{ categories { id name } }';

const LOGIN_ALIASES = 20;
const loginBatch = `mutation { ${times(LOGIN_ALIASES, (index) => `l${index}: login(email: "victim@example.com", password: "guess-${index}") { accessToken }`).join(' ')} }`;

/** Comment lines that make a harmless query `bytes` long. */
function padded(query: string, bytes: number): string {
  const line = `# ${'x'.repeat(78)}\n`;
  return `${line.repeat(Math.ceil((bytes - query.length) / line.length))}${query}`;
}

const MIB = 1024 * 1024;

export const ABUSIVE_CASES: AbusiveCase[] = [
  {
    name: '50-level nested categories.children',
    body: { query: nestedCategories(50) },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'depth',
  },
  {
    // About 180 KB: the body limit (LIMIT_REQUEST_BYTES) stops it before anything is parsed.
    name: '10,000 aliases of __typename',
    body: { query: aliases(10_000) },
    headers: JSON_HEADERS,
    expectedStatus: 413,
    expectedCode: ErrorCode.PAYLOAD_TOO_LARGE,
  },
  {
    // 3 tokens an alias, written tight so that the document stays under LIMIT_DOCUMENT_BYTES.
    name: '1,000 aliases in 15.9 KB',
    body: { query: aliases(1_000, '__typename', ':') },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'tokens',
  },
  {
    name: '40 aliases',
    body: { query: aliases(40) },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'aliases',
  },
  {
    // 25 distinct response keys: 25 times the same field would be one executed field.
    name: '25 root fields',
    body: { query: aliases(25) },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'rootFields',
  },
  {
    name: '6 directives on one field',
    body: { query: `{ categories ${times(3, () => '@include(if: true) @skip(if: false)').join(' ')} { id } }` },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'directivesPerField',
  },
  {
    name: '20 KB document',
    body: { query: padded(TRIVIAL_QUERY, 20 * 1024) },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'documentBytes',
  },
  {
    // 18 levels deep: operation limits refuse it before demand control would (its cost is 27,345).
    name: '15,625-node nested products',
    body: { query: ABUSIVE_NESTED_QUERY },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'depth',
  },
  {
    // Only 6 levels deep, but 100 categories' 100 products each: refused for its cost (10,305).
    name: 'products(first: 100) in products(first: 100)',
    body: { query: '{ products(first: 100) { nodes { category { products(first: 100) { nodes { id } } } } } }' },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'cost',
  },
  {
    name: '1 MiB body',
    body: { query: TRIVIAL_QUERY, variables: { padding: 'x'.repeat(MIB) } },
    headers: JSON_HEADERS,
    expectedStatus: 413,
    expectedCode: ErrorCode.PAYLOAD_TOO_LARGE,
  },
  {
    name: 'invalid JSON',
    raw: '{"query": "{ categories { id } }",',
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.BAD_REQUEST,
  },
  {
    name: 'subscription over HTTP',
    body: { query: 'subscription { stockChanged { availableQuantity } }' },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.SUBSCRIPTION_REQUIRES_WEBSOCKET,
  },
  {
    name: 'unknown operationName',
    body: { query: 'query Categories { categories { id } }', operationName: 'Products' },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.OPERATION_RESOLUTION_FAILURE,
  },
  {
    name: 'validation error',
    body: { query: '{ categories { id price } }' },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.GRAPHQL_VALIDATION_FAILED,
  },
  {
    name: 'syntax error',
    body: { query: '{ categories { id name }' },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.GRAPHQL_PARSE_FAILED,
  },
  {
    name: 'bad variable type',
    body: { query: 'query Page($first: Int) { products(first: $first) { totalCount } }', variables: { first: 'five' } },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.BAD_USER_INPUT,
  },
  {
    name: 'unknown API key',
    body: { query: TRIVIAL_QUERY },
    headers: { ...JSON_HEADERS, 'x-api-key': 'not-a-configured-key' },
    expectedStatus: 401,
    expectedCode: ErrorCode.UNAUTHENTICATED,
  },
  {
    name: `${LOGIN_ALIASES} aliased login mutations`,
    body: { query: loginBatch },
    headers: JSON_HEADERS,
    expectedStatus: 400,
    expectedCode: ErrorCode.QUERY_TOO_COMPLEX,
    expectedLimit: 'credentialFields',
  },
];

/** The body and headers to send for a case. */
export function requestOf(abusive: AbusiveCase): { body: string; headers: Record<string, string> } {
  return { body: abusive.raw ?? JSON.stringify(abusive.body ?? {}), headers: { ...JSON_HEADERS, ...abusive.headers } };
}

/** The generated family of hostile shapes (fragments, merges, @skip/@include): scripts/hostile-shapes.ts. */
export { ANSWERED, DOUBLING_40, DOUBLING_40_LOADS, HOSTILE_SHAPES, type HostileBody, type HostileShape } from './hostile-shapes';

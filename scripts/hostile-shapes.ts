/**
 * A generated family of hostile operation shapes: documents whose text is
 * small but whose spreads, aliases, merges and @skip/@include make a naive
 * walk of the document exponential, or hide credential fields and mutation
 * root fields from a limit that reads syntax. Shared by the end-to-end
 * suites (gateway/hostile-http.e2e.test.ts, gateway/hostile-ws.e2e.test.ts)
 * and `npm run bench:refusals` (scripts/bench-refusals.ts), so the benchmark
 * times exactly what the tests check.
 *
 * Expected answers are those of the gateway under its DEFAULT limits
 * (LIMIT_DEPTH 10, LIMIT_ALIASES 30, LIMIT_ROOT_FIELDS 20,
 * LIMIT_DIRECTIVES_PER_FIELD 4, LIMIT_MERGED_FIELDS 50, LIMIT_PLANNED_SELECTIONS 1000,
 * DEMAND_CONTROL_MAX_COST 5000, LIMIT_TOKENS 2000, LIMIT_DOCUMENT_BYTES
 * 16384, CREDENTIAL_FIELDS_PER_OPERATION 1). The operation limits are
 * checked in the order depth, aliases, rootFields, directivesPerField,
 * mergedFields, plannedSelections, then (after validation) cost, then the credential throttle;
 * each refusal case is built so that exactly one of them is exceeded first.
 * Every limit reads the executed shape: fields merged as graphql-js executes
 * them, each named fragment collected once per selection set, @skip/@include
 * resolved with the variables.
 *
 * Field names as in schema/api-contract.graphql: `Query.me`,
 * `Query.categories`, `Query.products(first:)`, `Category.children`,
 * `Category.products(first:)`, `ProductConnection.nodes`, `Product.variants`,
 * `Product.category`, `ProductVariant.product`, `Mutation.login`,
 * `Mutation.register`, `Mutation.refreshToken`.
 */
import { ErrorCode } from '../lib/errors';

/** One abusive POST to /graphql and the answer the gateway must give it (scripts/abusive-operations.ts holds the plain ones). */
export interface AbusiveCase {
  name: string;
  /** Sent as JSON (POST /graphql). */
  body?: Record<string, unknown>;
  /** Sent as it stands, with the content type of `headers`. */
  raw?: string;
  headers?: Record<string, string>;
  expectedStatus: number;
  expectedCode: string;
  expectedLimit?: string;
}

/** `expectedCode` of a case the gateway answers: data and no errors (what bench-refusals calls `executed`). */
export const ANSWERED = 'executed';

export type HostileBody = {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
};

export interface HostileShape extends AbusiveCase {
  body: HostileBody;
  /** The family it belongs to (a. to f.), for grouping in reports. */
  family: string;
  /** For an answered case: a root field `data` must hold (not null). */
  expectedDataField?: string;
  /**
   * For an answered case: the executed shape written out plainly. The
   * benchmark times it next to the case: what the subgraphs take is the
   * same for both, the difference is what the hostile text costs the gateway.
   */
  plainEquivalent?: HostileBody;
  /**
   * For a refusal: `extensions.measured`, exactly (a number), or matched (a
   * RegExp, for a figure beyond 2^53, reported as a string "about 2^N").
   */
  expectedMeasured?: number | RegExp;
  /** For a refusal: `extensions.maximum`. */
  expectedMaximum?: number;
  /**
   * A fragment-free document executing the same shape: it must be refused
   * with the same limit and the same `measured` (what fragments hide must
   * count exactly like what is written out).
   */
  sameMeasureAs?: HostileBody;
}

/** The doubling depths: 2^40 and 2^64 spreads, each document still far under LIMIT_TOKENS and LIMIT_DOCUMENT_BYTES. */
export const DOUBLINGS = [40, 64] as const;

const range = (count: number) => Array.from({ length: count }, (_, index) => index);
const chain = (n: number, line: (i: number, previous: string) => string, prefix: string) => range(n).map((index) => line(index + 1, `${prefix}${index}`)).join('\n');

/**
 * a. `query { ...F<n> }`, `fragment F0 on Query { me { id } categories { id } }`,
 * `fragment Fi on Query { ...F(i-1) ...F(i-1) }`: 2^n spreads of F0 written,
 * two root fields executed.
 */
export function doublingNamedFragments(n: number, root = 'query', leaf = 'me { id } categories { id }'): string {
  return [`${root} { ...F${n} }`, `fragment F0 on Query { ${leaf} }`, chain(n, (i, previous) => `fragment F${i} on Query { ...${previous} ...${previous} }`, 'F')].join('\n');
}

/**
 * b. The same through inline fragments. `identical`: `... on Query { ...F(i-1) } ... on Query { ...F(i-1) }`,
 * which the query planner merges like identical spreads. Otherwise `... on Query { ...F(i-1) } ... { ...F(i-1) }`:
 * two root fields executed, but the planner (@apollo/query-planner) merges only identical selections, so for
 * it that is 2^n selections to plan (seconds of blocked event loop at 2^14, an internal error beyond): the
 * gateway refuses it by `plannedSelections` before planning.
 */
export function doublingInlineFragments(n: number, identical = false): string {
  const second = identical ? '... on Query' : '...';
  return [
    `query { ...F${n} }`,
    'fragment F0 on Query { me { id } categories { id } }',
    chain(n, (i, previous) => `fragment F${i} on Query { ... on Query { ...${previous} } ${second} { ...${previous} } }`, 'F'),
  ].join('\n');
}

/**
 * c. The executed shape truly doubles: each level selects the product's
 * variants twice under two aliases, and each variant's product again.
 * 2 + 2n + 1 fields deep, about 2^(n+2) aliases.
 */
export function doublingUnderAliases(n: number): string {
  return [
    `query { products(first: 2) { nodes { ...P${n} } } }`,
    'fragment P0 on Product { id }',
    chain(n, (i, previous) => `fragment P${i} on Product { a: variants { product { ...${previous} } } b: variants { product { ...${previous} } } }`, 'P'),
  ].join('\n');
}
export const doublingUnderAliasesDepth = (n: number) => 2 + 2 * n + 1;

/**
 * c. Doubling aliases within the depth limit: `categories { ...C<levels> }`,
 * `fragment Ci on Category { a: children { ...C(i-1) } b: children { ...C(i-1) } }`.
 * Depth 1 + levels + 1; 2 + 4 + ... + 2^levels = 2^(levels+1) - 2 aliases.
 */
export function aliasTree(levels: number): string {
  return [
    `query { categories { ...C${levels} } }`,
    'fragment C0 on Category { id }',
    chain(levels, (i, previous) => `fragment C${i} on Category { a: children { ...${previous} } b: children { ...${previous} } }`, 'C'),
  ].join('\n');
}
export const ALIAS_TREE_LEVELS = 7;
export const aliasTreeAliases = (levels: number) => 2 ** (levels + 1) - 2;

/**
 * c. Wide and shallow, refused for its cost alone: six aliased root fields
 * `w0 … w5: products(first: 10) { nodes { variants(first: 100) { id } } }`
 * (5 + 10 x 101 = 1,015 each, 6,090 in all: the slicing argument, not the
 * assumed size, sizes the variants), each brought in by a fragment chain that
 * spreads the previous level twice, all of it under n levels of doubling.
 * Depth 4, 6 aliases, 6 root fields, 1 node per merged field.
 */
const WIDE_FIELDS = 6;
const wideField = (index: number) => `w${index}: products(first: 10) { nodes { variants(first: 100) { id } } }`;
export function wideCostThroughDoubling(n: number): string {
  return [
    `query { ...D${n} }`,
    `fragment D0 on Query { ...W${WIDE_FIELDS - 1} }`,
    chain(n, (i, previous) => `fragment D${i} on Query { ...${previous} ...${previous} }`, 'D'),
    `fragment W0 on Query { ${wideField(0)} }`,
    chain(WIDE_FIELDS - 1, (i, previous) => `fragment W${i} on Query { ${wideField(i)} ...${previous} ...${previous} }`, 'W'),
  ].join('\n');
}
export const WIDE_PLAIN = `query { ${range(WIDE_FIELDS).map(wideField).join(' ')} }`;

/** 100 products, each one's category's 100 products: over DEMAND_CONTROL_MAX_COST at depth 6. */
const NESTED_PAGES_QUERY = 'products(first: 100) { nodes { category { products(first: 100) { nodes { id } } } } }';
export const NESTED_PAGES_PLAIN = `query { ${NESTED_PAGES_QUERY} }`;

/** c. The same nested pages split over fragments (each spread twice) and under n levels of doubling. */
export function nestedPagesThroughFragments(n: number): string {
  return [
    `query { ...D${n} }`,
    'fragment D0 on Query { products(first: 100) { nodes { ...P ...P } } }',
    chain(n, (i, previous) => `fragment D${i} on Query { ...${previous} ...${previous} }`, 'D'),
    'fragment P on Product { category { ...C ...C } }',
    'fragment C on Category { products(first: 100) { nodes { id } } }',
  ].join('\n');
}

/**
 * c. A cost beyond 2^53 at depth 9: three nested pages of 2^31 - 1 products.
 * `measured` must be reported as "about 2^N", not as an inexact number.
 */
const HUGE_FIRST = 2_147_483_647;
export const HUGE_COST = `query { products(first: ${HUGE_FIRST}) { nodes { category { products(first: ${HUGE_FIRST}) { nodes { category { products(first: ${HUGE_FIRST}) { nodes { id } } } } } } } } }`;
export const ABOUT_POWER_OF_TWO = /^about 2\^\d+$/;

/**
 * d. The doubling with every spread conditional. `identical`: `...F(i-1) @include(if: $yes)` twice, which the
 * planner merges. Otherwise `...F(i-1) @include(if: $yes) ...F(i-1) @skip(if: $no)`: the planner keeps the
 * conditions unresolved and the two spreads apart, 2^n selections to plan, refused by `plannedSelections`.
 */
export function conditionalDoubling(n: number, identical = false): string {
  const second = identical ? '@include(if: $yes)' : '@skip(if: $no)';
  return [
    `query Conditional($yes: Boolean!, $no: Boolean!) { ...F${n} @include(if: $yes) @skip(if: $no) }`,
    'fragment F0 on Query { me { id } categories { id } }',
    chain(n, (i, previous) => `fragment F${i} on Query { ...${previous} @include(if: $yes) ...${previous} ${second} }`, 'F'),
  ].join('\n');
}

/** d. A cheap root field, and the nested pages under n levels of doubling, executed only when `$big` is true. */
export function conditionalExpensive(n: number): string {
  return [
    `query Conditional($big: Boolean!) { categories { id } ...D${n} @include(if: $big) }`,
    `fragment D0 on Query { ${NESTED_PAGES_QUERY} }`,
    chain(n, (i, previous) => `fragment D${i} on Query { ...${previous} ...${previous} }`, 'D'),
  ].join('\n');
}

/** e. `{ me { id } me { id } … }`: `count` field nodes merged into one executed field. */
export const repeatedField = (count: number, field = 'me { id }') => `query { ${range(count).map(() => field).join(' ')} }`;

/** e. `count` distinct fragments each selecting `me { id }`, spread side by side: `count` nodes merged into `me`. */
export function distinctFragmentsMerged(count: number): string {
  return [`query { ${range(count).map((i) => `...M${i}`).join(' ')} }`, ...range(count).map((i) => `fragment M${i} on Query { me { id } }`)].join('\n');
}

/**
 * e. `fragment Fi on Query { me { id } ...F(i-1) ...F(i-1) }`: each fragment
 * collected once, so `me` merges n + 1 nodes (not 2^(n+1) - 1).
 */
export function doublingWithOwnField(n: number): string {
  return [
    `query { ...F${n} }`,
    'fragment F0 on Query { me { id } categories { id } }',
    chain(n, (i, previous) => `fragment F${i} on Query { me { id } ...${previous} ...${previous} }`, 'F'),
  ].join('\n');
}

/** f. Credential fields (`login`, `register`, `refreshToken`) hidden in fragments. */
const login = (alias: string, index: number) => `${alias}: login(email: "victim@example.com", password: "guess-${index}") { accessToken }`;
export const LOGINS_IN_INLINE_FRAGMENTS = `mutation { ... on Mutation { ${login('a', 0)} } ... { ${login('b', 1)} } }`;
export const LOGINS_IN_NAMED_FRAGMENT = `mutation { ...Guesses } fragment Guesses on Mutation { ${login('a', 0)} ${login('b', 1)} }`;
export const LOGINS_UNDER_DOUBLING = (n: number) =>
  [
    `mutation { ...G${n} }`,
    `fragment G0 on Mutation { ... on Mutation { ${login('a', 0)} } ...H }`,
    chain(n, (i, previous) => `fragment G${i} on Mutation { ...${previous} ...${previous} }`, 'G'),
    `fragment H on Mutation { ${login('b', 1)} }`,
  ].join('\n');
export const REFRESH_TOKENS_IN_FRAGMENT = 'mutation { ...Refresh } fragment Refresh on Mutation { a: refreshToken(refreshToken: "x") { accessToken } b: refreshToken(refreshToken: "y") { accessToken } }';
export const registerFields = (emails: string[], password = 'long enough password') =>
  emails.map((email, i) => `r${i}: register(input: { email: "${email}", password: "${password}", name: "Bot" }) { accessToken }`).join(' ');
export const REGISTERS_IN_FRAGMENT = `mutation { ...Bots } fragment Bots on Mutation { ${registerFields(['bot-a@example.com', 'bot-b@example.com', 'bot-c@example.com'])} }`;

const refused = (limit: string) => ({ expectedStatus: 400, expectedCode: ErrorCode.QUERY_TOO_COMPLEX as string, expectedLimit: limit });
/** What the answered doubling documents execute: `me { id } categories { id }`. */
export const DOUBLED_LEAF_PLAIN: HostileBody = { query: 'query { me { id } categories { id } }' };
const answered = (field: string, plainEquivalent: HostileBody = DOUBLED_LEAF_PLAIN) => ({ expectedStatus: 200, expectedCode: ANSWERED, expectedDataField: field, plainEquivalent });

function generate(): HostileShape[] {
  const cases: HostileShape[] = [];
  for (const n of DOUBLINGS) {
    cases.push({ family: 'a', name: `2^${n} named-fragment spreads, 2 root fields`, body: { query: doublingNamedFragments(n) }, ...answered('categories') });
    cases.push({ family: 'b', name: `2^${n} identical inline-fragment spreads, 2 root fields`, body: { query: doublingInlineFragments(n, true) }, ...answered('categories') });
    cases.push({
      family: 'b',
      name: `2^${n} inline-fragment spreads the query planner cannot merge`,
      body: { query: doublingInlineFragments(n) },
      ...refused('plannedSelections'),
      expectedMaximum: 1_000,
    });
    cases.push({
      family: 'c',
      name: `variants doubled under aliases ${n} levels deep`,
      body: { query: doublingUnderAliases(n) },
      ...refused('depth'),
      expectedMeasured: doublingUnderAliasesDepth(n),
      expectedMaximum: 10,
    });
    cases.push({
      family: 'c',
      name: `nested pages (cost) under 2^${n} spreads`,
      body: { query: nestedPagesThroughFragments(n) },
      ...refused('cost'),
      expectedMaximum: 5_000,
      sameMeasureAs: { query: NESTED_PAGES_PLAIN },
    });
    cases.push({
      family: 'c',
      name: `6 aliased product pages (cost) under 2^${n} spreads`,
      body: { query: wideCostThroughDoubling(n) },
      ...refused('cost'),
      expectedMaximum: 5_000,
      sameMeasureAs: { query: WIDE_PLAIN },
    });
    cases.push({
      family: 'd',
      name: `2^${n} spreads, each @include(if: $yes)`,
      body: { query: conditionalDoubling(n, true), variables: { yes: true, no: false } },
      ...answered('categories'),
    });
    cases.push({
      family: 'd',
      name: `2^${n} spreads, each @include(if: $yes) / @skip(if: $no): apart for the query planner`,
      body: { query: conditionalDoubling(n), variables: { yes: true, no: false } },
      ...refused('plannedSelections'),
      expectedMaximum: 1_000,
    });
    cases.push({
      family: 'd',
      name: `nested pages under 2^${n} spreads, @include(if: $big) false`,
      body: { query: conditionalExpensive(n), variables: { big: false } },
      ...answered('categories', { query: 'query { categories { id } }' }),
    });
    cases.push({
      family: 'd',
      name: `nested pages under 2^${n} spreads, @include(if: $big) true`,
      body: { query: conditionalExpensive(n), variables: { big: true } },
      ...refused('cost'),
      expectedMaximum: 5_000,
      sameMeasureAs: { query: `query { categories { id } ${NESTED_PAGES_QUERY} }` },
    });
  }
  cases.push({
    family: 'c',
    name: `${aliasTreeAliases(ALIAS_TREE_LEVELS)} aliases doubled through ${ALIAS_TREE_LEVELS} levels of children, depth ${ALIAS_TREE_LEVELS + 2}`,
    body: { query: aliasTree(ALIAS_TREE_LEVELS) },
    ...refused('aliases'),
    expectedMeasured: aliasTreeAliases(ALIAS_TREE_LEVELS),
    expectedMaximum: 30,
  });
  cases.push({ family: 'c', name: 'three nested pages of 2^31 - 1 products (cost beyond 2^53)', body: { query: HUGE_COST }, ...refused('cost'), expectedMeasured: ABOUT_POWER_OF_TWO, expectedMaximum: 5_000 });
  cases.push({ family: 'e', name: '60 x me { id }', body: { query: repeatedField(60) }, ...refused('mergedFields'), expectedMeasured: 60, expectedMaximum: 50 });
  cases.push({ family: 'e', name: '60 x categories { id }', body: { query: repeatedField(60, 'categories { id }') }, ...refused('mergedFields'), expectedMeasured: 60, expectedMaximum: 50 });
  cases.push({ family: 'e', name: '60 distinct fragments selecting me { id }', body: { query: distinctFragmentsMerged(60) }, ...refused('mergedFields'), expectedMeasured: 60, expectedMaximum: 50 });
  cases.push({ family: 'e', name: 'me { id } in each of 41 doubling fragments (41 merged)', body: { query: doublingWithOwnField(40) }, ...answered('categories') });
  cases.push({ family: 'e', name: 'me { id } in each of 65 doubling fragments (65 merged)', body: { query: doublingWithOwnField(64) }, ...refused('mergedFields'), expectedMeasured: 65, expectedMaximum: 50 });
  cases.push({ family: 'f', name: '2 logins in 2 inline fragments', body: { query: LOGINS_IN_INLINE_FRAGMENTS }, ...refused('credentialFields'), expectedMeasured: 2, expectedMaximum: 1 });
  cases.push({ family: 'f', name: '2 logins in one named fragment', body: { query: LOGINS_IN_NAMED_FRAGMENT }, ...refused('credentialFields'), expectedMeasured: 2, expectedMaximum: 1 });
  cases.push({ family: 'f', name: '2 logins under 2^40 spreads', body: { query: LOGINS_UNDER_DOUBLING(40) }, ...refused('credentialFields'), expectedMeasured: 2, expectedMaximum: 1 });
  cases.push({ family: 'f', name: '2 refreshTokens in one named fragment', body: { query: REFRESH_TOKENS_IN_FRAGMENT }, ...refused('credentialFields'), expectedMeasured: 2, expectedMaximum: 1 });
  cases.push({ family: 'f', name: '3 aliased registers in one named fragment', body: { query: REGISTERS_IN_FRAGMENT }, ...refused('credentialFields'), expectedMeasured: 3, expectedMaximum: 1 });
  return cases.map((shape) => ({ ...shape, headers: { 'content-type': 'application/json' } }));
}

/** The whole family, in a stable order. */
export const HOSTILE_SHAPES: HostileShape[] = generate();

/** The 2^40 named-fragment document: the load the concurrency checks send. */
export const DOUBLING_40 = doublingNamedFragments(40);

/** The answered 2^40 documents, by how they double: the loads the concurrency checks send. */
export const DOUBLING_40_LOADS: Record<'named' | 'inline' | 'conditional', HostileBody> = {
  named: { query: DOUBLING_40 },
  inline: { query: doublingInlineFragments(40, true) },
  conditional: { query: conditionalDoubling(40, true), variables: { yes: true, no: false } },
};

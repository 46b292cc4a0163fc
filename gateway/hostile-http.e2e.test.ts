import { createHash } from 'node:crypto';
import { codeOf, freshIp, JSON_HEADERS, leaks, post, send, startProductionSupergraph, type HttpAnswer } from '../test/hostile';
import type { TestSupergraph } from '../test/supergraph-harness';
import { DOUBLING_40_LOADS, HOSTILE_SHAPES, type HostileShape } from '../scripts/abusive-operations';
import { expectShapeAnswer, measureOf, tokenCount } from '../test/hostile-shapes';

/**
 * Hostile inputs over HTTP against a production-mode gateway: every refusal
 * has its stable code and 4xx status, and the body leaks nothing (no stack,
 * SQL, paths, HTML or schema suggestions). Each case speaks as its own client
 * IP (X-Forwarded-For through the trusted loopback proxy), so budgets never mix.
 */
const nested = (levels: number, inner: string, wrap: (inside: string) => string) => {
  let selection = inner;
  for (let level = 0; level < levels; level += 1) selection = wrap(selection);
  return selection;
};
const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;

/** products(first: 5) -> category.products(first: 5), six lists deep: 15,625 products at the bottom. */
const FIFTEEN_THOUSAND_NODES = `{ ${nested(5, 'products(first: 5) { nodes { id name } }', (inside) => `products(first: 5) { nodes { id category { ${inside} } } }`)} }`;

interface Case {
  name: string;
  request: () => Promise<HttpAnswer>;
  status: number;
  code: string;
  /** More to check on the answer. */
  also?: (answer: HttpAnswer) => void;
}

describe('hostile inputs over HTTP (production mode)', () => {
  let supergraph: TestSupergraph;
  let url: string;

  beforeAll(async () => {
    supergraph = await startProductionSupergraph();
    url = supergraph.gatewayUrl;
  }, 120_000);

  afterAll(async () => {
    await supergraph?.stop();
  });

  const query = (text: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => post(url, { query: text, ...extra }, headers);
  const limitOf = (answer: HttpAnswer) => answer.body?.errors?.[0]?.extensions?.limit;

  const cases: Case[] = [
    {
      name: '50 levels of categories { children { ... } }',
      request: () => query(`{ ${nested(50, 'id', (inside) => `children { ${inside} }`).replace(/^children/, 'categories')} }`),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      also: (answer) => expect(answer.body?.errors?.[0]?.extensions).toMatchObject({ limit: 'depth', measured: 51, maximum: 10 }),
    },
    // 10,000 aliases take about 150 KB: the request body limit stops them before anything is parsed.
    { name: '10,000 aliases', request: () => query(aliases(10_000)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: '2,500 tokens in 5 KB', request: () => query(`{ ${'a '.repeat(2_500)}}`), status: 400, code: 'QUERY_TOO_COMPLEX', also: (a) => expect(limitOf(a)).toBe('tokens') },
    { name: '40 aliases', request: () => query(aliases(40)), status: 400, code: 'QUERY_TOO_COMPLEX', also: (a) => expect(a.body?.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases', measured: 40 }) },
    {
      name: '25 root fields',
      // 25 distinct response keys (and 25 aliases, under their limit): 25 times one field would execute once.
      request: () => query(aliases(25)),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      also: (a) => expect(limitOf(a)).toBe('rootFields'),
    },
    {
      name: '6 directives on one field',
      request: () => query(`{ __typename ${'@include(if: true) '.repeat(6)} }`),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      also: (a) => expect(limitOf(a)).toBe('directivesPerField'),
    },
    { name: 'a 20 KB document', request: () => query(`{ __typename } # ${'x'.repeat(20_000)}`), status: 400, code: 'QUERY_TOO_COMPLEX', also: (a) => expect(limitOf(a)).toBe('documentBytes') },
    {
      name: 'the 15,625-node nested products query',
      request: () => query(FIFTEEN_THOUSAND_NODES),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      // Refused by its depth before its cost is even computed; the next case is refused for cost alone.
      also: (a) => expect(['depth', 'cost']).toContain(limitOf(a)),
    },
    {
      name: 'products(first: 100) inside products(first: 100)',
      request: () => query(`{ products(first: 100) { nodes { category { products(first: 100) { nodes { id } } } } } }`),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      also: (a) => expect(limitOf(a)).toBe('cost'),
    },
    { name: 'a 1 MiB body', request: () => query(`{ __typename }`, { variables: { padding: 'x'.repeat(1024 * 1024) } }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'invalid JSON', request: () => send(url, { headers: { ...JSON_HEADERS, 'x-forwarded-for': freshIp() }, body: '{"query": "{ __typename }"' }), status: 400, code: 'BAD_REQUEST' },
    { name: 'a JSON array (batch)', request: () => post(url, [{ query: '{ __typename }' }]), status: 400, code: 'BAD_REQUEST' },
    { name: 'a JSON string body', request: () => post(url, 'hello'), status: 400, code: 'BAD_REQUEST' },
    { name: 'query that is not a string', request: () => post(url, { query: 42 }), status: 400, code: 'BAD_REQUEST' },
    { name: 'variables that are not an object', request: () => query('{ __typename }', { variables: [1, 2] }), status: 400, code: 'BAD_REQUEST' },
    { name: 'extensions that are not an object', request: () => query('{ __typename }', { extensions: 'x' }), status: 400, code: 'BAD_REQUEST' },
    { name: 'no query at all', request: () => post(url, { variables: {} }), status: 400, code: 'BAD_REQUEST' },
    { name: 'a syntax error', request: () => query('{ products(first: ) }'), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
    { name: 'an unknown field (no suggestions in production)', request: () => query('{ prodcts { totalCount } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'introspection in production', request: () => query('{ __schema { types { name } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'an unknown operationName', request: () => query('query A { __typename }', { operationName: 'B' }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    { name: 'two anonymous operations', request: () => query('{ __typename } { __typename }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'two named operations and no operationName', request: () => query('query A { __typename } query B { __typename }'), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    {
      name: 'a subscription over HTTP',
      request: () => query('subscription { stockChanged(productIds: []) { availableQuantity } }'),
      status: 400,
      code: 'SUBSCRIPTION_REQUIRES_WEBSOCKET',
      also: (a) => expect(a.body?.errors?.[0]?.message).toMatch(/WebSocket/),
    },
    {
      name: 'a mutation over GET',
      request: () =>
        send(`${url}?query=${encodeURIComponent('mutation { logout(refreshToken: "x") }')}`, { method: 'GET', headers: { 'apollo-require-preflight': 'true', 'x-forwarded-for': freshIp() } }),
      status: 405,
      code: 'BAD_REQUEST',
    },
    { name: 'a variable of the wrong type', request: () => query('query($n: Int) { products(first: $n) { totalCount } }', { variables: { n: 'many' } }), status: 400, code: 'BAD_USER_INPUT' },
    { name: 'a missing required variable', request: () => query('query($id: ID!) { product(id: $id) { id } }'), status: 400, code: 'BAD_USER_INPUT' },
    { name: 'GET with variables that are not JSON', request: () => send(`${url}?query=${encodeURIComponent('{ __typename }')}&variables={oops`, { method: 'GET', headers: { 'apollo-require-preflight': 'true' } }), status: 400, code: 'BAD_REQUEST' },
    { name: 'a simple GET without a CSRF-preventing header', request: () => send(`${url}?query=${encodeURIComponent('{ __typename }')}`, { method: 'GET' }), status: 400, code: 'BAD_REQUEST' },
    { name: 'a text/plain POST (CSRF)', request: () => send(url, { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) }), status: 400, code: 'BAD_REQUEST' },
    { name: 'a PUT', request: () => send(url, { method: 'PUT', headers: JSON_HEADERS, body: '{}' }), status: 405, code: 'BAD_REQUEST' },
    {
      name: 'an XML body with a preflight header',
      request: () => send(url, { headers: { 'content-type': 'application/xml', 'apollo-require-preflight': 'true' }, body: '<query/>' }),
      status: 415,
      code: 'BAD_REQUEST',
    },
    { name: 'an unknown API key', request: () => query('{ __typename }', {}, { 'x-api-key': 'not-a-key' }), status: 401, code: 'UNAUTHENTICATED' },
    { name: 'a forged bearer token', request: () => query('{ __typename }', {}, { authorization: 'Bearer a.b.c' }), status: 401, code: 'UNAUTHENTICATED' },
    { name: 'an Authorization header that is not Bearer', request: () => query('{ __typename }', {}, { authorization: 'Basic dXNlcjpwYXNz' }), status: 401, code: 'UNAUTHENTICATED' },
    {
      name: 'an APQ hash that does not match its query',
      request: () => query('{ __typename }', { extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'an unsupported APQ version',
      request: () => query('{ __typename }', { extensions: { persistedQuery: { version: 2, sha256Hash: '0'.repeat(64) } } }),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'an APQ registration over the size limit',
      request: () => {
        const text = `{ __typename } # ${'y'.repeat(10_000)}`;
        return query(text, { extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(text).digest('hex') } } });
      },
      status: 413,
      code: 'PERSISTED_QUERY_REGISTRATION_REFUSED',
    },
    {
      name: '20 aliased login mutations in one request',
      request: () => query(`mutation { ${Array.from({ length: 20 }, (_, i) => `l${i}: login(email: "customer@example.com", password: "guess-${i}") { accessToken }`).join(' ')} }`),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
      also: (a) => expect(limitOf(a)).toBe('credentialFields'),
    },
    {
      name: '20 aliased register mutations in one request',
      request: () =>
        query(`mutation { ${Array.from({ length: 20 }, (_, i) => `r${i}: register(input: { email: "bot${i}@example.com", password: "long enough password", name: "Bot" }) { accessToken }`).join(' ')} }`),
      status: 400,
      code: 'QUERY_TOO_COMPLEX',
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('refuses %s', async (_name, testCase) => {
    const answer = await testCase.request();
    expect({ status: answer.status, code: codeOf(answer) }).toEqual({ status: testCase.status, code: testCase.code });
    expect(answer.headers.get('content-type')).toMatch(/json/);
    expect(answer.body?.data ?? undefined).toBeUndefined();
    expect(leaks(answer.text)).toEqual([]);
    testCase.also?.(answer);
  });

  it('has at least 40 hostile cases between HTTP and WebSocket (this file holds the HTTP ones)', () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  describe('the hostile-shape family: fragments, merges and @skip/@include read as executed (scripts/hostile-shapes.ts)', () => {
    it('stays under the token and byte limits, so each case reaches the limit it aims at', () => {
      for (const shape of HOSTILE_SHAPES) {
        expect({ name: shape.name, tokens: tokenCount(shape.body.query) <= 2_000, bytes: Buffer.byteLength(shape.body.query) <= 16_384 }).toEqual({ name: shape.name, tokens: true, bytes: true });
      }
    });

    it.each(HOSTILE_SHAPES.map((shape) => [`${shape.family}. ${shape.name}`, shape] as const))('%s', async (_name, shape: HostileShape) => {
      const answer = await query(shape.body.query, { variables: shape.body.variables ?? {} });
      expectShapeAnswer(shape, answer);
      expect(answer.headers.get('content-type')).toMatch(/json/);
      if (shape.sameMeasureAs) {
        const plain = await query(shape.sameMeasureAs.query, { variables: shape.sameMeasureAs.variables ?? {} });
        expect(measureOf(answer)).toEqual(measureOf(plain));
      }
    });

    it.each(Object.keys(DOUBLING_40_LOADS) as (keyof typeof DOUBLING_40_LOADS)[])('keeps /health answering while 50 documents of 2^40 %s spreads are sent in 5 concurrent loops, and answers them all', async (load) => {
      const body = DOUBLING_40_LOADS[load];
      const healthUrl = `${supergraph.gateway.url}/health`;
      let sending = true;
      const answers: { status: number; categories: boolean; errors: unknown }[] = [];
      const loops = Array.from({ length: 5 }, async () => {
        for (let i = 0; i < 10; i += 1) {
          const answer = await query(body.query, { variables: body.variables ?? {} });
          answers.push({ status: answer.status, categories: Array.isArray((answer.body?.data as { categories?: unknown } | undefined)?.categories), errors: answer.body?.errors });
        }
      });
      const health: { status: number | string; duringLoad: boolean }[] = [];
      const poll = (async () => {
        while (sending) {
          const duringLoad = sending;
          const status = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) }).then(
            (response) => response.status,
            (error: Error) => `failed: ${error.name}`,
          );
          health.push({ status, duringLoad });
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      try {
        await Promise.all(loops);
      } finally {
        sending = false;
        await poll;
      }
      expect(answers).toHaveLength(50);
      expect(answers.filter((answer) => answer.status !== 200 || !answer.categories || answer.errors !== undefined).slice(0, 3)).toEqual([]);
      expect(health.filter((check) => check.duringLoad).length).toBeGreaterThan(0);
      expect(health.filter((check) => check.status !== 200)).toEqual([]);
    }, 60_000);
  });

  describe('bad input that reaches a subgraph is BAD_USER_INPUT, with nothing leaked', () => {
    const expectBadInput = (answer: HttpAnswer) => {
      expect(answer.status).toBeLessThan(500);
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect(leaks(answer.text)).toEqual([]);
    };

    it('a NUL byte in search, in a variable and inline', async () => {
      expectBadInput(await query('query($s: String) { products(filter: { search: $s }) { totalCount } }', { variables: { s: 'shoe\u0000' } }));
      expectBadInput(await query('{ products(filter: { search: "shoe\\u0000" }) { totalCount } }'));
    });

    it('a NUL byte in a slug', async () => {
      expectBadInput(await query('query($slug: String!) { product(slug: $slug) { id } }', { variables: { slug: 'a\u0000b' } }));
    });

    it('a NUL byte in a registration name, with no password or hash in the answer', async () => {
      const answer = await query('mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', {
        variables: { input: { email: `nul-${Date.now()}@example.com`, password: 'a secret password', name: 'Eve\u0000' } },
      });
      expectBadInput(answer);
      expect(answer.text).not.toContain('a secret password');
      expect(answer.text).not.toMatch(/scrypt|\$[0-9a-z]+\$/i);
    });

    it('a lone surrogate in search', async () => {
      expectBadInput(await query('query($s: String) { products(filter: { search: $s }) { totalCount } }', { variables: { s: 'shoe\ud800' } }));
    });

    it('a well-formed cursor with values of the wrong type', async () => {
      const cursor = Buffer.from(JSON.stringify({ o: 'NEWEST', v: [{ not: 'a date' }, 42] })).toString('base64url');
      expectBadInput(await query('query($after: String) { products(first: 2, after: $after) { totalCount } }', { variables: { after: cursor } }));
      expectBadInput(await query('query($after: String) { products(first: 2, after: $after) { totalCount } }', { variables: { after: 'not-a-cursor!' } }));
    });
  });

  it('answers checkout without a cart with EMPTY_CART, and an unknown cartId with NOT_FOUND', async () => {
    const { demoCustomer } = await import('../test/supergraph-harness');
    const token = await supergraph.tokenFor({ ...demoCustomer, id: '5b1f6b8e-0d6c-4a53-9d3e-2f1a7c9e4b21' });
    const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
    const checkout = 'mutation($input: CheckoutInput!) { checkout(input: $input) { id } }';
    const noCart = await query(checkout, { variables: { input: { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: `k-${Date.now()}` } } }, { authorization: `Bearer ${token}` });
    expect(codeOf(noCart)).toBe('EMPTY_CART');
    const unknownCart = await query(
      checkout,
      { variables: { input: { cartId: '0c6a4f7e-9b1d-4e2a-8f3c-5d7b9a1e2c44', shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: `k2-${Date.now()}` } } },
      { authorization: `Bearer ${token}` },
    );
    expect(codeOf(unknownCart)).toBe('NOT_FOUND');
  });
});

import { randomUUID } from 'node:crypto';
import { codeOf, freshIp, post, runOverSocket, wsClientWith, type HttpAnswer } from '../test/hostile';
import { scrape } from '../test/prometheus-text';
import { testRedisNamespace, testRedisUrl } from '../test/redis';
import { demoCustomer, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';

/**
 * Discount codes cannot be found by guessing: failed applyDiscountCode
 * attempts (DISCOUNT_CODE_INVALID) are limited per client address and per
 * cart, under the DEFAULT settings (DISCOUNT_CODE_FAILURES_PER_IP 10,
 * DISCOUNT_CODE_FAILURES_PER_CART 5, per 15 minutes), through the real
 * gateway, subgraphs, PostgreSQL and Redis, over HTTP and graphql-ws.
 * Each test speaks from addresses of its own (X-Forwarded-For through a
 * trusted loopback proxy) and on carts of its own.
 */
const APPLY = 'mutation Apply($cartId: ID, $code: String!) { applyDiscountCode(cartId: $cartId, code: $code) { id discountCodes { code } } }';
/** A code of the demo shop (subgraphs/cart/cart.seed.ts). */
const VALID_CODE = 'welcome10';

jest.setTimeout(60_000);

describe('discount code throttling (default limits)', () => {
  let supergraph: TestSupergraph;
  let url: string;
  let inStockProductId: string;

  beforeAll(async () => {
    supergraph = await startTestSupergraph({
      gateway: { redisUrl: testRedisUrl(), redisNamespace: `${testRedisNamespace()}dc-${randomUUID().slice(0, 8)}:`, clientIdentity: { trustedProxies: ['loopback'] } },
    });
    url = supergraph.gatewayUrl;
    const products = await post(url, { query: '{ products(first: 50) { nodes { id availableQuantity } } }' });
    const nodes = (products.body?.data as { products: { nodes: { id: string; availableQuantity: number }[] } }).products.nodes;
    inStockProductId = nodes.find((product) => product.availableQuantity >= 10)!.id;
  }, 120_000);

  afterAll(async () => {
    await supergraph?.stop();
  });

  /** A new guest cart with one item. */
  async function guestCart(): Promise<string> {
    const added = await post(url, { query: 'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { id } }', variables: { p: inStockProductId } });
    expect(added.body?.errors).toBeUndefined();
    return (added.body!.data as { addToCart: { id: string } }).addToCart.id;
  }

  const apply = (cartId: string | null, code: string, ip: string, headers: Record<string, string> = {}) => post(url, { query: APPLY, variables: { cartId, code } }, { 'x-forwarded-for': ip, ...headers });
  const madeUp = (i: number) => `GUESS${i}${randomUUID().slice(0, 6)}`.toUpperCase();
  const extensionsOf = (answer: HttpAnswer) => answer.body?.errors?.[0]?.extensions;
  /** A refusal as a client sees it, without the seconds that tick down between two answers. */
  const refusalShape = (answer: HttpAnswer) => ({
    status: answer.status,
    code: codeOf(answer),
    limit: extensionsOf(answer)?.limit,
    message: answer.body?.errors?.[0]?.message.replace(/\d+ s$/, 'N s'),
    data: answer.body?.data ?? null,
    retryAfterHeaderMatches: answer.headers.get('retry-after') === String(extensionsOf(answer)?.retryAfterSeconds),
  });
  const appliedCodes = async (cartId: string) => {
    const cart = await post(url, { query: 'query($id: ID) { cart(id: $id) { discountCodes { code } } }', variables: { id: cartId } });
    return (cart.body!.data as { cart: { discountCodes: { code: string }[] } }).cart.discountCodes.map((entry) => entry.code);
  };

  it('runs with the default limits', () => {
    expect(supergraph.gateway.config.discountCodeThrottle).toEqual({ failuresPerIp: 10, failuresPerCart: 5, failureWindowSeconds: 900 });
  });

  it('refuses 60 made-up codes from one address on a guest cart with RATE_LIMITED (429, Retry-After) from the 6th', async () => {
    const cartId = await guestCart();
    const ip = freshIp();
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 60; i += 1) answers.push(await apply(cartId, madeUp(i), ip));
    const codes = answers.map(codeOf);
    expect(codes).toEqual([...Array(5).fill('DISCOUNT_CODE_INVALID'), ...Array(55).fill('RATE_LIMITED')]);
    const refused = answers[5];
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(extensionsOf(refused)).toMatchObject({ code: 'RATE_LIMITED', limit: 'discountCodeFailures', retryAfterSeconds: Number(refused.headers.get('retry-after')) });
    expect(answers.slice(5).every((answer) => answer.status === 429)).toBe(true);
  });

  it('refuses a guesser who changes carts at the 11th failure from one address (carts that do not exist, and no cart at all)', async () => {
    const ip = freshIp();
    const codes: unknown[] = [];
    for (let i = 0; i < 60; i += 1) codes.push(codeOf(await apply(i % 2 ? randomUUID() : null, madeUp(i), ip)));
    expect(codes).toEqual([...Array(10).fill('DISCOUNT_CODE_INVALID'), ...Array(50).fill('RATE_LIMITED')]);
    // Another address is not affected.
    expect(codeOf(await apply(await guestCart(), 'NOT-A-CODE', freshIp()))).toBe('DISCOUNT_CODE_INVALID');
  });

  it('limits failures per cart across addresses, cart ids in any case, and a signed-in user without cartId by user', async () => {
    const cartId = await guestCart();
    const codes: unknown[] = [];
    // Every guess from an address of its own, the id spelled in either case (the cart service reads both).
    for (let i = 0; i < 7; i += 1) codes.push(codeOf(await apply(i % 2 ? cartId.toUpperCase() : cartId, madeUp(i), freshIp())));
    expect(codes).toEqual([...Array(5).fill('DISCOUNT_CODE_INVALID'), 'RATE_LIMITED', 'RATE_LIMITED']);

    // The owner's own cart, signed in, without cartId: counted by user, whatever the address.
    const user = { ...demoCustomer, id: randomUUID() };
    const token = await supergraph.tokenFor(user);
    const asUser = (code: string) => apply(null, code, freshIp(), { authorization: `Bearer ${token}` });
    const userCodes: unknown[] = [];
    for (let i = 0; i < 6; i += 1) userCodes.push(codeOf(await asUser(madeUp(i))));
    expect(userCodes).toEqual([...Array(5).fill('DISCOUNT_CODE_INVALID'), 'RATE_LIMITED']);
  });

  it('refuses a valid code while throttled exactly like a made-up one, and applies nothing', async () => {
    // Per cart: throttled from other addresses, the owner's valid code is refused too.
    const cartId = await guestCart();
    for (let i = 0; i < 5; i += 1) expect(codeOf(await apply(cartId, madeUp(i), freshIp()))).toBe('DISCOUNT_CODE_INVALID');
    const invalid = await apply(cartId, madeUp(99), freshIp());
    const valid = await apply(cartId, VALID_CODE, freshIp());
    expect(refusalShape(valid)).toEqual(refusalShape(invalid));
    expect(refusalShape(valid)).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterHeaderMatches: true });
    expect(await appliedCodes(cartId)).toEqual([]);

    // Per address: on a cart never guessed at.
    const ip = freshIp();
    for (let i = 0; i < 10; i += 1) expect(codeOf(await apply(randomUUID(), madeUp(i), ip))).toBe('DISCOUNT_CODE_INVALID');
    const freshCart = await guestCart();
    const validFromIp = await apply(freshCart, VALID_CODE, ip);
    const invalidFromIp = await apply(freshCart, madeUp(100), ip);
    expect(refusalShape(validFromIp)).toEqual(refusalShape(invalidFromIp));
    expect(codeOf(validFromIp)).toBe('RATE_LIMITED');
    expect(await appliedCodes(freshCart)).toEqual([]);
  });

  it('applies a valid code before the limit, and a code that applies is not counted as a failure', async () => {
    const cartId = await guestCart();
    const ip = freshIp();
    for (let i = 0; i < 4; i += 1) expect(codeOf(await apply(cartId, madeUp(i), ip))).toBe('DISCOUNT_CODE_INVALID');
    for (let i = 0; i < 8; i += 1) {
      const applied = await apply(cartId, VALID_CODE, ip);
      expect(applied.body?.errors).toBeUndefined();
      expect((applied.body!.data as { applyDiscountCode: { discountCodes: { code: string }[] } }).applyDiscountCode.discountCodes).toEqual([{ code: 'WELCOME10' }]);
    }
    // Still one failure left on this cart (4 of 5 spent), then refused.
    expect(codeOf(await apply(cartId, madeUp(5), ip))).toBe('DISCOUNT_CODE_INVALID');
    expect(codeOf(await apply(cartId, madeUp(6), ip))).toBe('RATE_LIMITED');
    expect(await appliedCodes(cartId)).toEqual(['WELCOME10']);
  });

  it('counts each aliased applyDiscountCode, in inline and named fragments, like separate attempts', async () => {
    const cartId = await guestCart();
    const ip = freshIp();
    const field = (alias: string) => `${alias}: applyDiscountCode(cartId: $c, code: "${madeUp(0)}") { id }`;
    const hidden = await post(
      url,
      { query: `mutation($c: ID) { ${field('a')} ... on Mutation { ${field('b')} } ...More } fragment More on Mutation { ${field('c')} ... { ${field('d')} } }`, variables: { c: cartId } },
      { 'x-forwarded-for': ip },
    );
    expect(codeOf(hidden)).toBe('DISCOUNT_CODE_INVALID');
    // Four attempts counted: the 5th is answered, the 6th refused.
    expect(codeOf(await apply(cartId, madeUp(5), ip))).toBe('DISCOUNT_CODE_INVALID');
    expect(codeOf(await apply(cartId, madeUp(6), ip))).toBe('RATE_LIMITED');

    // Six aliases on a fresh cart are over its budget of 5 at once: refused whole, nothing runs.
    const otherCart = await guestCart();
    const six = await post(
      url,
      { query: `mutation($c: ID) { ...Six } fragment Six on Mutation { ${['a', 'b', 'c', 'd', 'e'].map(field).join(' ')} f: applyDiscountCode(cartId: $c, code: "${VALID_CODE}") { id } }`, variables: { c: otherCart } },
      { 'x-forwarded-for': freshIp() },
    );
    expect({ status: six.status, code: codeOf(six), data: six.body?.data ?? null }).toEqual({ status: 429, code: 'RATE_LIMITED', data: null });
    expect(await appliedCodes(otherCart)).toEqual([]);
    // A refused operation costs nothing: the cart still has its 5.
    const codes: unknown[] = [];
    for (let i = 0; i < 6; i += 1) codes.push(codeOf(await apply(otherCart, madeUp(i), freshIp())));
    expect(codes).toEqual([...Array(5).fill('DISCOUNT_CODE_INVALID'), 'RATE_LIMITED']);
  });

  it('throttles the same over graphql-ws, sharing the address budget with HTTP', async () => {
    const ip = freshIp();
    const client = wsClientWith(url, {}, { 'x-forwarded-for': ip });
    try {
      const cartId = await guestCart();
      const codes: unknown[] = [];
      let refused: readonly unknown[] | undefined;
      for (let i = 0; i < 60; i += 1) {
        const answer = await runOverSocket(client, { query: APPLY, variables: { cartId, code: madeUp(i) } });
        const errors = answer.result?.errors ?? answer.errors ?? [];
        codes.push(codeOf(errors));
        if (codeOf(errors) === 'RATE_LIMITED') refused ??= errors;
      }
      // The first five ran (how an executed result with errors reaches a graphql-ws client is the
      // subscription server's business, not this throttle's); from the 6th nothing runs.
      expect(codes.slice(0, 5)).not.toContain('RATE_LIMITED');
      expect(codes.slice(5)).toEqual(Array(55).fill('RATE_LIMITED'));
      expect((refused![0] as { extensions: Record<string, unknown> }).extensions).toMatchObject({ limit: 'discountCodeFailures', retryAfterSeconds: expect.any(Number) });

      // 5 of the address's 10 are spent over the socket: 5 more over HTTP, then refused there too.
      const http: unknown[] = [];
      for (let i = 0; i < 6; i += 1) http.push(codeOf(await apply(randomUUID(), madeUp(i), ip)));
      expect(http).toEqual([...Array(5).fill('DISCOUNT_CODE_INVALID'), 'RATE_LIMITED']);
      const valid = await runOverSocket(client, { query: APPLY, variables: { cartId: await guestCart(), code: VALID_CODE } });
      expect(codeOf(valid.result?.errors ?? valid.errors ?? [])).toBe('RATE_LIMITED');
    } finally {
      await client.dispose();
    }
  });

  it('counts refusals in graphql_discount_code_throttled_total by budget', async () => {
    const metrics = await scrape(supergraph.gateway.metricsUrl);
    expect(metrics.sum('graphql_discount_code_throttled_total', { limit: 'cart' })).toBeGreaterThan(0);
    expect(metrics.sum('graphql_discount_code_throttled_total', { limit: 'ip' })).toBeGreaterThan(0);
  });
});

import type { Browser, Response as BrowserResponse } from 'playwright-core';
import { demoCatalog } from '../lib/demo-data';
import { launchChromium, openPage, serveStorefront, type StorefrontSite } from '../test/browser/browser-harness';
import { demoAdmin, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { eventually } from '../test/wait';

/**
 * Cross-origin access end to end: Apollo Client 4 in Debian's Chromium, on a
 * page served from an origin other than the gateway's (another port of
 * 127.0.0.1), so every request to /graphql is cross-origin and needs CORS.
 * Preflights and CSRF prevention are checked with plain fetch from Node,
 * where the Origin header can be anything.
 */

const PRODUCTS = `{ products(first: 3) { nodes { id name } } }`;
const ADJUST = `mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) {
  adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: "cors e2e test") { onHand }
}`;
/** Headers Apollo Client sends beyond the CORS-safelisted ones, plus ours. */
const REQUESTED_HEADERS = 'content-type,apollographql-client-name,apollographql-client-version,authorization';
const FOREIGN_ORIGIN = 'https://evil.example';

const demo = demoCatalog();
const watched = demo.stock.find((s) => s.onHand > 5)!;

function preflight(url: string, origin: string, requestHeaders = REQUESTED_HEADERS): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });
}

/** A cross-site form could send this without a preflight: text/plain and no preflight-forcing header. */
function simplePost(url: string, origin: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { origin, 'content-type': 'text/plain' }, body: JSON.stringify({ query: PRODUCTS }) });
}

function headerList(value: string | null): string[] {
  return (value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);
}

describe('CORS for browser apps on another origin (development: localhost allowed)', () => {
  let supergraph: TestSupergraph;
  let site: StorefrontSite;
  let browser: Browser;
  let adminToken: string;

  beforeAll(async () => {
    // Chromium first: without it the test fails at once, with the reason.
    browser = await launchChromium();
    site = await serveStorefront();
    supergraph = await startTestSupergraph();
    adminToken = await supergraph.tokenFor(demoAdmin);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await supergraph?.stop();
  }, 30_000);

  it('serves the page and the gateway on different origins', () => {
    expect(new URL(site.origin).origin).not.toBe(new URL(supergraph.gatewayUrl).origin);
  });

  it('answers a preflight from an allowed origin with 204, the origin echoed, credentials and the allowed headers', async () => {
    const response = await preflight(supergraph.gatewayUrl, site.origin);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(site.origin);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(headerList(response.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post']));
    expect(headerList(response.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(headerList(REQUESTED_HEADERS)));
    expect(headerList(response.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['x-api-key', 'apollo-require-preflight', 'x-apollo-operation-name']),
    );
    expect(headerList(response.headers.get('vary'))).toContain('origin');
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('answers a preflight from an origin not allowed without Access-Control-Allow-Origin', async () => {
    const response = await preflight(supergraph.gatewayUrl, FOREIGN_ORIGIN);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.status).not.toBe(204);
  });

  it('still refuses simple (preflight-free) cross-site requests by CSRF prevention, allowed origin or not', async () => {
    for (const origin of [FOREIGN_ORIGIN, site.origin]) {
      const response = await simplePost(supergraph.gatewayUrl, origin);
      expect({ origin, status: response.status }).toEqual({ origin, status: 400 });
      expect(await response.text()).toMatch(/CSRF|preflight/i);
    }
  });

  it('exposes the response to an allowed origin on an actual request', async () => {
    const response = await fetch(supergraph.gatewayUrl, {
      method: 'POST',
      headers: { origin: site.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ query: PRODUCTS }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(site.origin);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(headerList(response.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['ratelimit', 'retry-after']));
    expect(((await response.json()) as { data: { products: { nodes: unknown[] } } }).data.products.nodes).toHaveLength(3);
  });

  it('runs Apollo Client in Chromium: a query over HTTP and a subscription over WebSocket, both cross-origin', async () => {
    const { federated } = supergraph.gateway.subscriptions;
    const expected = await supergraph.query(PRODUCTS);
    expect(expected.errors).toBeUndefined();
    const graphqlResponses: BrowserResponse[] = [];
    // Listening before the page loads: its query may be answered (from the response cache) before openPage returns.
    const opened = await openPage(browser, site.pageUrl(supergraph.gatewayUrl, { ids: [watched.productId] }), (page) =>
      page.on('response', (response) => {
        if (response.url() === supergraph.gatewayUrl && response.request().method() === 'POST') graphqlResponses.push(response);
      }),
    );
    try {
      // The query.
      const queryOutput = await opened.text('#query[data-status]', 'the query result in the page');
      expect(await opened.page.getAttribute('#query', 'data-status')).toBe('ok');
      const data = JSON.parse(queryOutput) as { products: { nodes: { id: string; name: string }[] } };
      expect(data.products.nodes.map(({ id, name }) => ({ id, name }))).toEqual(expected.data!.products.nodes);

      // The subscription: wait until the gateway holds it (and its upstream to inventory), then change the stock.
      expect(await opened.text('#ws:text-is("connected")', 'the WebSocket to be connected')).toBe('connected');
      await eventually(() => federated.stats.subscribers >= 1 && federated.stats.upstreams >= 1, 'the page’s subscription at the gateway', 10_000);
      const adjusted = await supergraph.query(ADJUST, { productId: watched.productId, warehouseId: watched.warehouseId, delta: 1 }, adminToken);
      expect(adjusted.errors).toBeUndefined();
      const eventsOutput = await opened.text('#events:not([data-count="0"])', 'the stockChanged event in the page');
      const events = JSON.parse(eventsOutput) as { data?: { stockChanged: { availableQuantity: number; product: { id: string } } }; error?: string }[];
      expect(events).toHaveLength(1);
      expect(events[0].error).toBeUndefined();
      const now = await supergraph.query(`query($id: ID) { product(id: $id) { availableQuantity } }`, { id: watched.productId });
      expect(events[0].data!.stockChanged).toMatchObject({
        product: { id: watched.productId },
        availableQuantity: now.data!.product.availableQuantity,
      });
      expect(await opened.text('#subscription-error', 'the subscription error output')).toBe('');

      // What the browser saw: the query's response carried the CORS headers for the page's origin.
      expect(graphqlResponses.length).toBeGreaterThanOrEqual(1);
      const headers = await graphqlResponses[0].allHeaders();
      expect(headers['access-control-allow-origin']).toBe(site.origin);
      expect(opened.log.filter((line) => /CORS|blocked/i.test(line))).toEqual([]);
    } finally {
      await opened.close();
    }
    // Closing the page closes its socket: the gateway lets go of the subscription and its upstream.
    await eventually(() => federated.stats.subscribers === 0 && federated.stats.upstreams === 0, 'the gateway to drop the closed page’s subscription', 10_000);
  }, 45_000);
});

describe('CORS with an explicit list of origins (localhost not allowed)', () => {
  let supergraph: TestSupergraph;
  let allowedSite: StorefrontSite;
  let foreignSite: StorefrontSite;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    allowedSite = await serveStorefront();
    foreignSite = await serveStorefront();
    supergraph = await startTestSupergraph({ gateway: { cors: { origins: [allowedSite.origin, 'https://*.shop.example'], allowLocalhost: false } } });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await allowedSite?.close();
    await foreignSite?.close();
    await supergraph?.stop();
  }, 30_000);

  it('lets the listed origin query from the browser', async () => {
    const opened = await openPage(browser, allowedSite.pageUrl(supergraph.gatewayUrl));
    try {
      const output = await opened.text('#query[data-status]', 'the query result in the page');
      expect({ status: await opened.page.getAttribute('#query', 'data-status'), output }).toMatchObject({ status: 'ok' });
      expect((JSON.parse(output) as { products: { nodes: unknown[] } }).products.nodes).toHaveLength(3);
    } finally {
      await opened.close();
    }
  }, 30_000);

  it('refuses a page from another origin: the browser blocks the request (fetch fails)', async () => {
    const response = await preflight(supergraph.gatewayUrl, foreignSite.origin);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();

    const opened = await openPage(browser, foreignSite.pageUrl(supergraph.gatewayUrl));
    try {
      const output = await opened.text('#query[data-status]', 'the query outcome in the page');
      expect({ status: await opened.page.getAttribute('#query', 'data-status'), output }).toEqual({ status: 'error', output: expect.stringMatching(/Failed to fetch/) });
      expect(opened.log.join('\n')).toMatch(/blocked by CORS policy/);
    } finally {
      await opened.close();
    }
  }, 30_000);

  it('does not treat localhost as allowed when allowLocalhost is off', async () => {
    const response = await preflight(supergraph.gatewayUrl, 'http://localhost:3000');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows origins matching a * pattern, one or more labels deep, and nothing else', async () => {
    for (const origin of ['https://eu.shop.example', 'https://a.b.shop.example']) {
      const response = await preflight(supergraph.gatewayUrl, origin);
      expect({ origin, status: response.status, allowOrigin: response.headers.get('access-control-allow-origin') }).toEqual({ origin, status: 204, allowOrigin: origin });
    }
    for (const origin of ['https://shop.example', 'https://shop.example.evil.com', 'http://eu.shop.example']) {
      const response = await preflight(supergraph.gatewayUrl, origin);
      expect({ origin, allowOrigin: response.headers.get('access-control-allow-origin') }).toEqual({ origin, allowOrigin: null });
    }
  });
});

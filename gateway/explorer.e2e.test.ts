import { inflateSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pino from 'pino';
import { demoCatalog } from '../lib/demo-data';
import { launchChromium } from '../test/browser/browser-harness';
import { TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';
import { demoAdmin, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { eventually } from '../test/wait';
import { explorerTabs } from './explorer';
import { readGatewayConfig } from './gateway.config';
import { startGateway } from './gateway.server';

/**
 * The offline explorer end to end: GraphiQL at /explorer in Debian's
 * Chromium, with every request to a host other than the gateway's aborted
 * (and any such attempt failing the test), runs a canonical query over HTTP
 * and a subscription over graphql-ws, and shows both results.
 */

const ADJUST = `mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) {
  adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: "explorer e2e test") { onHand }
}`;

const demo = demoCatalog();

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/** The distinct colours of a PNG screenshot (8-bit RGB or RGBA, not interlaced: what Chromium writes). */
function distinctColours(png: Buffer): number {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const chunk = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = [chunk[8], chunk[9], chunk[10], chunk[11], chunk[12]];
      expect({ bitDepth, interlace }).toEqual({ bitDepth: 8, interlace: 0 });
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') data.push(chunk);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  let previous = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? line[x - channels] : 0;
      const up = previous[x];
      const upLeft = x >= channels ? previous[x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      line[x] = (line[x] + predictor) & 0xff;
    }
    for (let x = 0; x < stride; x += channels) colours.add((line[x] << 16) | (line[x + 1] << 8) | line[x + 2]);
    previous = line;
  }
  return colours.size;
}

/** Switches to the tab of `operation` and waits until GraphiQL has taken its document in. */
async function openTab(page: Page, operation: string): Promise<void> {
  await page.locator('.graphiql-tab-button', { hasText: operation }).first().click();
  await page.locator('.graphiql-tab-active', { hasText: operation }).waitFor({ timeout: 5_000 });
  await page.locator('.graphiql-query-editor', { hasText: `${operation}(` }).or(page.locator('.graphiql-query-editor', { hasText: `${operation} {` })).first().waitFor({ timeout: 5_000 });
  // GraphiQL reads the operation name from the editor after a short debounce.
  await page.waitForTimeout(500);
}

describe('the offline explorer (GraphiQL at /explorer)', () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  let adminToken: string;

  beforeAll(async () => {
    browser = await launchChromium();
    supergraph = await startTestSupergraph();
    adminToken = await supergraph.tokenFor(demoAdmin);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await supergraph?.stop();
  }, 30_000);

  it('offers the explorer and Apollo Sandbox at /', async () => {
    const root = await fetch(`${supergraph.gateway.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    const html = await root.text();
    expect(html).toContain('href="/explorer"');
    expect(html).toContain('href="/graphql"');
    expect(html).toMatch(/offline/i);
    expect(html).toMatch(/Apollo Sandbox/);
  });

  it('has every canonical operation as a tab, with its fragments and example variables', () => {
    const tabs = explorerTabs({ demoExamples: true });
    const names = tabs.map((tab) => tab.name);
    expect(names.slice(0, 3)).toEqual(['ProductList', 'ProductPage', 'ProductSearch']);
    expect(names).toEqual(expect.arrayContaining(['ProductAvailability', 'OrderStatusChanged', 'Login', 'Checkout']));
    const page = tabs.find((tab) => tab.name === 'ProductPage')!;
    expect(JSON.parse(page.variables)).toEqual({ slug: expect.any(String) });
    expect(demo.products.map((product) => product.slug)).toContain(JSON.parse(page.variables).slug);
    // Fragments the operation spreads (and those they spread) are appended, once each.
    for (const tab of tabs) {
      for (const [, spread] of tab.query.matchAll(/\.\.\.([A-Za-z]\w*)/g)) expect(tab.query).toContain(`fragment ${spread} on`);
    }
    expect(JSON.parse(tabs.find((tab) => tab.name === 'AdminAdjustStock')!.headers)).toEqual({ Authorization: expect.stringMatching(/^Bearer /) });
  });

  it('runs a query and a subscription in Chromium with no request beyond the gateway', async () => {
    const { federated } = supergraph.gateway.subscriptions;
    const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const foreign: string[] = [];
    const log: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      foreign.push(url);
      return route.abort('blockedbyclient');
    });
    const page: Page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('request', (request) => {
      if (!isLocal(request.url())) foreign.push(request.url());
    });
    page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => log.push(`page error: ${error.message}`));
    page.on('response', async (response) => {
      if (response.status() >= 400) log.push(`HTTP ${response.status()} ${response.url()}: ${(await response.text().catch(() => '')).slice(0, 500)}`);
    });
    page.on('requestfailed', (request) => log.push(`request failed: ${request.url()}: ${request.failure()?.errorText ?? '?'}`));
    const failWith = (what: string) => (error: Error) => {
      throw new Error(`${what}: ${error.message.split('\n')[0]}\nPage log:\n${log.join('\n') || '(empty)'}`);
    };
    try {
      const response = await page.goto(`${supergraph.gateway.url}/explorer`, { waitUntil: 'load', timeout: 15_000 });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
      await page.locator('.graphiql-container').waitFor({ timeout: 15_000 }).catch(failWith('GraphiQL did not render'));
      // The headers editor is there.
      await page.getByText('Headers', { exact: true }).first().waitFor({ timeout: 5_000 }).catch(failWith('no headers editor'));

      // A query: the ProductPage tab, run with its example variables.
      const product = demo.products.find((p) => p.slug === JSON.parse(explorerTabs({ demoExamples: true }).find((tab) => tab.name === 'ProductPage')!.variables).slug)!;
      await openTab(page, 'ProductPage');
      await page.locator('.graphiql-execute-button').click();
      const result = page.locator('.graphiql-response');
      await result.getByText(product.name).first().waitFor({ timeout: 15_000 }).catch(failWith('the ProductPage result'));
      expect(await result.textContent()).not.toMatch(/"errors"/);

      // A subscription over graphql-ws on the same /graphql: stockChanged for the example product.
      const subscribed = JSON.parse(explorerTabs({ demoExamples: true }).find((tab) => tab.name === 'ProductAvailability')!.variables).productIds[0] as string;
      const stock = demo.stock.find((s) => s.productId === subscribed)!;
      await openTab(page, 'ProductAvailability');
      await page.locator('.graphiql-execute-button').click();
      await eventually(() => federated.stats.subscribers >= 1 && federated.stats.upstreams >= 1, 'the explorer’s subscription at the gateway', 10_000).catch(failWith('no subscription'));
      const adjusted = await supergraph.query(ADJUST, { productId: stock.productId, warehouseId: stock.warehouseId, delta: 2 }, adminToken);
      expect(adjusted.errors).toBeUndefined();
      const now = await supergraph.query(`query($id: ID) { product(id: $id) { availableQuantity } }`, { id: stock.productId });
      await result.getByText('"stockChanged"').first().waitFor({ timeout: 15_000 }).catch(failWith('the stockChanged event'));
      const event = (await result.textContent()) ?? '';
      expect(event).toContain(stock.productId);
      expect(event).toContain(`"availableQuantity": ${now.data!.product.availableQuantity}`);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
      expect(sockets.every((url) => url === supergraph.gatewayUrl.replace(/^http/, 'ws'))).toBe(true);

      // Something is drawn: a blank page is one or two colours, GraphiQL with results many more.
      const screenshot = await page.screenshot({ type: 'png' });
      expect(distinctColours(screenshot)).toBeGreaterThan(20);

      expect(foreign).toEqual([]);
      expect(log.filter((line) => /page error|Content Security Policy|Refused/i.test(line))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('is off in production unless EXPLORER=true', async () => {
    const subgraphUrls = Object.fromEntries(Object.entries(supergraph.subgraphs).map(([name, s]) => [name, `${s.url}/graphql`]));
    const env = { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, INTERNAL_SECRET: TEST_INTERNAL_SECRET };
    const off = { ...readGatewayConfig(env), host: '127.0.0.1', port: 0, subgraphUrls } as ReturnType<typeof readGatewayConfig>;
    expect(off.explorer.enabled).toBe(false);
    const production = await startGateway(off, pino({ level: 'silent' }));
    try {
      expect((await fetch(`${production.url}/explorer`)).status).toBe(404);
      expect((await fetch(`${production.url}/explorer/assets/graphiql.min.js`)).status).toBe(404);
      expect((await fetch(`${production.url}/`)).status).toBe(404);
    } finally {
      await production.stop();
    }
    const on = { ...readGatewayConfig({ ...env, EXPLORER: 'true' }), host: '127.0.0.1', port: 0, subgraphUrls } as ReturnType<typeof readGatewayConfig>;
    const enabled = await startGateway(on, pino({ level: 'silent' }));
    try {
      const page = await fetch(`${enabled.url}/explorer`);
      expect(page.status).toBe(200);
      const html = await page.text();
      // No demo data in production: the examples hold placeholders, never the demo accounts.
      expect(html).not.toContain('admin-password');
      expect((await fetch(`${enabled.url}/explorer/assets/graphiql.min.js`)).status).toBe(200);
      const root = await (await fetch(`${enabled.url}/`)).text();
      expect(root).toContain('href="/explorer"');
      expect(root).not.toContain('href="/graphql"');
    } finally {
      await enabled.stop();
    }
  }, 30_000);
});

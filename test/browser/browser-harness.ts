/**
 * Wiring for tests that drive a real browser against the supergraph: the
 * storefront in ./app.ts bundled by esbuild into memory, a tiny static server
 * for it on its own origin (127.0.0.1 on a free port, never the gateway's),
 * and Debian's Chromium (`apt-get install chromium`, /usr/bin/chromium)
 * driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's package; .ci/run installs it when missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Debian's Chromium; fails (never skips) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: browser tests need Debian's chromium package ` +
        '(`apt-get install -y chromium`; .ci/run installs it when missing)',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

let bundled: Promise<string> | undefined;

/** The storefront as one browser script (IIFE), built in memory once per test file. */
export function bundleApp(): Promise<string> {
  bundled ??= build({
    entryPoints: [path.join(__dirname, 'app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    // The bundle is short-lived test scaffolding: no minification, no source maps.
    minify: false,
    sourcemap: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  }).then((result) => {
    if (result.outputFiles.length !== 1) throw new Error(`esbuild produced ${result.outputFiles.length} files, expected 1`);
    return result.outputFiles[0].text;
  });
  return bundled;
}

const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Storefront (CORS test)</title></head>
  <body>
    <pre id="query"></pre>
    <output id="ws"></output>
    <pre id="events" data-count="0"></pre>
    <pre id="subscription-error"></pre>
    <script src="/app.js"></script>
  </body>
</html>
`;

export interface StorefrontSite {
  /** Where the page is served from, e.g. http://127.0.0.1:41234 (no trailing slash). */
  origin: string;
  /** The page, wired to a gateway: `gateway` is its /graphql URL; `ids` are products whose stock to watch. */
  pageUrl(gateway: string, options?: { ids?: string[]; ws?: string }): string;
  close(): Promise<void>;
}

/** Serves the storefront page and its bundle from node:http on 127.0.0.1, on a free port. */
export async function serveStorefront(): Promise<StorefrontSite> {
  const script = await bundleApp();
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://site').pathname;
    const headers = { 'cache-control': 'no-store' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
    } else if (pathname === '/') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (pathname === '/app.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else if (pathname === '/favicon.ico') {
      res.writeHead(204, headers).end();
    } else {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (gateway, options = {}) => {
      const params = new URLSearchParams({ http: gateway });
      if (options.ws) params.set('ws', options.ws);
      if (options.ids?.length) params.set('ids', options.ids.join(','));
      return `${origin}/?${params}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export interface OpenedPage {
  page: Page;
  /** Console messages, page errors and failed requests, in order: for failure messages. */
  log: string[];
  /** Waits until `selector` matches and returns its text; on timeout fails with `what`, the page's outputs and log. */
  text(selector: string, what: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens `url` in a fresh browser context (no shared cache or cookies);
 * `beforeLoad` runs first (listeners that must see the page's first requests).
 */
export async function openPage(browser: Browser, url: string, beforeLoad?: (page: Page) => void): Promise<OpenedPage> {
  const context: BrowserContext = await browser.newContext();
  const page = await context.newPage();
  beforeLoad?.(page);
  const log: string[] = [];
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => log.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => log.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText ?? '?'}`));
  const text = async (selector: string, what: string, timeoutMs = 15_000) => {
    const locator = page.locator(selector);
    try {
      await locator.waitFor({ state: 'attached', timeout: timeoutMs });
      return (await locator.textContent({ timeout: 1_000 })) ?? '';
    } catch (error) {
      const outputs = await page
        .evaluate(`['query', 'ws', 'events', 'subscription-error'].map((id) => '#' + id + ': ' + (document.getElementById(id)?.textContent ?? '(missing)')).join('\\n')`)
        .catch((evaluateError: Error) => `(page not readable: ${evaluateError.message})`);
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (${selector}).\nPage outputs:\n${outputs}\nPage log:\n${log.join('\n') || '(empty)'}\n(${(error as Error).message.split('\n')[0]})`);
    }
  };
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  } catch (error) {
    await context.close();
    throw error;
  }
  return { page, log, text, close: () => context.close() };
}

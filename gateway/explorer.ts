import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type TypeNode } from 'graphql';
import type { Express, Request, RequestHandler, Response } from 'express';
import { bool } from '../lib/config';
import { DEMO_USERS, DEMO_WAREHOUSES, demoCatalog } from '../lib/demo-data';
import { schemaDir } from '../lib/paths';
import { StartupError } from '../lib/startup-error';

/**
 * The offline explorer: GraphiQL served by the gateway itself at /explorer,
 * from the installed `graphiql` package (its UMD bundle) and React's UMD
 * builds, with graphql-ws's browser build for subscriptions. Nothing is
 * loaded from a CDN, so it works without internet, unlike Apollo Sandbox.
 *
 * The canonical client operations (schema/operations/*.graphql) are its
 * tabs, each with the fragments it uses and example variables from the demo
 * data (outside production).
 */
export interface ExplorerConfig {
  enabled: boolean;
  /** Example variables from the demo data (it exists outside production only). */
  demoExamples: boolean;
}

export const explorerEnv = {
  EXPLORER: bool({ default: undefined, desc: 'serve the GraphiQL explorer at /explorer; on outside production by default' }),
};

export function explorerConfig(values: { EXPLORER?: boolean }, production: boolean): ExplorerConfig {
  return { enabled: values.EXPLORER ?? !production, demoExamples: !production };
}

/** The browser files, from the installed packages (never a CDN), by the name they are served under. */
function assetFiles(): Record<string, string> {
  const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
  return {
    'graphiql.min.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
    'graphiql.min.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
    'react.production.min.js': path.join(packageDir('react'), 'umd', 'react.production.min.js'),
    'react-dom.production.min.js': path.join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
    'graphql-ws.min.js': path.join(packageDir('graphql-ws'), 'umd', 'graphql-ws.min.js'),
  };
}

export interface ExplorerTab {
  /** The operation's name, e.g. ProductPage. */
  name: string;
  /** The operation file's text followed by the fragments it uses. */
  query: string;
  /** JSON. */
  variables: string;
  /** JSON. */
  headers: string;
}

/** Shown first, in this order; the others follow alphabetically. */
const FIRST = ['ProductList', 'ProductPage', 'ProductSearch', 'Categories', 'ProductAvailability', 'Login', 'Viewer', 'AdminAdjustStock'];

/** Operations that need a signed-in user (a customer or an ADMIN): their tabs carry an Authorization header to fill in. */
const NEEDS_VIEWER = /^(Viewer|MyOrders|OrderDetails|CancelOrder|Checkout|AddAddress|MergeGuestCart|OrderStatusChanged|Admin\w+)$/;

const AUTHORIZATION_HINT = 'Bearer <accessToken from the Login tab>';

/** Example variables from the demo shop (seeded by `npm start`). */
function demoVariables(): Record<string, Record<string, unknown>> {
  const demo = demoCatalog();
  const stock = demo.stock.find((s) => s.onHand > 5) ?? demo.stock[0];
  const product = demo.products.find((p) => p.id === stock.productId) ?? demo.products[0];
  const category = demo.categories.find((c) => c.parentId !== null) ?? demo.categories[0];
  const warehouse = DEMO_WAREHOUSES.find((w) => w.id === stock.warehouseId) ?? DEMO_WAREHOUSES[0];
  const admin = DEMO_USERS.find((u) => u.role === 'ADMIN')!;
  const address = { line1: '1 Example Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' };
  return {
    ProductList: { categoryId: category.id, first: 5 },
    ProductPage: { slug: product.slug },
    ProductSearch: { search: product.name.split(' ')[0], first: 5 },
    ProductAvailability: { productIds: [product.id] },
    Login: { email: admin.email, password: admin.password },
    AdminAdjustStock: { productId: product.id, warehouseId: warehouse.id, delta: 5, reason: 'delivery' },
    AdminProductStock: { id: product.id },
    AdminUpdateProduct: { id: product.id, input: { priceAmount: product.priceAmount } },
    AdminUpdateCategory: { id: category.id, input: { name: category.name } },
    AdminCreateProduct: { input: { sku: 'NEW-0001', name: 'New product', description: 'Made in the explorer', priceAmount: 1999, categoryId: category.id } },
    AddToCart: { productId: product.id, quantity: 1 },
    Checkout: { input: { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: 'explorer-checkout-1' } },
    AddAddress: { input: address },
  };
}

/** Placeholders from the variable definitions: what a required variable needs, nothing for optional ones. */
function placeholderVariables(operation: OperationDefinitionNode): Record<string, unknown> {
  const placeholder = (type: TypeNode): unknown => {
    if (type.kind === Kind.NON_NULL_TYPE) return placeholder(type.type);
    if (type.kind === Kind.LIST_TYPE) return [];
    switch (type.name.value) {
      case 'Int':
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'ID':
      case 'String':
        return '';
      default:
        return {};
    }
  };
  return Object.fromEntries(
    (operation.variableDefinitions ?? [])
      .filter((definition) => definition.type.kind === Kind.NON_NULL_TYPE && !definition.defaultValue)
      .map((definition) => [definition.variable.name.value, placeholder(definition.type)]),
  );
}

/** The fragment names `node` spreads, directly or through other fragments. */
function fragmentsUsed(node: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>, found = new Set<string>()): Set<string> {
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const record = value as { kind?: string; name?: { value: string } };
      if (record.kind === Kind.FRAGMENT_SPREAD && record.name && !found.has(record.name.value)) {
        found.add(record.name.value);
        const fragment = fragments.get(record.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
      for (const [key, child] of Object.entries(value)) if (key !== 'loc') walk(child);
    }
  };
  walk(node);
  return found;
}

/** The canonical operations as GraphiQL tabs (read once, at start). */
export function explorerTabs(options: { demoExamples: boolean; operationsDir?: string }): ExplorerTab[] {
  const dir = options.operationsDir ?? path.join(schemaDir(), 'operations');
  const files = readdirSync(dir).filter((file) => file.endsWith('.graphql')).sort();
  const sources = files.map((file) => ({ file, text: readFileSync(path.join(dir, file), 'utf8') }));
  const parsed = sources.map((source) => ({ ...source, document: parse(source.text) as DocumentNode }));
  const fragments = new Map<string, FragmentDefinitionNode>();
  const fragmentText = new Map<string, string>();
  for (const { text, document } of parsed) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        fragments.set(definition.name.value, definition);
        fragmentText.set(definition.name.value, text.slice(definition.loc!.start, definition.loc!.end));
      }
    }
  }
  const examples = options.demoExamples ? demoVariables() : {};
  const tabs: ExplorerTab[] = [];
  for (const { text, document } of parsed) {
    const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    if (!operation?.name) continue;
    const name = operation.name.value;
    const used = [...fragmentsUsed(operation, fragments)].filter((fragment) => !text.includes(`fragment ${fragment} `));
    const query = [text.trimEnd(), ...used.map((fragment) => fragmentText.get(fragment)!)].join('\n\n') + '\n';
    const variables = examples[name] ?? placeholderVariables(operation);
    const headers = NEEDS_VIEWER.test(name) ? { Authorization: AUTHORIZATION_HINT } : {};
    tabs.push({ name, query, variables: JSON.stringify(variables, null, 2), headers: JSON.stringify(headers, null, 2) });
  }
  const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);
  return tabs.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/**
 * Mounts GraphiQL on the page: HTTP for queries and mutations, graphql-ws on
 * the same /graphql for subscriptions (the headers editor's values become the
 * socket's connection parameters, as the gateway reads them). Runs in the
 * browser; served as a file so the page needs no inline script (CSP).
 */
const BROWSER_SCRIPT = `(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('explorer-config').textContent);
  var httpUrl = location.origin + '/graphql';
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  var http = GraphiQL.createFetcher({ url: httpUrl });
  var sockets = {};
  function socketFor(headers) {
    var params = {};
    Object.keys(headers || {}).forEach(function (name) {
      if (typeof headers[name] === 'string') params[name.toLowerCase()] = headers[name];
    });
    var key = JSON.stringify(params);
    if (!sockets[key]) sockets[key] = graphqlWs.createClient({ url: wsUrl, connectionParams: params, lazy: true, retryAttempts: 3 });
    return sockets[key];
  }
  function isSubscription(params, opts) {
    var document = opts && opts.documentAST;
    if (document) {
      return document.definitions.some(function (definition) {
        return definition.kind === 'OperationDefinition' && definition.operation === 'subscription' &&
          (!params.operationName || (definition.name && definition.name.value === params.operationName));
      });
    }
    return /^\\s*subscription\\b/m.test(params.query || '');
  }
  function fetcher(params, opts) {
    if (!isSubscription(params, opts)) return http(params, opts);
    var client = socketFor(opts && opts.headers);
    return client.iterate({ query: params.query, variables: params.variables || undefined, operationName: params.operationName || undefined });
  }
  // The browser keeps tabs, history and theme, under a key of this set of operations: when they
  // change, the canonical tabs come back instead of stale stored ones.
  var prefix = 'commerce-explorer:' + config.revision + ':';
  var storage = {
    getItem: function (key) { try { return localStorage.getItem(prefix + key); } catch (e) { return null; } },
    setItem: function (key, value) { localStorage.setItem(prefix + key, value); },
    removeItem: function (key) { try { localStorage.removeItem(prefix + key); } catch (e) {} },
    clear: function () {
      try {
        Object.keys(localStorage).forEach(function (key) { if (key.indexOf(prefix) === 0) localStorage.removeItem(key); });
      } catch (e) {}
    },
    get length() {
      try { return Object.keys(localStorage).filter(function (key) { return key.indexOf(prefix) === 0; }).length; } catch (e) { return 0; }
    },
  };
  var tabs = config.tabs.map(function (tab) {
    return { query: tab.query, variables: tab.variables, headers: tab.headers };
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs,
      defaultQuery: tabs.length ? tabs[0].query : undefined,
      isHeadersEditorEnabled: true,
      defaultHeaders: '{}',
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
      storage: storage,
    }),
  );
})();
`;

/** JSON inside a <script type="application/json">: nothing in it may close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function explorerPage(tabs: ExplorerTab[], version: string): string {
  const v = encodeURIComponent(version);
  const revision = createHash('sha256').update(version).update(JSON.stringify(tabs)).digest('hex').slice(0, 12);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Explorer · Commerce supergraph</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/explorer/assets/graphiql.min.css?v=${v}">
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <div id="graphiql"><noscript>The explorer (GraphiQL) needs JavaScript.</noscript></div>
    <script type="application/json" id="explorer-config">${scriptJson({ tabs, revision })}</script>
    <script src="/explorer/assets/react.production.min.js?v=${v}"></script>
    <script src="/explorer/assets/react-dom.production.min.js?v=${v}"></script>
    <script src="/explorer/assets/graphql-ws.min.js?v=${v}"></script>
    <script src="/explorer/assets/graphiql.min.js?v=${v}"></script>
    <script src="/explorer/explorer.js?v=${v}"></script>
  </body>
</html>
`;
}

function rootPage(options: { explorer: boolean; sandbox: boolean }): string {
  const choices = [
    options.explorer
      ? '<li><a href="/explorer">Explorer (GraphiQL)</a>: served by this gateway, works offline. The storefront\'s operations are ready in its tabs.</li>'
      : '',
    options.sandbox
      ? '<li><a href="/graphql">Apollo Sandbox</a>: loaded from Apollo\'s servers, needs internet.</li>'
      : '',
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Commerce supergraph</title>
    <link rel="icon" href="data:,">
    <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; } li { margin: .5rem 0; }</style>
  </head>
  <body>
    <h1>Commerce supergraph</h1>
    <p>The GraphQL endpoint is <code>/graphql</code> (HTTP, and graphql-ws for subscriptions). Explore it with:</p>
    <ul>
      ${choices.join('\n      ')}
    </ul>
  </body>
</html>
`;
}

/** Only the gateway's own origin: the explorer works without any other host. */
const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // GraphiQL and CodeMirror set styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // 'self' covers ws: and wss: on the same host in current browsers.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ROOT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function securityHeaders(res: Response, csp: string): void {
  res.set({
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
}

/**
 * `/`: a page to choose the explorer or Apollo Sandbox (when either is on);
 * `/explorer` and its files when the explorer is on. Missing browser files
 * (an install without them) stop the start, naming EXPLORER.
 */
export function useExplorer(app: Express, options: { explorer: ExplorerConfig; sandbox: boolean }): void {
  const { explorer, sandbox } = options;
  if (explorer.enabled || sandbox) {
    const page = rootPage({ explorer: explorer.enabled, sandbox });
    app.get('/', (_req, res) => {
      securityHeaders(res, ROOT_CSP);
      res.type('html').set('cache-control', 'no-cache').send(page);
    });
  }
  if (!explorer.enabled) return;

  const files = assetFiles();
  const missing = Object.values(files).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new StartupError(`the explorer's browser files are missing (${missing.join(', ')}): run \`npm install\`, or set EXPLORER=false`, 'EXPLORER');
  }
  const version = (JSON.parse(readFileSync(require.resolve('graphiql/package.json'), 'utf8')) as { version: string }).version;
  const page = explorerPage(explorerTabs({ demoExamples: explorer.demoExamples }), version);

  app.get('/explorer', (_req, res) => {
    securityHeaders(res, EXPLORER_CSP);
    res.type('html').set('cache-control', 'no-cache').send(page);
  });
  app.get('/explorer/explorer.js', (_req, res) => {
    res.type('js').set('cache-control', 'no-cache').set('x-content-type-options', 'nosniff').send(BROWSER_SCRIPT);
  });
  const asset: RequestHandler = (req: Request, res: Response, next) => {
    const file = files[req.params.file as string];
    if (!file) return next();
    res.set('x-content-type-options', 'nosniff');
    res.sendFile(file, { maxAge: '1d' });
  };
  app.get('/explorer/assets/:file', asset);
}

/**
 * A tiny storefront for end-to-end tests of cross-origin access: bundled by
 * esbuild at test time (see ./browser-harness.ts) and run in Chromium from an
 * origin other than the gateway's. Apollo Client 4 sends queries over HTTP
 * (HttpLink) and subscriptions over graphql-ws (GraphQLWsLink), split by
 * operation type, exactly as a real browser app would.
 *
 * Settings come from the page's query string:
 *   http  the gateway's /graphql URL (required)
 *   ws    its WebSocket URL (default: http with ws: / wss:)
 *   ids   comma-separated product ids to watch with stockChanged (none: no subscription)
 *
 * Results are written into the page for the test to read:
 *   <pre id="query" data-status="ok|error">  the query's data as JSON, or the error message
 *   <output id="ws">                         connecting | connected | closed <code> <reason> | error
 *   <pre id="events" data-count="n">         every stockChanged result so far, as a JSON array
 *   <pre id="subscription-error">            the subscription's error, if it fails
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';

// The project type-checks against Node's types only (no DOM lib); this is all of the DOM the app uses.
interface OutputElement {
  textContent: string | null;
  setAttribute(name: string, value: string): void;
}
declare const document: { getElementById(id: string): OutputElement | null };
declare const location: { search: string };

const PRODUCTS = gql`
  query BrowserProducts {
    products(first: 3) {
      nodes {
        id
        name
      }
    }
  }
`;

const STOCK_CHANGED = gql`
  subscription BrowserStockChanged($ids: [ID!]) {
    stockChanged(productIds: $ids) {
      availableQuantity
      product {
        id
      }
    }
  }
`;

function output(id: string): OutputElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  // graphql-ws fails a subscription with the socket's CloseEvent.
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  if (typeof code === 'number') return `socket closed: ${code} ${String(reason ?? '')}`.trim();
  return String(error);
}

function main(): void {
  const params = new URLSearchParams(location.search);
  const httpUrl = params.get('http');
  if (!httpUrl) throw new Error('the page needs ?http=<gateway /graphql URL>');
  const wsUrl = params.get('ws') ?? httpUrl.replace(/^http/, 'ws');
  const ids = (params.get('ids') ?? '').split(',').filter(Boolean);

  const status = output('ws');
  status.textContent = 'connecting';
  const wsClient = createClient({
    url: wsUrl,
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => {
        status.textContent = 'connected';
      },
      closed: (event) => {
        const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
        status.textContent = `closed ${code ?? ''} ${reason ?? ''}`.trim();
      },
      error: () => {
        status.textContent = 'error';
      },
    },
  });

  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: httpUrl }),
  );
  const client = new ApolloClient({
    link,
    cache: new InMemoryCache(),
    // Sends apollographql-client-name/-version: non-safelisted headers the gateway must allow.
    clientAwareness: { name: 'cors-e2e-storefront', version: '1.0.0' },
  });

  const query = output('query');
  client.query({ query: PRODUCTS, fetchPolicy: 'network-only' }).then(
    (result) => {
      query.textContent = JSON.stringify(result.data);
      query.setAttribute('data-status', 'ok');
    },
    (error: unknown) => {
      query.textContent = describeError(error);
      query.setAttribute('data-status', 'error');
    },
  );

  if (ids.length === 0) return;
  const events = output('events');
  const received: unknown[] = [];
  client.subscribe({ query: STOCK_CHANGED, variables: { ids } }).subscribe({
    next: (result) => {
      received.push(result.error ? { data: result.data ?? null, error: describeError(result.error) } : { data: result.data });
      events.textContent = JSON.stringify(received);
      events.setAttribute('data-count', String(received.length));
    },
    error: (error: unknown) => {
      output('subscription-error').textContent = describeError(error);
    },
  });
}

try {
  main();
} catch (error) {
  const query = document.getElementById('query');
  if (query) {
    query.textContent = describeError(error);
    query.setAttribute('data-status', 'error');
  }
  throw error;
}

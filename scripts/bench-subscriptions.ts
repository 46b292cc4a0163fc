import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { runMain } from '../lib/entry-point';

/**
 * Subscription load benchmark against a running gateway (e.g. `npm start`):
 * opens N WebSocket connections each subscribed to stockChanged, fires stock
 * changes through adjustStock, and prints connections held, events delivered,
 * delivery latency (from sending the mutation to the event reaching each
 * client) and the server's memory.
 *
 *   npm run bench:subscriptions -- --subscribers 1000 --events 20
 *
 * Options: --gateway URL (http://localhost:4000/graphql), --subscribers N
 * (1000), --events N (20), --interval ms between events (250), --email and
 * --password of an ADMIN (the demo admin).
 */
interface Options {
  gateway: string;
  subscribers: number;
  events: number;
  interval: number;
  email: string;
  password: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    gateway: 'http://localhost:4000/graphql',
    subscribers: 1000,
    events: 20,
    interval: 250,
    email: 'admin@example.com',
    password: 'admin-password',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    if (!(key in options)) throw new Error(`Unknown option ${argv[i]}`);
    const value = argv[i + 1];
    (options as unknown as Record<string, unknown>)[key] = typeof options[key] === 'number' ? Number(value) : value;
  }
  return options;
}

async function graphql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function serverMemory(gateway: string): Promise<string> {
  try {
    const text = await (await fetch(gateway.replace(/\/graphql$/, '/metrics'))).text();
    const rss = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
    const heap = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
    if (rss) return `rss ${(Number(rss[1]) / 2 ** 20).toFixed(0)} MiB${heap ? `, heap used ${(Number(heap[1]) / 2 ** 20).toFixed(0)} MiB` : ''}`;
  } catch {
    // fall through
  }
  return 'n/a (no /metrics)';
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (message: string) => process.stdout.write(`${message}\n`);
  const { login } = await graphql<{ login: { accessToken: string } }>(
    options.gateway,
    'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
    { email: options.email, password: options.password },
  );
  const token = login.accessToken;
  const { warehouses } = await graphql<{ warehouses: { id: string }[] }>(options.gateway, '{ warehouses { id } }', {}, token);
  const { products } = await graphql<{ products: { nodes: { id: string; name: string }[] } }>(options.gateway, '{ products(first: 1, sort: NAME_ASC) { nodes { id name } } }', {});
  const product = products.nodes[0];
  log(`benchmark: ${options.subscribers} subscribers, ${options.events} events on "${product.name}" via ${options.gateway}`);
  log(`server memory before: ${await serverMemory(options.gateway)}`);

  const query = 'subscription($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity product { id name price { formatted } } } }';
  const clients: Client[] = [];
  const arrivals = new Map<number, number[]>(); // availableQuantity -> arrival times
  let connected = 0;
  let received = 0;
  const startedConnecting = Date.now();
  for (let i = 0; i < options.subscribers; i += 1) {
    const client = createClient({
      url: options.gateway.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      on: { connected: () => (connected += 1) },
    });
    clients.push(client);
    client.subscribe<{ stockChanged: { availableQuantity: number } }>(
      { query, variables: { ids: [product.id] } },
      {
        next: ({ data }) => {
          received += 1;
          const at = performance.now();
          const key = data!.stockChanged.availableQuantity;
          const list = arrivals.get(key);
          if (list) list.push(at);
          else arrivals.set(key, [at]);
        },
        error: (error) => log(`subscription error: ${JSON.stringify(error).slice(0, 200)}`),
        complete: () => undefined,
      },
    );
    if (i % 250 === 249) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  while (connected < options.subscribers && Date.now() - startedConnecting < 60_000) await new Promise((resolve) => setTimeout(resolve, 100));
  log(`connections held: ${connected}/${options.subscribers} (in ${((Date.now() - startedConnecting) / 1000).toFixed(1)} s)`);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // subscribe messages settle

  const adjust = 'mutation($p: ID!, $w: ID!, $d: Int!) { adjustStock(productId: $p, warehouseId: $w, delta: $d, reason: "benchmark") { available } }';
  const availability = 'query($id: ID) { product(id: $id) { availableQuantity } }';
  // Warm-up event: plans and connections are ready before measuring.
  await graphql(options.gateway, adjust, { p: product.id, w: warehouses[0].id, d: 1 }, token);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  arrivals.clear();
  received = 0;
  const { product: baseline } = await graphql<{ product: { availableQuantity: number } }>(options.gateway, availability, { id: product.id });
  // Each event adds one unit, so event i carries availableQuantity baseline + i + 1: that is how arrivals are matched to sends.
  const sentAt = new Map<number, number>();
  for (let i = 0; i < options.events; i += 1) {
    sentAt.set(baseline.availableQuantity + i + 1, performance.now());
    await graphql(options.gateway, adjust, { p: product.id, w: warehouses[0].id, d: 1 }, token);
    await new Promise((resolve) => setTimeout(resolve, options.interval));
  }
  const deadline = Date.now() + 15_000;
  while (received < options.subscribers * options.events && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

  const latencies: number[] = [];
  for (const [quantity, times] of arrivals) {
    const sent = sentAt.get(quantity);
    if (sent !== undefined) for (const at of times) latencies.push(at - sent);
  }
  latencies.sort((a, b) => a - b);
  log(`events delivered: ${received}/${options.subscribers * options.events}`);
  log(`delivery latency: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1]?.toFixed(1)} ms`);
  log(`server memory with ${connected} subscribers: ${await serverMemory(options.gateway)}`);
  log(`benchmark client memory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await Promise.all(clients.map((client) => client.dispose()));
}

runMain(main);

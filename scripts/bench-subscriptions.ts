import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { runMain } from '../lib/entry-point';
import { percentile } from './bench/load';
import type { ParentMessage, WorkerMessage } from './bench/subscription-clients';

/**
 * Subscription load benchmark against a running gateway (e.g. `npm start`):
 * opens N WebSocket connections each subscribed to stockChanged, fires stock
 * changes through adjustStock, and prints connections held, events delivered,
 * delivery latency (from sending the mutation to the event reaching each
 * client) and the server's memory.
 *
 *   npm run bench:subscriptions -- --subscribers 1000 --events 20
 *
 * The connections are spread over client processes (forked
 * scripts/bench/subscription-clients.ts), so the benchmark is bound neither
 * by one process's open-file limit (`ulimit -n`) nor by one event loop
 * parsing every event; each process reports its arrival times back here.
 *
 * Options: --gateway URL (http://localhost:4000/graphql), --subscribers N
 * (1000), --events N (20), --interval ms between events (250), --processes N
 * of client processes (0: one per --perProcess subscribers, 2500), --connectBatch
 * clients opened every 20 ms by all processes together (250), --perEvent 1 to
 * print each event's p50 and max as well, --email and
 * --password of an ADMIN (the demo admin). The gateway must allow that many
 * WebSocket connections from 127.0.0.1 (WS_MAX_CONNECTIONS_PER_IP) and be
 * run with RATE_LIMIT_MODE=off.
 */
interface Options {
  gateway: string;
  subscribers: number;
  events: number;
  interval: number;
  processes: number;
  perProcess: number;
  /** 1: also a line per event (its p50 and max), to see whether latency builds up over the run. */
  perEvent: number;
  connectBatch: number;
  email: string;
  password: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    gateway: 'http://localhost:4000/graphql',
    subscribers: 1000,
    events: 20,
    interval: 250,
    processes: 0,
    perProcess: 2500,
    perEvent: 0,
    connectBatch: 250,
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

/** The server's RSS and used heap in bytes from /metrics, or null without one. */
async function serverMemoryBytes(gateway: string): Promise<{ rss: number; heap: number | null } | null> {
  try {
    const text = await (await fetch(gateway.replace(/\/graphql$/, '/metrics'))).text();
    const rss = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
    const heap = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
    if (rss) return { rss: Number(rss[1]), heap: heap ? Number(heap[1]) : null };
  } catch {
    // fall through
  }
  return null;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function serverMemory(gateway: string): Promise<string> {
  const memory = await serverMemoryBytes(gateway);
  if (!memory) return 'n/a (no /metrics)';
  return `rss ${mib(memory.rss)}${memory.heap !== null ? `, heap used ${mib(memory.heap)}` : ''}`;
}

interface ClientProcess {
  child: ChildProcess;
  clients: number;
  /** The next message of this type from the process. */
  next<T extends WorkerMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<WorkerMessage, { type: T }>>;
  send(message: ParentMessage): void;
}

/** Forks one client process (scripts/bench/subscription-clients.ts) holding `clients` connections. */
function forkClientProcess(clients: number, log: (message: string) => void): ClientProcess {
  const child = fork(path.join(__dirname, 'bench', 'subscription-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<string, ((message: WorkerMessage) => void)[]>();
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'error') return log(`client process ${child.pid}: ${message.message}`);
    const queue = waiting.get(message.type);
    queue?.shift()?.(message);
  });
  return {
    child,
    clients,
    send: (message) => child.send(message),
    next: (type, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`client process ${child.pid} did not answer ${type} within ${timeoutMs} ms`)), timeoutMs);
        const queue = waiting.get(type) ?? [];
        queue.push((message) => {
          clearTimeout(timer);
          resolve(message as never);
        });
        waiting.set(type, queue);
      }),
  };
}

async function counts(processes: ClientProcess[]): Promise<{ received: number; connected: number }> {
  const answers = await Promise.all(
    processes.map((p) => {
      const answer = p.next('count', 10_000);
      p.send({ type: 'count' });
      return answer;
    }),
  );
  return answers.reduce((sum, a) => ({ received: sum.received + a.received, connected: sum.connected + a.connected }), { received: 0, connected: 0 });
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
  const processCount = options.processes > 0 ? options.processes : Math.max(1, Math.ceil(options.subscribers / options.perProcess));
  log(`benchmark: ${options.subscribers} subscribers in ${processCount} client processes, ${options.events} events on "${product.name}" via ${options.gateway}`);
  log(`server memory before: ${await serverMemory(options.gateway)}`);

  const query = 'subscription($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity product { id name price { formatted } } } }';
  const processes: ClientProcess[] = [];
  try {
    const startedConnecting = Date.now();
    // The connection rate is shared by all processes: together they open `connectBatch` clients every 20 ms.
    const batch = Math.max(1, Math.floor(options.connectBatch / processCount));
    for (let i = 0; i < processCount; i += 1) {
      const share = Math.floor(options.subscribers / processCount) + (i < options.subscribers % processCount ? 1 : 0);
      const client = forkClientProcess(share, log);
      processes.push(client);
      client.send({ type: 'start', url: options.gateway.replace(/^http/, 'ws'), query, variables: { ids: [product.id] }, clients: share, batch, batchDelayMs: 20 });
    }
    let connected = 0;
    while (Date.now() - startedConnecting < 60_000) {
      ({ connected } = await counts(processes));
      if (connected >= options.subscribers) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log(`connections held: ${connected}/${options.subscribers} in ${processCount} client processes (in ${((Date.now() - startedConnecting) / 1000).toFixed(1)} s)`);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // subscribe messages settle

    const adjust = 'mutation($p: ID!, $w: ID!, $d: Int!) { adjustStock(productId: $p, warehouseId: $w, delta: $d, reason: "benchmark") { available } }';
    const availability = 'query($id: ID) { product(id: $id) { availableQuantity } }';
    // Warm-up event: plans and connections are ready, and every subscription is in place, before measuring.
    await graphql(options.gateway, adjust, { p: product.id, w: warehouses[0].id, d: 1 }, token);
    const warmUpDeadline = Date.now() + 30_000;
    while ((await counts(processes)).received < connected && Date.now() < warmUpDeadline) await new Promise((resolve) => setTimeout(resolve, 250));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const p of processes) p.send({ type: 'reset' });
    await counts(processes); // messages to one process arrive in order: the reset is done
    const { product: baseline } = await graphql<{ product: { availableQuantity: number } }>(options.gateway, availability, { id: product.id });
    // Each event adds one unit, so event i carries availableQuantity baseline + i + 1: that is how arrivals are matched to sends.
    const sentAt = new Map<number, number>();
    // The RSS at the end depends on when the collector last ran: the peak while events flow is reported too.
    let peakRss = 0;
    const sampleRss = () => void serverMemoryBytes(options.gateway).then((memory) => (peakRss = Math.max(peakRss, memory?.rss ?? 0)));
    for (let i = 0; i < options.events; i += 1) {
      sentAt.set(baseline.availableQuantity + i + 1, performance.timeOrigin + performance.now());
      await graphql(options.gateway, adjust, { p: product.id, w: warehouses[0].id, d: 1 }, token);
      setTimeout(sampleRss, options.interval / 2);
      await new Promise((resolve) => setTimeout(resolve, options.interval));
    }
    const expected = options.subscribers * options.events;
    const deadline = Date.now() + 15_000;
    while ((await counts(processes)).received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

    const collected = await Promise.all(
      processes.map((p) => {
        const answer = p.next('collected', 30_000);
        p.send({ type: 'collect' });
        return answer;
      }),
    );
    let received = 0;
    let clientRss = 0;
    const latencies: number[] = [];
    for (const answer of collected) {
      received += answer.received;
      clientRss += answer.rss;
      for (const [quantity, times] of answer.arrivals) {
        const sent = sentAt.get(quantity);
        if (sent !== undefined) for (const at of times) latencies.push(at - sent);
      }
    }
    latencies.sort((a, b) => a - b);
    if (options.perEvent) {
      for (const [quantity, sent] of sentAt) {
        const times = collected.flatMap((answer) => answer.arrivals.find(([q]) => q === quantity)?.[1] ?? []).map((at) => at - sent).sort((a, b) => a - b);
        log(`  event ${quantity}: ${times.length} delivered, p50 ${percentile(times, 50).toFixed(1)} ms, max ${times[times.length - 1]?.toFixed(1)} ms`);
      }
    }
    log(`events delivered: ${received}/${expected}`);
    log(`delivery latency: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1]?.toFixed(1)} ms`);
    log(`server memory with ${connected} subscribers: ${await serverMemory(options.gateway)}${peakRss ? ` (rss peak while events flowed ${mib(peakRss)})` : ''}`);
    log(`benchmark client memory: ${processCount} client processes, rss ${(clientRss / 2 ** 20).toFixed(0)} MiB in all (parent ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
  } finally {
    await Promise.all(
      processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              p.child.kill('SIGKILL');
              resolve();
            }, 10_000);
            p.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            p.send({ type: 'stop' });
          }),
      ),
    );
  }
}

runMain(main);

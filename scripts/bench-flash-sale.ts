import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client } from 'pg';
import { request, type Agent } from 'undici';
import { signAccessToken } from '../lib/access-token';
import { databaseName, databaseUrl } from '../lib/database';
import { DEMO_USERS, DEMO_WAREHOUSES, demoCatalog, type DemoProduct } from '../lib/demo-data';
import { runMain } from '../lib/entry-point';
import { ErrorCode } from '../lib/errors';
import { Role } from '../lib/identity';
import { seededRandom } from '../lib/seeded-random';
import { createAgent, headersOf, percentile, send, type Target } from './bench/load';
import { cleanUpOnSignals, dropDatabases, SplitDeployment } from './bench/split-deployment';
import { storefrontOperation } from './bench/workloads';
import { processTree } from './processes';

/**
 * Flash-sale benchmark: many signed-in buyers check out at the same instant,
 * all of one product with little stock ("hot"), or each a different product
 * ("spread"), and what they were told is compared with what the databases
 * say afterwards (orders, stock). Buyers behave like real clients: one told
 * CHECKOUT_BUSY waits the Retry-After and tries again with the same
 * idempotency key. It prints figures; it is not a test.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:flash-sale
 *   npm run bench:flash-sale -- --buyers 300 --units 100 --others 50 --settle-seconds 60 --follow-retry-after off
 *   (or, built already: DATABASE_URL=... node dist/scripts/bench-flash-sale.js [options])
 *
 * Options: --buyers N (200), --units S (150), --others N (50),
 * --settle-seconds N (30), --max-attempts N (20: checkouts per buyer at
 * most), --follow-retry-after on|off (on: a buyer answered
 * CHECKOUT_BUSY waits and retries; off: that answer is final).
 *
 * Deployment: the databases bench_flash_<subgraph> are dropped (WITH (FORCE))
 * and seeded afresh with the demo shop (dist/scripts/seed.js), then the five
 * subgraphs and one gateway start from dist/ as separate processes on
 * 127.0.0.1 (scripts/bench/split-deployment.ts, as bench:gateway), with
 * NODE_ENV=production, RATE_LIMIT_MODE=off (the benchmark is one client
 * machine), random INTERNAL_SECRET and JWT_SECRET, every other setting the
 * production default. Redis: REDIS_URL when set, else a private redis-server.
 *
 * Buyers are signed-in customers with a fresh random user id each and a
 * CUSTOMER access token signed with the deployment's JWT_SECRET (checkout
 * does not need them known to users; a preflight checkout checks that). Stock
 * is set with the ADMIN operations (admin-product-stock, admin-adjust-stock)
 * through the gateway, as the demo ADMIN.
 *
 * A buyer: one `checkout` (schema/operations/checkout.graphql, tok_visa, an
 * Amsterdam address, an idempotency key of their own). Answered
 * CHECKOUT_BUSY (and --follow-retry-after on), the buyer sleeps the
 * HTTP Retry-After header's seconds (else extensions.retryAfterSeconds, else
 * 1 s) and sends the same checkout again (same idempotency key), until a
 * definite answer (PAID, PENDING, OUT_OF_STOCK or any other error) or
 * --max-attempts checkouts. Each attempt is one answer; the last is the
 * buyer's final answer.
 *
 * Scenarios, in this order, each: setup (every buyer adds 1 unit to their
 * own cart, 8 at a time, not timed), a probe (a my-orders query and a
 * checkout of 1 unit of a product outside the scenario, each retried 1 s
 * apart, same idempotency key, until it succeeds: circuit breakers an
 * earlier burst left open or half-open are closed again, and what that took
 * is logged), the burst's connections opened, then every buyer started at
 * the same instant on one undici Agent with a connection per buyer, then
 * settling: polled until no order of the scenario's buyers is PENDING and no
 * ACTIVE reservation holds the scenario's products (twice in a row, 1 s
 * apart), or --settle-seconds.
 * - others alone: --others buyers, each a different product (first the
 *   products spread will not use; stock topped up in AMS where a product's
 *   default variant has less than 1 available), with no hot sale, plus a
 *   closed loop of 4 concurrent `my-orders` queries by 4 registered users
 *   (registered through the gateway's `register`, each with one order)
 *   until every buyer has a final answer: the baseline of usual latency.
 * - hot: one demo product without options (so its default variant is all of
 *   it), set to exactly --units on hand, all in the AMS warehouse (the other
 *   warehouses set to 0), 0 reserved; --buyers buyers.
 * - spread: --buyers other buyers, each a different product (the in-stock
 *   demo products other than the two hot ones; topped up likewise).
 * - hot + others: a second hot product (same stock set-up) and --buyers
 *   buyers, and in the same burst (shuffled among them) --others buyers of
 *   the products of "others alone" (topped up again), with the 4 my-orders
 *   loops. Then the gateway's /ready: breakers not closed are printed (right
 *   after the burst and after settling).
 *
 * Per answer: latency, HTTP status, the code (data.checkout.status, or the
 * first error's extensions.code, or `HTTP <status>` / `network <code>`),
 * Retry-After header and extensions.retryAfterSeconds, the order id. After
 * settling, SQL reads stock_level (bench_flash_inventory: on_hand, reserved
 * of the products' default variants; and product_stock.available where that
 * table exists) and customer_order / order_item / order_status_event
 * (bench_flash_orders) of the scenario's buyers. The table, one column per
 * scenario (the last split into its hot buyers and its others): buyers,
 * units on offer, sold (on hand before - on hand after), sold/s (sold /
 * seconds from the first checkout sent to the last answer that sold: PAID,
 * or PENDING whose order became PAID in the database), the last sale's
 * answer and (hot) sold out, by database (sold / seconds to the last order
 * entering PAID in order_status_event), attempts (total, most by one buyer),
 * latency p50/p99/max of every answer and how many took over 2 s (the goal:
 * none), each buyer's time from first send to final answer (retry waits
 * included), buyers told PAID, told PENDING and what their order became
 * (PAID, CANCELLED), charged but told error (final answer an error, an order
 * of that buyer PAID: 0 in a good system), told PAID but the order is not
 * PAID, buyers with more than one order, orders by status, buyers left
 * without a PAID order while units were left (min(buyers - PAID orders,
 * units on offer - sold)), settling, and whether the stock adds up (sold =
 * units of PAID orders, reserved 0 after settling, sold <= units on offer,
 * product_stock.available = on hand - reserved of all the product's
 * variants). Then answers by code (all attempts),
 * final answers by code, answers over 2 s by code, HTTP statuses and
 * Retry-After values per column; error messages by code with counts; the others' latency alone and
 * during the hot sale and the my-orders loops side by side; the ratio hot
 * sold/s / spread sold/s (the goal: >= 0.5), by answers and by database.
 *
 * Limits: --buyers and --others are at most the number of demo products
 * other than the two hot ones (238); the others reuse spread's products once
 * the unused ones run out (12 with the defaults), and settling counts ACTIVE
 * reservations by product, so one an earlier burst left on such a product
 * counts in the later one too. A PENDING order the orders service does not
 * finish itself is finished by orders' recovery only after
 * ORDER_PENDING_TIMEOUT_MS (60 s by default): with a shorter
 * --settle-seconds it shows as not settled.
 */
interface Options {
  buyers: number;
  units: number;
  others: number;
  settleSeconds: number;
  maxAttempts: number;
  followRetryAfter: boolean;
}

const USAGE = '--buyers N, --units S, --others N, --settle-seconds N, --max-attempts N, --follow-retry-after on|off';

function parseOptions(argv: string[]): Options {
  const options: Options = { buyers: 200, units: 150, others: 50, settleSeconds: 30, maxAttempts: 20, followRetryAfter: true };
  const keys: Record<string, Exclude<keyof Options, 'followRetryAfter'>> = {
    buyers: 'buyers',
    units: 'units',
    others: 'others',
    'settle-seconds': 'settleSeconds',
    'max-attempts': 'maxAttempts',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (name !== 'follow-retry-after' && !keys[name]) throw new Error(`Unknown option ${argv[i]} (${USAGE})`);
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (name === 'follow-retry-after') {
      if (value !== 'on' && value !== 'off') throw new Error(`--follow-retry-after needs on or off, got ${value}`);
      options.followRetryAfter = value === 'on';
      continue;
    }
    const key = keys[name];
    const number = Number(value);
    const positive = key === 'buyers' || key === 'maxAttempts';
    if (!Number.isInteger(number) || number < 0 || (positive && number === 0)) throw new Error(`${argv[i]} needs a whole number${positive ? ' above 0' : ''}, got ${value}`);
    options[key] = number;
  }
  return options;
}

const log = (message: string) => process.stdout.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOST = '127.0.0.1';
const DATABASE_PREFIX = 'bench_flash';
const TOKEN_TTL_SECONDS = 6 * 3600;
/** Concurrent requests of the (untimed) setup steps. */
const SETUP_CONCURRENCY = 8;
/** Concurrent loops of `my-orders` during the bursts with others. */
const ORDER_READERS = 4;
const SLOW_MS = 2_000;
/** A progress line this often while a burst runs. */
const PROGRESS_MS = 5_000;
const QUEUE_FULL: string = ErrorCode.CHECKOUT_BUSY;
const ADDRESS = { line1: 'Keizersgracht 1', line2: null, city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' };
const AMS = DEMO_WAREHOUSES.find((warehouse) => warehouse.code === 'AMS')!;
const SOLD_STATUSES = ['PAID', 'SHIPPED', 'DELIVERED'];

const DOCUMENTS = {
  addToCart: storefrontOperation('add-to-cart'),
  checkout: storefrontOperation('checkout'),
  myOrders: storefrontOperation('my-orders'),
  productStock: storefrontOperation('admin-product-stock'),
  adjustStock: storefrontOperation('admin-adjust-stock'),
  register: storefrontOperation('register'),
};

interface Buyer {
  id: string;
  token: string;
}

/** One buyer of a burst: who buys what, in which part of the scenario. */
interface Plan {
  buyer: Buyer;
  productId: string;
  group: string;
}

/** One checkout request and its answer. */
interface Answer {
  plan: Plan;
  /** performance.now() when sent and when the whole answer was read. */
  sentAt: number;
  answeredAt: number;
  ms: number;
  /** HTTP status; 0 without one (network error). */
  status: number;
  /** The order's status (PAID, PENDING, ...) or the first error's code, `HTTP <status>`, `network <code>`. */
  code: string;
  /** The answer carried an order (data.checkout). */
  toldOrder: boolean;
  /** The HTTP Retry-After header, as sent. */
  retryAfter?: string;
  /** The first error's extensions.retryAfterSeconds. */
  retryAfterSeconds?: number;
  orderId?: string;
  message?: string;
}

/** A buyer's checkouts: every attempt, the last one final. */
interface Run {
  plan: Plan;
  attempts: Answer[];
  final: Answer;
  /** Where the waits between attempts came from. */
  waits: ('header' | 'extensions' | 'default')[];
}

interface StockRow {
  onHand: number;
  reserved: number;
  /** product_stock.available; undefined without that table (or row). */
  available?: number;
  /** on_hand - reserved over all the product's variants and warehouses (what product_stock.available should say). */
  productAvailable: number;
}

interface OrderRow {
  userId: string;
  id: string;
  status: string;
  /** Units of the order's lines (of the scenario's products). */
  units: number;
  /** When it entered PAID (order_status_event), epoch ms; NaN if it did not. */
  paidAt: number;
}

interface Settling {
  settled: boolean;
  seconds: number;
  pending: number;
  activeReservations: number;
}

/** Figures of one part of a scenario (a column of the table). */
interface GroupResult {
  name: string;
  buyers: number;
  unitsOnOffer: number;
  /** unitsOnOffer is a set stock (hot), so "sold out" means something. */
  limited: boolean;
  sold: number;
  runs: Run[];
  /** Every attempt of every buyer. */
  answers: Answer[];
  /** The group's buyers' orders after settling. */
  orders: OrderRow[];
  reservedAfter: number;
  /** Products whose product_stock.available differs from on hand - reserved of all their variants after settling (undefined: no such table). */
  productStockMismatches?: string[];
  /** Units of the group's PAID (or later) orders. */
  paidUnits: number;
  settling: Settling;
  /** Seconds from the first checkout sent to the group's last answer. */
  burstSeconds: number;
  /** Seconds from the first checkout sent to the last answer that sold (PAID, or PENDING whose order became PAID). */
  lastSaleAnswerSeconds: number;
  /** Seconds from the first checkout sent to the last order of the group entering PAID (database clock, same machine). */
  lastSaleSeconds: number;
}

interface ReaderResult {
  count: number;
  latencies: Float64Array;
  errors: Map<string, number>;
  samples: Map<string, string>;
}

/** A plain-text table; `numeric` columns are right-aligned. */
function table(header: string[], rows: string[][], numeric: number[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (numeric.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const sorted = (values: number[]) => Float64Array.from(values).sort();
const maxOf = (values: number[]) => values.reduce((max, value) => Math.max(max, value), -Infinity);

/** "PAID 150, OUT_OF_STOCK 50", largest first. */
function countsOf(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([value, count]) => `${value} ${count}`).join(', ') || '-';
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function eachLimited<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index], index);
      }
    }),
  );
}

function errorCodeOf(json: any, status: number): string {
  const code = json?.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  if (status !== 200) return `HTTP ${status}`;
  return json?.errors ? 'GraphQL error without code' : 'no data';
}

/** Seconds to wait before retrying a CHECKOUT_BUSY answer, and where that came from. */
function retryWaitOf(answer: Answer): { seconds: number; source: Run['waits'][number] } {
  if (answer.retryAfter !== undefined) {
    const seconds = Number(answer.retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return { seconds, source: 'header' };
    const date = Date.parse(answer.retryAfter);
    if (Number.isFinite(date)) return { seconds: Math.max(0, (date - Date.now()) / 1000), source: 'header' };
  }
  if (answer.retryAfterSeconds !== undefined && answer.retryAfterSeconds >= 0) return { seconds: answer.retryAfterSeconds, source: 'extensions' };
  return { seconds: 1, source: 'default' };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpuModel = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  log(`flash-sale benchmark: ${os.cpus().length} cores (${cpuModel}), Node ${process.version}; everything on ${HOST}`);
  log(
    `${options.buyers} buyers per burst, ${options.units} units of each hot product, ${options.others} other buyers (alone, and with the second hot product), settling up to ${options.settleSeconds} s; ` +
      `${QUEUE_FULL} ${options.followRetryAfter ? `followed: wait Retry-After, retry with the same idempotency key, up to ${options.maxAttempts} attempts per buyer` : 'not followed (final answer)'}`,
  );

  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    log('DATABASE_URL is required (a PostgreSQL server for the databases bench_flash_<subgraph>, dropped and seeded afresh), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:flash-sale');
    process.exit(2);
  }

  // The products: two hot ones without options (their default variant is all of them), the rest in-stock first.
  const catalog = demoCatalog();
  const demoOnHand = new Map<string, number>();
  for (const stock of catalog.stock) if (stock.variantId === stock.productId) demoOnHand.set(stock.productId, (demoOnHand.get(stock.productId) ?? 0) + stock.onHand);
  const inStock = (product: DemoProduct) => (demoOnHand.get(product.id) ?? 0) > 0;
  const [hot1, hot2] = catalog.products.filter((product) => product.options.length === 0 && inStock(product));
  const pool = [...catalog.products.filter((product) => product !== hot1 && product !== hot2 && inStock(product)), ...catalog.products.filter((product) => !inStock(product))];
  if (options.buyers > pool.length || options.others > pool.length) throw new Error(`--buyers and --others can be at most ${pool.length} (demo products other than the two hot ones)`);
  const spreadProducts = pool.slice(0, options.buyers);
  const otherProducts = [...pool.slice(options.buyers), ...pool.slice(0, options.buyers)].slice(0, options.others);

  const deployment = new SplitDeployment();
  const agents: Agent[] = [];
  const clients: Client[] = [];
  let stopping: Promise<void> | undefined;
  const cleanUp = () =>
    (stopping ??= (async () => {
      await Promise.all(agents.map((agent) => agent.close().catch(() => undefined)));
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await deployment.stop();
    })());
  // Last resort (an exit not through cleanUp): nothing this benchmark started outlives it.
  process.once('exit', () => {
    const children = [...deployment.services, ...(deployment.redis ? [deployment.redis] : [])].filter((service) => service.child.exitCode === null && service.child.signalCode === null);
    for (const pid of processTree(children.map((service) => service.child.pid!).filter(Boolean))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  cleanUpOnSignals(cleanUp, log);

  try {
    const internalSecret = randomBytes(32).toString('hex');
    const jwtSecret = randomBytes(32).toString('hex');
    const setupStartedAt = Date.now();
    const dropped = await dropDatabases(serverUrl, DATABASE_PREFIX);
    log(`dropped the databases ${dropped.join(', ')} (if they existed)`);
    await deployment.startSubgraphs({ serverUrl, databasePrefix: DATABASE_PREFIX, internalSecret, jwtSecret, host: HOST, log });
    const gateway = await deployment.startGateway({
      service: 'gateway',
      describe: (url) => `gateway: ${url} (dist/gateway/main.js, NODE_ENV=production, RATE_LIMIT_MODE=off, every other setting the production default)`,
    });
    log(`  all up in ${((Date.now() - deployment.seedStartedAt) / 1000).toFixed(1)} s`);

    const inventoryDb = new Client({ connectionString: databaseUrl(serverUrl, databaseName(DATABASE_PREFIX, 'inventory')) });
    const ordersDb = new Client({ connectionString: databaseUrl(serverUrl, databaseName(DATABASE_PREFIX, 'orders')) });
    clients.push(inventoryDb, ordersDb);
    await inventoryDb.connect();
    await ordersDb.connect();
    const hasProductStock = (await inventoryDb.query<{ t: string | null }>(`select to_regclass('product_stock')::text as t`)).rows[0].t !== null;
    log(`  inventory ${hasProductStock ? 'has' : 'has no'} product_stock table${hasProductStock ? ' (checked against stock_level after each scenario)' : ''}`);

    const headers = { 'content-type': 'application/json' };
    const targetOf = (token: string): Target => ({ url: gateway.url, headers, token });
    const setupAgent = createAgent(SETUP_CONCURRENCY * 2);
    agents.push(setupAgent);
    const signed = async (id: string, role: Role) => signAccessToken({ id, role }, jwtSecret, TOKEN_TTL_SECONDS);
    const newBuyers = async (count: number): Promise<Buyer[]> =>
      Promise.all(Array.from({ length: count }, async () => {
        const id = randomUUID();
        return { id, token: await signed(id, Role.CUSTOMER) };
      }));
    const admin = DEMO_USERS.find((user) => user.role === 'ADMIN')!;
    const adminTarget = targetOf(await signed(admin.id, Role.ADMIN));
    /** One GraphQL request whose answer must be data without errors; anonymous when the target has no token. */
    const call = async (target: Target, query: string, variables: Record<string, unknown>, what: string): Promise<any> => {
      const answer = await send(setupAgent, target, { body: JSON.stringify({ query, variables }), signedIn: target.token !== '' });
      if (answer.status !== 200 || answer.json?.errors || !answer.json?.data) throw new Error(`${what} failed: HTTP ${answer.status} ${answer.text.slice(0, 400)}`);
      return answer.json.data;
    };
    const adjust = (productId: string, warehouseId: string, delta: number) =>
      call(adminTarget, DOCUMENTS.adjustStock, { productId, warehouseId, delta, reason: 'bench:flash-sale' }, `adjustStock(${productId}, ${delta})`);

    /** The gateway's /ready: its breakers that are not closed ("none" when all are), or why it could not be read. */
    const openBreakers = async (): Promise<string> => {
      try {
        const response = await fetch(`http://${HOST}:${gateway.port}/ready`, { signal: AbortSignal.timeout(5_000) });
        const json: any = await response.json();
        const breakers: Record<string, string> = json?.breakers ?? {};
        const notClosed = Object.entries(breakers).filter(([, state]) => state !== 'closed');
        const subgraphs = Object.entries(json?.subgraphs ?? {}).filter(([, state]) => state !== 'ok');
        return (
          `/ready HTTP ${response.status}, ${Object.keys(breakers).length} breakers known, not closed: ${notClosed.length ? notClosed.map(([key, state]) => `"${key}" ${state}`).join(', ') : 'none'}` +
          (subgraphs.length ? `; subgraphs not ok: ${subgraphs.map(([name, state]) => `${name} ${String(state)}`).join(', ')}` : '')
        );
      } catch (error) {
        return `/ready failed: ${(error as Error).message}`;
      }
    };

    // ---------------------------------------------------------------- stock and carts

    /** on_hand and reserved of each product's default variant (all warehouses), and product_stock.available, from the inventory database. */
    const stockOf = async (productIds: string[]): Promise<Map<string, StockRow>> => {
      const result = await inventoryDb.query<{ id: string; on_hand: string; reserved: string }>(
        'select variant_id::text as id, sum(on_hand)::text as on_hand, sum(reserved)::text as reserved from stock_level where variant_id = any($1::uuid[]) group by variant_id',
        [productIds],
      );
      const rows = new Map<string, StockRow>(productIds.map((id) => [id, { onHand: 0, reserved: 0, productAvailable: 0 }]));
      for (const row of result.rows) Object.assign(rows.get(row.id)!, { onHand: Number(row.on_hand), reserved: Number(row.reserved) });
      const whole = await inventoryDb.query<{ id: string; available: string }>(
        'select product_id::text as id, sum(on_hand - reserved)::text as available from stock_level where product_id = any($1::uuid[]) group by product_id',
        [productIds],
      );
      for (const row of whole.rows) rows.get(row.id)!.productAvailable = Number(row.available);
      if (hasProductStock) {
        const available = await inventoryDb.query<{ id: string; available: string }>('select product_id::text as id, available::text from product_stock where product_id = any($1::uuid[])', [productIds]);
        for (const row of available.rows) rows.get(row.id)!.available = Number(row.available);
      }
      return rows;
    };

    /** Exactly `units` on hand in AMS, 0 elsewhere, nothing reserved; checked through the API and in the database. */
    const setHotStock = async (product: DemoProduct, units: number): Promise<void> => {
      const before = (await call(adminTarget, DOCUMENTS.productStock, { id: product.id }, 'AdminProductStock')).product;
      const levels: { warehouse: { id: string; code: string }; onHand: number; reserved: number }[] = before.stockLevels;
      if (levels.some((level) => level.reserved !== 0)) throw new Error(`${product.name} has units reserved before its burst: ${JSON.stringify(levels)}`);
      const targets = new Map(levels.map((level) => [level.warehouse.id, level.warehouse.id === AMS.id ? units : 0]));
      targets.set(AMS.id, units);
      for (const [warehouseId, target] of targets) {
        const delta = target - (levels.find((level) => level.warehouse.id === warehouseId)?.onHand ?? 0);
        if (delta !== 0) await adjust(product.id, warehouseId, delta);
      }
      const after = (await call(adminTarget, DOCUMENTS.productStock, { id: product.id }, 'AdminProductStock')).product;
      const sql = (await stockOf([product.id])).get(product.id)!;
      if (after.availableQuantity !== units || sql.onHand !== units || sql.reserved !== 0) {
        throw new Error(`${product.name}: stock not set to ${units}: availableQuantity ${after.availableQuantity}, database on hand ${sql.onHand}, reserved ${sql.reserved}`);
      }
      log(
        `  ${product.name} (${product.sku}, ${product.id}): ${units} on hand in AMS, 0 elsewhere, 0 reserved (was ` +
          `${levels.map((level) => `${level.warehouse.code} ${level.onHand}`).join(', ')}; availableQuantity now ${after.availableQuantity}` +
          `${sql.available !== undefined ? `, product_stock.available ${sql.available}` : ''})`,
      );
    };

    /** At least `need` units available of each product's default variant: the shortfall added in AMS. */
    const topUp = async (products: DemoProduct[], need: number, report = true): Promise<void> => {
      const stock = await stockOf(products.map((product) => product.id));
      const short = products.filter((product) => stock.get(product.id)!.onHand - stock.get(product.id)!.reserved < need);
      await eachLimited(short, SETUP_CONCURRENCY, async (product) => {
        const row = stock.get(product.id)!;
        await adjust(product.id, AMS.id, need - (row.onHand - row.reserved));
      });
      if (report) log(`  stock: ${products.length} products, ${products.length - short.length} with >= ${need} available, ${short.length} topped up in AMS`);
    };

    /** Each buyer's own cart gets 1 unit of their product (default variant). */
    const fillCarts = async (plans: Plan[], report = true): Promise<void> => {
      const startedAt = Date.now();
      await eachLimited(plans, SETUP_CONCURRENCY, async (plan) => {
        const data = await call(targetOf(plan.buyer.token), DOCUMENTS.addToCart, { productId: plan.productId, quantity: 1 }, `addToCart(${plan.productId}) for buyer ${plan.buyer.id}`);
        if (data.addToCart?.itemCount !== 1) throw new Error(`addToCart for buyer ${plan.buyer.id}: the cart holds ${data.addToCart?.itemCount} units, not 1`);
      });
      if (report) log(`  ${plans.length} carts with 1 unit each (addToCart, ${SETUP_CONCURRENCY} at a time) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    };

    const checkoutBody = (productIdForKey: string) =>
      JSON.stringify({ query: DOCUMENTS.checkout, variables: { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: `flash-${productIdForKey}-${randomUUID()}` } } });

    /** One checkout request, answer classified. */
    const checkout = async (agent: Agent, plan: Plan, body: string): Promise<Answer> => {
      const sentAt = performance.now();
      try {
        const response = await request(gateway.url, { dispatcher: agent, method: 'POST', headers: headersOf(targetOf(plan.buyer.token), true), body });
        const text = await response.body.text();
        const answeredAt = performance.now();
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const order = json?.data?.checkout;
        const retryAfter = response.headers['retry-after'];
        const retryAfterSeconds = json?.errors?.[0]?.extensions?.retryAfterSeconds;
        return {
          plan,
          sentAt,
          answeredAt,
          ms: answeredAt - sentAt,
          status: response.statusCode,
          code: order?.status ?? errorCodeOf(json, response.statusCode),
          toldOrder: Boolean(order),
          retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
          retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined,
          orderId: order?.id ?? json?.errors?.[0]?.extensions?.orderId,
          message: order ? undefined : (json?.errors?.[0]?.message ?? text.slice(0, 200)),
        };
      } catch (error) {
        const answeredAt = performance.now();
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return { plan, sentAt, answeredAt, ms: answeredAt - sentAt, status: 0, code: `network ${code}`, toldOrder: false, message: String(error) };
      }
    };

    /** A buyer like a real client: CHECKOUT_BUSY is waited out (Retry-After) and retried with the same body (same idempotency key). */
    const buy = async (agent: Agent, plan: Plan, body: string, onFinal?: () => void): Promise<Run> => {
      const attempts: Answer[] = [];
      const waits: Run['waits'] = [];
      for (;;) {
        const answer = await checkout(agent, plan, body);
        attempts.push(answer);
        if (answer.code !== QUEUE_FULL || !options.followRetryAfter || attempts.length >= options.maxAttempts) {
          onFinal?.();
          return { plan, attempts, final: answer, waits };
        }
        const wait = retryWaitOf(answer);
        waits.push(wait.source);
        await sleep(wait.seconds * 1000);
      }
    };

    /** Checkouts with the same body (key) until PAID, 1 s apart (or the Retry-After), up to `seconds`: the answers' codes. */
    const untilPaid = async (plan: Plan, body: string, what: string, seconds = 60): Promise<{ codes: string[]; ms: number }> => {
      const deadline = Date.now() + seconds * 1000;
      const codes: string[] = [];
      for (;;) {
        const answer = await checkout(setupAgent, plan, body);
        codes.push(answer.code);
        if (answer.code === 'PAID') return { codes, ms: answer.ms };
        if (answer.code === ErrorCode.OUT_OF_STOCK || Date.now() > deadline) throw new Error(`${what}: not PAID: ${countsOf(codes)}; last: ${answer.message ?? answer.code}`);
        await sleep(answer.code === QUEUE_FULL ? retryWaitOf(answer).seconds * 1000 : 1_000);
      }
    };

    // ---------------------------------------------------------------- preflight

    log('preflight');
    {
      const [buyer] = await newBuyers(1);
      await topUp([hot2], 1 + ORDER_READERS);
      const plan = { buyer, productId: hot2.id, group: 'preflight' };
      await fillCarts([plan]);
      const { codes, ms } = await untilPaid(plan, checkoutBody(hot2.id), 'checkout by a customer with a random user id (signed token only)');
      log(`  checkout by a fresh random-id CUSTOMER (signed token, unknown to users): PAID (last answer ${fixed(ms, 0)} ms; answers ${codes.join(', ')})`);
    }
    // The readers of the bursts with others: `me` needs a user the users subgraph knows, so these register.
    const readers: Buyer[] = [];
    for (let i = 0; i < ORDER_READERS; i += 1) {
      const email = `flash-reader-${randomUUID()}@example.com`;
      const data = await call(targetOf(''), DOCUMENTS.register, { input: { email, password: randomBytes(12).toString('hex'), name: `Flash Reader ${i + 1}` } }, 'register');
      const id = data.register.user.id as string;
      readers.push({ id, token: await signed(id, Role.CUSTOMER) });
    }
    await fillCarts(readers.map((buyer) => ({ buyer, productId: hot2.id, group: 'readers' })));
    for (const buyer of readers) {
      await untilPaid({ buyer, productId: hot2.id, group: 'readers' }, checkoutBody(hot2.id), 'checkout by a registered reader');
      const orders = await call(targetOf(buyer.token), DOCUMENTS.myOrders, {}, 'MyOrders');
      if (orders.me?.orders?.totalCount !== 1) throw new Error(`MyOrders of a reader: ${JSON.stringify(orders).slice(0, 300)}`);
    }
    log(`  ${ORDER_READERS} readers registered (register mutation), 1 PAID order each, my-orders answers with it`);

    // ---------------------------------------------------------------- one scenario

    const readOrders = async (userIds: string[], productIds: string[]): Promise<OrderRow[]> => {
      const result = await ordersDb.query<{ user_id: string; id: string; status: string; units: string; paid_at: string | null }>(
        `select o.user_id::text, o.id::text, o.status, coalesce(sum(i.quantity) filter (where i.product_id = any($2::uuid[])), 0)::text as units,
                (select extract(epoch from min(e.at)) * 1000 from order_status_event e where e.order_id = o.id and e.status = 'PAID')::text as paid_at
           from customer_order o left join order_item i on i.order_id = o.id
          where o.user_id = any($1::uuid[]) group by o.id`,
        [userIds, productIds],
      );
      return result.rows.map((row) => ({ userId: row.user_id, id: row.id, status: row.status, units: Number(row.units), paidAt: row.paid_at === null ? NaN : Number(row.paid_at) }));
    };

    const settle = async (userIds: string[], productIds: string[]): Promise<Settling> => {
      const startedAt = Date.now();
      let calm = 0;
      let pending = 0;
      let activeReservations = 0;
      for (;;) {
        pending = Number((await ordersDb.query<{ n: string }>(`select count(*)::text as n from customer_order where user_id = any($1::uuid[]) and status = 'PENDING'`, [userIds])).rows[0].n);
        activeReservations = Number(
          (
            await inventoryDb.query<{ n: string }>(
              `select count(distinct r.id)::text as n from reservation r join reservation_line l on l.reservation_id = r.id where r.status = 'ACTIVE' and l.product_id = any($1::uuid[])`,
              [productIds],
            )
          ).rows[0].n,
        );
        calm = pending === 0 && activeReservations === 0 ? calm + 1 : 0;
        const seconds = (Date.now() - startedAt) / 1000;
        if (calm >= 2) return { settled: true, seconds, pending, activeReservations };
        if (seconds >= options.settleSeconds) return { settled: false, seconds, pending, activeReservations };
        await sleep(1_000);
      }
    };

    interface Scenario {
      name: string;
      plans: Plan[];
      /** Products of each group, for stock figures; unitsOnOffer when the stock was set (hot). */
      groups: { name: string; productIds: string[]; unitsOnOffer?: number }[];
      readers: boolean;
      /** What the probe checkout before the burst buys (not one of the scenario's products). */
      probeProduct: DemoProduct;
      /** Read the gateway's /ready after the burst and after settling. */
      checkBreakers?: boolean;
    }

    /**
     * Before a burst: a my-orders query and a checkout of 1 unit of another
     * product, each repeated (1 s apart, up to 60 s) until it succeeds, so
     * that circuit breakers an earlier burst left open or half-open (the
     * gateway's, and orders' own towards cart and inventory) are closed
     * again and every burst starts alike. What it took is logged: a breaker
     * still open here is a finding of the earlier burst.
     */
    const probe = async (product: DemoProduct): Promise<void> => {
      const startedAt = Date.now();
      const deadline = startedAt + 60_000;
      const failures: string[] = [];
      const attempt = async (what: string, run: () => Promise<string | undefined>): Promise<number> => {
        for (let attempts = 1; ; attempts += 1) {
          const failure = await run().catch((error: Error) => `network ${(error as NodeJS.ErrnoException).code ?? error.message}`);
          if (!failure) return attempts;
          failures.push(failure);
          if (Date.now() > deadline) throw new Error(`${what} still failing after 60 s: ${countsOf(failures)}`);
          await sleep(1_000);
        }
      };
      const ordersBody = JSON.stringify({ query: DOCUMENTS.myOrders, variables: {} });
      const reads = await attempt('my-orders before the burst', async () => {
        const answer = await send(setupAgent, targetOf(readers[0].token), { body: ordersBody, signedIn: true });
        return answer.status === 200 && !answer.json?.errors && answer.json?.data?.me?.orders ? undefined : errorCodeOf(answer.json, answer.status);
      });
      await topUp([product], 1, false);
      const [buyer] = await newBuyers(1);
      const plan = { buyer, productId: product.id, group: 'probe' };
      await fillCarts([plan], false);
      const body = checkoutBody(product.id);
      const checkouts = await attempt('the probe checkout before the burst', async () => {
        const answer = await checkout(setupAgent, plan, body);
        return answer.code === 'PAID' ? undefined : answer.code;
      });
      log(
        `  probe: my-orders answered after ${reads} attempt(s), a checkout of 1 ${product.name} PAID after ${checkouts} attempt(s) (same idempotency key), ` +
          `${((Date.now() - startedAt) / 1000).toFixed(1)} s${failures.length ? `; failures first: ${countsOf(failures)}` : ''}`,
      );
    };

    const runScenario = async (scenario: Scenario): Promise<{ groups: GroupResult[]; readers?: ReaderResult }> => {
      const allProducts = [...new Set(scenario.groups.flatMap((group) => group.productIds))];
      await probe(scenario.probeProduct);
      const agent = createAgent(scenario.plans.length + ORDER_READERS + 8);
      agents.push(agent);
      // Open the burst's connections first, so the burst measures checkouts, not TCP handshakes.
      const warm = await Promise.all(scenario.plans.map(() => send(agent, targetOf(''), { body: JSON.stringify({ query: '{ __typename }' }), signedIn: false })));
      if (warm.some((answer) => answer.status !== 200)) throw new Error(`{ __typename } failed while opening connections: ${warm.find((answer) => answer.status !== 200)!.text.slice(0, 300)}`);
      const before = await stockOf(allProducts);
      const bodies = scenario.plans.map((plan) => checkoutBody(plan.productId));
      log(`  burst: ${scenario.plans.length} buyers at once on ${scenario.plans.length} open connections${scenario.readers ? `, ${ORDER_READERS} my-orders loops running until every buyer has a final answer` : ''}`);

      let burstDone = false;
      const reader: ReaderResult = { count: 0, latencies: new Float64Array(), errors: new Map(), samples: new Map() };
      const readerLatencies: number[] = [];
      const readerLoops = scenario.readers
        ? readers.map(async (buyer) => {
            const body = JSON.stringify({ query: DOCUMENTS.myOrders, variables: {} });
            while (!burstDone) {
              const sent = performance.now();
              let code: string | undefined;
              let sample = '';
              try {
                const answer = await send(agent, targetOf(buyer.token), { body, signedIn: true });
                if (answer.status !== 200 || answer.json?.errors || !answer.json?.data?.me?.orders) {
                  code = errorCodeOf(answer.json, answer.status);
                  sample = answer.json?.errors?.[0]?.message ?? answer.text.slice(0, 200);
                }
              } catch (error) {
                code = `network ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
                sample = String(error);
              }
              readerLatencies.push(performance.now() - sent);
              reader.count += 1;
              if (code) {
                reader.errors.set(code, (reader.errors.get(code) ?? 0) + 1);
                if (!reader.samples.has(code)) reader.samples.set(code, sample.slice(0, 200));
              }
            }
          })
        : [];
      let finals = 0;
      const startedAt = performance.now();
      const startedWall = Date.now();
      const pending = scenario.plans.map((plan, index) => buy(agent, plan, bodies[index], () => (finals += 1)));
      const ticker = setInterval(() => {
        log(`    ${fixed((performance.now() - startedAt) / 1000, 0)} s: ${finals} of ${scenario.plans.length} buyers have a final answer`);
      }, PROGRESS_MS);
      const runs = await Promise.all(pending).finally(() => clearInterval(ticker));
      burstDone = true;
      await Promise.all(readerLoops);
      reader.latencies = sorted(readerLatencies);
      const attempts = runs.flatMap((run) => run.attempts);
      const burstSeconds = (maxOf(attempts.map((answer) => answer.answeredAt)) - startedAt) / 1000;
      log(
        `  every buyer answered in ${fixed(burstSeconds, 2)} s; ${attempts.length} attempts (most by one buyer ${maxOf(runs.map((run) => run.attempts.length))}); ` +
          `final: ${countsOf(runs.map((run) => run.final.code))}`,
      );
      if (scenario.checkBreakers) log(`  gateway right after the burst: ${await openBreakers()}`);

      const userIds = scenario.plans.map((plan) => plan.buyer.id);
      const settling = await settle(userIds, allProducts);
      log(
        settling.settled
          ? `  settled in ${fixed(settling.seconds, 1)} s (no PENDING order, no ACTIVE reservation of these products)`
          : `  NOT settled after ${fixed(settling.seconds, 1)} s: ${settling.pending} PENDING order(s), ${settling.activeReservations} ACTIVE reservation(s) of these products`,
      );
      if (scenario.checkBreakers) log(`  gateway after settling: ${await openBreakers()}`);
      const after = await stockOf(allProducts);

      const groups = await Promise.all(
        scenario.groups.map(async (group): Promise<GroupResult> => {
          const mine = runs.filter((run) => run.plan.group === group.name);
          const answers = mine.flatMap((run) => run.attempts);
          const orders = await readOrders(
            mine.map((run) => run.plan.buyer.id),
            group.productIds,
          );
          const soldTo = new Set(orders.filter((order) => SOLD_STATUSES.includes(order.status)).map((order) => order.userId));
          const sum = (rows: Map<string, StockRow>, pick: (row: StockRow) => number) => group.productIds.reduce((total, id) => total + pick(rows.get(id)!), 0);
          const sold = sum(before, (row) => row.onHand) - sum(after, (row) => row.onHand);
          const sales = mine.filter((run) => run.final.code === 'PAID' || (run.final.code === 'PENDING' && soldTo.has(run.plan.buyer.id)));
          const paidAts = orders.filter((order) => Number.isFinite(order.paidAt)).map((order) => order.paidAt);
          return {
            name: group.name,
            buyers: mine.length,
            unitsOnOffer: group.unitsOnOffer ?? sum(before, (row) => row.onHand - row.reserved),
            limited: group.unitsOnOffer !== undefined,
            sold,
            runs: mine,
            answers,
            orders,
            reservedAfter: sum(after, (row) => row.reserved),
            productStockMismatches: hasProductStock
              ? group.productIds.filter((id) => {
                  const row = after.get(id)!;
                  return row.available !== row.productAvailable;
                })
              : undefined,
            paidUnits: orders.filter((order) => SOLD_STATUSES.includes(order.status)).reduce((total, order) => total + order.units, 0),
            settling,
            burstSeconds: (maxOf(answers.map((answer) => answer.answeredAt)) - startedAt) / 1000,
            lastSaleAnswerSeconds: sales.length ? (maxOf(sales.map((run) => run.final.answeredAt)) - startedAt) / 1000 : NaN,
            lastSaleSeconds: paidAts.length ? (maxOf(paidAts) - startedWall) / 1000 : NaN,
          };
        }),
      );
      return { groups, readers: scenario.readers ? reader : undefined };
    };

    const results: GroupResult[] = [];
    const readerResults = new Map<string, ReaderResult>();

    // ---------------------------------------------------------------- others alone

    if (options.others > 0) {
      log(`scenario others alone: ${options.others} buyers, 1 unit each of a different product, no hot sale, with ${ORDER_READERS} my-orders loops`);
      await topUp(otherProducts, 1);
      const buyers = await newBuyers(options.others);
      const plans = buyers.map((buyer, index) => ({ buyer, productId: otherProducts[index].id, group: 'others alone' }));
      await fillCarts(plans);
      const result = await runScenario({
        name: 'others alone',
        plans,
        groups: [{ name: 'others alone', productIds: otherProducts.map((product) => product.id) }],
        readers: true,
        probeProduct: hot1,
      });
      results.push(...result.groups);
      if (result.readers) readerResults.set('others alone', result.readers);
    }

    // ---------------------------------------------------------------- hot

    log(`scenario hot: ${options.buyers} buyers, 1 unit each of ${hot1.name}, ${options.units} units`);
    {
      await setHotStock(hot1, options.units);
      const buyers = await newBuyers(options.buyers);
      const plans = buyers.map((buyer) => ({ buyer, productId: hot1.id, group: 'hot' }));
      await fillCarts(plans);
      const { groups } = await runScenario({ name: 'hot', plans, groups: [{ name: 'hot', productIds: [hot1.id], unitsOnOffer: options.units }], readers: false, probeProduct: hot2 });
      results.push(...groups);
    }

    // ---------------------------------------------------------------- spread

    log(`scenario spread: ${options.buyers} buyers, 1 unit each of a different product`);
    {
      await topUp(spreadProducts, 1);
      const buyers = await newBuyers(options.buyers);
      const plans = buyers.map((buyer, index) => ({ buyer, productId: spreadProducts[index].id, group: 'spread' }));
      await fillCarts(plans);
      const { groups } = await runScenario({ name: 'spread', plans, groups: [{ name: 'spread', productIds: spreadProducts.map((product) => product.id) }], readers: false, probeProduct: hot1 });
      results.push(...groups);
    }

    // ---------------------------------------------------------------- hot + others

    log(
      `scenario hot + others: ${options.buyers} buyers of ${hot2.name} (${options.units} units) and ${options.others} buyers each of a different other product (those of "others alone"), at once, with ${ORDER_READERS} my-orders loops`,
    );
    {
      await setHotStock(hot2, options.units);
      if (otherProducts.length > 0) await topUp(otherProducts, 1);
      const hotBuyers = await newBuyers(options.buyers);
      const otherBuyers = await newBuyers(options.others);
      const plans: Plan[] = [
        ...hotBuyers.map((buyer) => ({ buyer, productId: hot2.id, group: 'hot+others: hot' })),
        ...otherBuyers.map((buyer, index) => ({ buyer, productId: otherProducts[index].id, group: 'hot+others: others' })),
      ];
      await fillCarts(plans);
      // The others among the hot buyers, not all behind them.
      const random = seededRandom(7);
      for (let i = plans.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [plans[i], plans[j]] = [plans[j], plans[i]];
      }
      const groups: Scenario['groups'] = [{ name: 'hot+others: hot', productIds: [hot2.id], unitsOnOffer: options.units }];
      if (otherProducts.length > 0) groups.push({ name: 'hot+others: others', productIds: otherProducts.map((product) => product.id) });
      const result = await runScenario({ name: 'hot + others', plans, groups, readers: true, probeProduct: hot1, checkBreakers: true });
      results.push(...result.groups);
      if (result.readers) readerResults.set('hot + others', result.readers);
    }
    log(`setup and bursts took ${((Date.now() - setupStartedAt) / 1000).toFixed(1)} s in all`);

    // ---------------------------------------------------------------- report

    log('');
    log(
      `results (an answer = one checkout request, a buyer's final answer = their last; sold = on hand before - on hand after, default variants; ` +
        `times in s from the first checkout sent; sold/s = sold / time of the last answer that sold (PAID, or PENDING whose order became PAID); database figures after settling)`,
    );
    const soldTo = (g: GroupResult) => new Set(g.orders.filter((o) => SOLD_STATUSES.includes(o.status)).map((o) => o.userId));
    const statusesOf = (g: GroupResult, userId: string) => g.orders.filter((o) => o.userId === userId).map((o) => o.status);
    const latencies = (g: GroupResult) => sorted(g.answers.map((a) => a.ms));
    const buyerTimes = (g: GroupResult) => sorted(g.runs.map((r) => r.final.answeredAt - r.attempts[0].sentAt));
    const pendingTold = (g: GroupResult) => g.runs.filter((r) => r.final.code === 'PENDING');
    const metricRows: [string, (group: GroupResult) => string][] = [
      ['buyers', (g) => String(g.buyers)],
      ['units on offer', (g) => String(g.unitsOnOffer)],
      ['sold', (g) => String(g.sold)],
      ['sold/s', (g) => fixed(g.sold / g.lastSaleAnswerSeconds, 1)],
      ['last sale answered at, s', (g) => fixed(g.lastSaleAnswerSeconds, 2)],
      ['sold out at, s (hot: last sale if all units sold)', (g) => (!g.limited ? '-' : g.sold >= g.unitsOnOffer ? fixed(g.lastSaleAnswerSeconds, 2) : `no, ${g.unitsOnOffer - g.sold} left`)],
      ['last order PAID in database at, s', (g) => fixed(g.lastSaleSeconds, 2)],
      ['sold/s by database (sold / that)', (g) => fixed(g.sold / g.lastSaleSeconds, 1)],
      ['last answer at, s', (g) => fixed(g.burstSeconds, 2)],
      ['attempts (answers)', (g) => String(g.answers.length)],
      ['attempts, most by one buyer', (g) => String(maxOf(g.runs.map((r) => r.attempts.length)))],
      ['buyers stopped at --max-attempts', (g) => String(g.runs.filter((r) => r.final.code === QUEUE_FULL && r.attempts.length >= options.maxAttempts).length)],
      ['answer latency p50 ms', (g) => fixed(percentile(latencies(g), 50), 0)],
      ['answer latency p99 ms', (g) => fixed(percentile(latencies(g), 99), 0)],
      ['answer latency max ms', (g) => fixed(maxOf(g.answers.map((a) => a.ms)), 0)],
      [`answers slower than ${SLOW_MS / 1000} s`, (g) => `${g.answers.filter((a) => a.ms > SLOW_MS).length} of ${g.answers.length}`],
      ['buyer: first send to final answer p50 ms', (g) => fixed(percentile(buyerTimes(g), 50), 0)],
      ['buyer: first send to final answer max ms', (g) => fixed(maxOf([...buyerTimes(g)]), 0)],
      ['told PAID', (g) => String(g.runs.filter((r) => r.final.code === 'PAID').length)],
      ['told PENDING', (g) => String(pendingTold(g).length)],
      ['  ... order became PAID', (g) => String(pendingTold(g).filter((r) => soldTo(g).has(r.plan.buyer.id)).length)],
      ['  ... order became CANCELLED', (g) => String(pendingTold(g).filter((r) => !soldTo(g).has(r.plan.buyer.id) && statusesOf(g, r.plan.buyer.id).includes('CANCELLED')).length)],
      ['  ... other (still PENDING, no order)', (g) => countsOf(pendingTold(g).filter((r) => !soldTo(g).has(r.plan.buyer.id) && !statusesOf(g, r.plan.buyer.id).includes('CANCELLED')).map((r) => statusesOf(g, r.plan.buyer.id).join('+') || 'no order'))],
      ['orders PAID in database', (g) => String(g.orders.filter((o) => SOLD_STATUSES.includes(o.status)).length)],
      ['orders in database by status', (g) => countsOf(g.orders.map((o) => o.status))],
      ['charged but told error (final error, order PAID)', (g) => String(g.runs.filter((r) => !r.final.toldOrder && soldTo(g).has(r.plan.buyer.id)).length)],
      ['told PAID, order not PAID', (g) => String(g.runs.filter((r) => r.final.code === 'PAID' && !soldTo(g).has(r.plan.buyer.id)).length)],
      ['buyers with more than one order', (g) => String(g.runs.filter((r) => statusesOf(g, r.plan.buyer.id).length > 1).length)],
      [
        'buyers without an order while units were left',
        (g) => String(Math.max(0, Math.min(g.buyers - g.orders.filter((o) => SOLD_STATUSES.includes(o.status)).length, g.unitsOnOffer - g.sold))),
      ],
      ['settled', (g) => (g.settling.settled ? `yes, ${fixed(g.settling.seconds, 1)} s` : `no: ${g.settling.pending} PENDING, ${g.settling.activeReservations} ACTIVE res.`)],
      [
        'stock adds up',
        (g) => {
          const problems: string[] = [];
          if (g.sold !== g.paidUnits) problems.push(`sold ${g.sold} != ${g.paidUnits} units of PAID orders`);
          if (g.reservedAfter !== 0) problems.push(`${g.reservedAfter} reserved`);
          if (g.sold > g.unitsOnOffer) problems.push(`oversold by ${g.sold - g.unitsOnOffer}`);
          if (g.productStockMismatches?.length) problems.push(`product_stock off for ${g.productStockMismatches.length} products`);
          return problems.length ? `no: ${problems.join('; ')}` : 'yes';
        },
      ],
    ];
    const rows = metricRows.map(([label, pick]) => [label, ...results.map(pick)]);
    for (const line of table(['', ...results.map((group) => group.name)], rows, results.map((_, index) => index + 1))) log(line);

    log('');
    for (const [title, pick] of [
      ['answers by code (every attempt)', (g: GroupResult) => countsOf(g.answers.map((a) => a.code))],
      ["final answers by code (each buyer's last)", (g: GroupResult) => countsOf(g.runs.map((r) => r.final.code))],
      [`answers slower than ${SLOW_MS / 1000} s by code`, (g: GroupResult) => countsOf(g.answers.filter((a) => a.ms > SLOW_MS).map((a) => a.code))],
      [
        `answers slower than ${SLOW_MS / 1000} s: first attempts (sent in the burst's first second) / retries`,
        (g: GroupResult) => {
          const start = Math.min(...g.answers.map((a) => a.sentAt));
          const firsts = g.runs.map((r) => r.attempts[0]).filter((a) => a.ms > SLOW_MS);
          const retries = g.runs.flatMap((r) => r.attempts.slice(1)).filter((a) => a.ms > SLOW_MS);
          return `${firsts.length} (${firsts.filter((a) => a.sentAt - start < 1_000).length}) / ${retries.length}`;
        },
      ],
      ['HTTP statuses (every attempt)', (g: GroupResult) => countsOf(g.answers.map((a) => (a.status === 0 ? 'none' : String(a.status))))],
      [
        `Retry-After header on ${QUEUE_FULL} answers; retry waits from`,
        (g: GroupResult) => {
          const full = g.answers.filter((a) => a.code === QUEUE_FULL);
          if (full.length === 0) return '-';
          const withHeader = countsOf(full.filter((a) => a.retryAfter !== undefined).map((a) => `${a.retryAfter}s`));
          const noHeader = full.filter((a) => a.retryAfter === undefined);
          const extensionsOnly = noHeader.filter((a) => a.retryAfterSeconds !== undefined).length;
          return (
            `header ${withHeader}` +
            (noHeader.length ? `; no header ${noHeader.length} (retryAfterSeconds in extensions ${extensionsOnly})` : '') +
            `; waits: ${countsOf(g.runs.flatMap((r) => r.waits))}`
          );
        },
      ],
      [
        'Retry-After on other answers',
        (g: GroupResult) => countsOf(g.answers.filter((a) => a.code !== QUEUE_FULL && a.retryAfter !== undefined).map((a) => `${a.code} ${a.retryAfter}s`)),
      ],
    ] as const) {
      log(`${title}:`);
      for (const group of results) log(`  ${group.name}: ${pick(group)}`);
    }

    log('');
    log('error messages by code (every attempt; ids and numbers as #)');
    const messages = new Map<string, string[]>();
    for (const group of results) {
      for (const answer of group.answers) {
        if (answer.toldOrder) continue;
        const key = `${group.name}: ${answer.code}`;
        const text = (answer.message ?? '').replace(/\s+/g, ' ').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '#').replace(/\d+/g, '#').slice(0, 220);
        messages.set(key, [...(messages.get(key) ?? []), text]);
      }
    }
    if (messages.size === 0) log('  (none)');
    for (const [key, texts] of messages) {
      const counts = new Map<string, number>();
      for (const text of texts) counts.set(text, (counts.get(text) ?? 0) + 1);
      for (const [text, count] of [...counts].sort((x, y) => y[1] - x[1])) log(`  ${key}: ${count} x ${text}`);
    }

    // The others' latency alone and during the hot sale, and the my-orders loops, side by side.
    const alone = results.find((group) => group.name === 'others alone');
    const during = results.find((group) => group.name === 'hot+others: others');
    if (alone || during) {
      log('');
      log(`usual latency: the others alone vs during the hot sale (every answer, ms), and the ${ORDER_READERS} my-orders closed loops`);
      const columns = [alone, during];
      const othersRows: [string, (g: GroupResult) => string][] = [
        ['others: answers (buyers)', (g) => `${g.answers.length} (${g.buyers})`],
        ['others: p50 ms', (g) => fixed(percentile(latencies(g), 50), 0)],
        ['others: p99 ms', (g) => fixed(percentile(latencies(g), 99), 0)],
        ['others: max ms', (g) => fixed(maxOf(g.answers.map((a) => a.ms)), 0)],
        [`others: answers over ${SLOW_MS / 1000} s`, (g) => String(g.answers.filter((a) => a.ms > SLOW_MS).length)],
        ['others: final answers', (g) => countsOf(g.runs.map((r) => r.final.code))],
      ];
      const readerColumns = [readerResults.get('others alone'), readerResults.get('hot + others')];
      const readerRows: [string, (r: ReaderResult) => string][] = [
        ['my-orders: queries', (r) => String(r.count)],
        ['my-orders: p50 ms', (r) => fixed(percentile(r.latencies, 50), 0)],
        ['my-orders: p99 ms', (r) => fixed(percentile(r.latencies, 99), 0)],
        ['my-orders: max ms', (r) => fixed(r.latencies[r.latencies.length - 1] ?? NaN, 0)],
        ['my-orders: errors by code', (r) => countsOf([...r.errors].flatMap(([code, count]) => Array<string>(count).fill(code)))],
      ];
      const sideRows = [
        ...othersRows.map(([label, pick]) => [label, ...columns.map((g) => (g ? pick(g) : '-'))]),
        ...readerRows.map(([label, pick]) => [label, ...readerColumns.map((r) => (r ? pick(r) : '-'))]),
      ];
      for (const line of table(['', 'alone', 'during hot sale'], sideRows, [1, 2])) log(line);
      for (const [name, result] of [['alone', readerColumns[0]], ['during hot sale', readerColumns[1]]] as const) {
        for (const [code, sample] of result?.samples ?? []) log(`  my-orders ${name}: ${code}: ${sample.replace(/\s+/g, ' ')}`);
      }
    }

    log('');
    const hot = results.find((group) => group.name === 'hot')!;
    const spread = results.find((group) => group.name === 'spread')!;
    const hotRate = hot.sold / hot.lastSaleAnswerSeconds;
    const spreadRate = spread.sold / spread.lastSaleAnswerSeconds;
    const ratio = hotRate / spreadRate;
    log(`hot sold/s / spread sold/s = ${fixed(hotRate, 1)} / ${fixed(spreadRate, 1)} = ${fixed(ratio, 2)} (goal >= 0.5: ${Number.isFinite(ratio) && ratio >= 0.5 ? 'met' : 'not met'})`);
    const hotDb = hot.sold / hot.lastSaleSeconds;
    const spreadDb = spread.sold / spread.lastSaleSeconds;
    const byDatabase = hotDb / spreadDb;
    log(
      `  the same by database (sold / seconds to the last order entering PAID): ${fixed(hotDb, 1)} / ${fixed(spreadDb, 1)} = ${fixed(byDatabase, 2)} ` +
        `(goal >= 0.5: ${Number.isFinite(byDatabase) && byDatabase >= 0.5 ? 'met' : 'not met'})`,
    );
  } finally {
    log('stopping every process this benchmark started');
    await cleanUp();
  }
  process.exit(0);
}

runMain(main);

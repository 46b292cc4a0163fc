import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Agent } from 'undici';
import { signAccessToken } from '../lib/access-token';
import { databaseUrl } from '../lib/database';
import { DEMO_USERS, demoCatalog } from '../lib/demo-data';
import { runMain } from '../lib/entry-point';
import { freePort } from '../lib/http';
import { Role } from '../lib/identity';
import { repoRoot, schemaDir } from '../lib/paths';
import { createAgent, percentile, runLoad, send, type LoadResult, type Target } from './bench/load';
import { startOtlpReceiver, type OtlpReceiver } from './bench/otlp-receiver';
import { cleanUpOnSignals, SplitDeployment } from './bench/split-deployment';
import { CLOCK_TICKS, cpuMsOfCommand, cpuMsOfTrees, processTree, startService, waitUntil, type Service } from './processes';
import {
  listPage,
  MIX_WEIGHTS,
  mixSequence,
  myCart,
  myOrders,
  productPages,
  searches,
  singleQuery,
  SORTS,
  storefrontOperation,
  WORKLOADS,
  type BenchRequest,
  type ListPage,
  type Workload,
} from './bench/workloads';

/**
 * Gateway throughput benchmark: a storefront mix (or one query) against our
 * gateway, and optionally Hive Gateway on the same subgraphs, in alternating
 * rounds, with latency, errors, CPU per request of every process and
 * PostgreSQL transactions per request.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:gateway
 *   npm run bench:gateway -- --peer hive --workload mix
 *
 * It starts the split deployment in production mode from dist/: seeds the
 * databases bench_gateway_<subgraph> (dist/scripts/seed.js), then every
 * subgraph and the gateway as its own process on 127.0.0.1 (RATE_LIMIT_MODE=off,
 * the benchmark being one client; every other setting the production default).
 * Redis: REDIS_URL when set, else a private redis-server on a free port.
 * `--target URL` drives a running gateway instead (CPU is then not measured;
 * it needs that gateway's JWT_SECRET and INTERNAL_SECRET in the environment
 * for the signed-in requests and the subgraphs' credential).
 *
 * Options: --connections N concurrent loops (20), --seconds S per round (10),
 * --rounds R (3), --warmup S unmeasured seconds per gateway before round 1 (5),
 * --peer none|hive (none), --workload mix|list|product|categories (mix),
 * --target URL (none), --signed-in on|off: the mix's signed-in requests (on;
 * Hive forwards no identity to the subgraphs, so it answers them `me: null`:
 * `off` leaves them out for an equal comparison), --cache off|on|both: our
 * gateway with the response cache off, on, or one process of each measured
 * side by side (both; ignored with --target), --churn N: stock adjustments
 * per second (adjustStock of a random stocked product, +1 then -1) while the
 * rounds run, through the first of our gateways (0; each one publishes a
 * stock event that drops the cached answers holding that product),
 * --tracing off|on: OpenTelemetry tracing in the gateway and every subgraph,
 * every trace sampled, exported over OTLP/HTTP to a receiver in this process
 * that counts the spans and discards them (off; its CPU counts as the client's).
 */
interface Options {
  connections: number;
  seconds: number;
  rounds: number;
  warmup: number;
  peer: 'none' | 'hive';
  workload: Workload;
  target?: string;
  /** The mix's signed-in requests (me cart, me orders): Hive forwards no identity, so `off` gives an equal mix. */
  signedIn: 'on' | 'off';
  /** Our gateway's response cache: off, on, or a gateway process of each. */
  cache: 'off' | 'on' | 'both';
  /** Stock adjustments per second during the rounds. */
  churn: number;
  /** Tracing in every service, sampled at 100%, exported over OTLP to a receiver in this process. */
  tracing: 'off' | 'on';
}

function parseOptions(argv: string[]): Options {
  const options: Options = { connections: 20, seconds: 10, rounds: 3, warmup: 5, peer: 'none', workload: 'mix', signedIn: 'on', cache: 'both', churn: 0, tracing: 'off' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (key === 'connections' || key === 'seconds' || key === 'rounds' || key === 'warmup' || key === 'churn') {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0 || (key !== 'warmup' && key !== 'churn' && number <= 0)) throw new Error(`${argv[i]} needs a positive number, got ${value}`);
      if (key === 'churn') options.churn = number;
      else options[key] = key === 'connections' || key === 'rounds' ? Math.round(number) : number;
    } else if (key === 'peer') {
      if (value !== 'none' && value !== 'hive') throw new Error(`--peer is none or hive, got ${value}`);
      options.peer = value;
    } else if (key === 'workload') {
      if (!(WORKLOADS as readonly string[]).includes(value)) throw new Error(`--workload is one of ${WORKLOADS.join(', ')}, got ${value}`);
      options.workload = value as Workload;
    } else if (key === 'signed-in') {
      if (value !== 'on' && value !== 'off') throw new Error(`--signed-in is on or off, got ${value}`);
      options.signedIn = value;
    } else if (key === 'cache') {
      if (value !== 'off' && value !== 'on' && value !== 'both') throw new Error(`--cache is off, on or both, got ${value}`);
      options.cache = value;
    } else if (key === 'target') {
      options.target = value;
    } else if (key === 'tracing') {
      if (value !== 'off' && value !== 'on') throw new Error(`--tracing is off or on, got ${value}`);
      options.tracing = value;
    } else {
      throw new Error(`Unknown option ${argv[i]}`);
    }
  }
  return options;
}

const log = (message: string) => process.stdout.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOST = '127.0.0.1';
const DATABASE_PREFIX = 'bench_gateway';
/** PostgreSQL publishes a backend's counters at most once a second: wait this long before reading them. */
const STATS_SETTLE_MS = 2_000;
/** Length of the fixed pseudo-random request sequence of the mix. */
const MIX_LENGTH = 4_000;
const TOKEN_TTL_SECONDS = 6 * 3600;

/** A plain-text table; `numeric` columns are right-aligned. */
function table(header: string[], rows: string[][], numeric: number[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (numeric.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
function median(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

/** The processes whose CPU is read for one gateway. */
interface Measured {
  name: string;
  target: Target;
  gatewayPids: number[];
}

interface Round {
  round: number;
  gateway: string;
  load: LoadResult;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  gatewayMs: number;
  subgraphsMs: number;
  /** CPU ms per request of each subgraph process. */
  perSubgraphMs: Record<string, number>;
  postgresMs: number;
  clientMs: number;
  /** CPU of every measured process (gateway, subgraphs, PostgreSQL, client) over the round's wall time, in cores. */
  cores: number;
  transactions: number;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpuModel = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  log(`gateway benchmark: ${os.cpus().length} cores (${cpuModel}), Node ${process.version}, clock ticks ${CLOCK_TICKS}/s; everything on ${HOST}`);
  log(
    `workload ${options.workload}${options.workload === 'mix' && options.signedIn === 'off' ? ' (anonymous only)' : ''}, ${options.connections} connections, ${options.rounds} round(s) of ${options.seconds} s per gateway, ` +
      `warm-up ${options.warmup} s per gateway, peer ${options.peer}${options.target ? `, target ${options.target}` : `, response cache ${options.cache}`}, ` +
      `stock changes ${options.churn}/s, tracing ${options.tracing}`,
  );

  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl && !options.target) {
    log('DATABASE_URL is required (a PostgreSQL server for the databases bench_gateway_<subgraph>), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:gateway');
    process.exit(2);
  }

  const deployment = new SplitDeployment();
  let hive: Service | undefined;
  let tempDir: string | undefined;
  let pg: Client | undefined;
  const agents: Agent[] = [];
  let stopping: Promise<void> | undefined;
  let otlp: OtlpReceiver | undefined;
  const cleanUp = () =>
    (stopping ??= (async () => {
      await Promise.all(agents.map((agent) => agent.close().catch(() => undefined)));
      await pg?.end().catch(() => undefined);
      await hive?.stop().catch(() => undefined);
      // The gateways first, then the subgraphs, then Redis.
      await deployment.stop();
      await otlp?.close().catch(() => undefined);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    })());
  cleanUpOnSignals(cleanUp, log);

  try {
    const internalSecret = options.target ? (process.env.INTERNAL_SECRET ?? 'development-internal-secret') : randomBytes(32).toString('hex');
    const jwtSecret = options.target ? (process.env.JWT_SECRET ?? 'development-jwt-secret-change-me-in-production') : randomBytes(32).toString('hex');
    const databasePrefix = options.target ? (process.env.DATABASE_NAME_PREFIX ?? 'commerce') : DATABASE_PREFIX;
    const subgraphPorts: Record<string, number> = {};
    /** Our gateway processes: one per response-cache setting measured. */
    const ourGateways: { name: string; url: string; pids: number[] }[] = [];
    let subgraphPids: number[] = [];
    const subgraphPidByName: Record<string, number> = {};

    if (options.target) {
      ourGateways.push({ name: 'ours', url: options.target, pids: [] });
      log(`our gateway: ${options.target} (running; its CPU is not measured)`);
    } else {
      await deployment.startSubgraphs({
        serverUrl: serverUrl!,
        databasePrefix: DATABASE_PREFIX,
        internalSecret,
        jwtSecret,
        host: HOST,
        log,
        extraEnv: async (): Promise<Record<string, string>> => {
          if (options.tracing !== 'on') return {};
          otlp = await startOtlpReceiver(HOST, await freePort());
          log(`tracing: every service exports every trace (OTEL_TRACES_SAMPLER=always_on) to an OTLP receiver in this process, ${otlp.url}/v1/traces`);
          return { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_TRACES_SAMPLER: 'always_on' };
        },
      });
      Object.assign(subgraphPorts, deployment.subgraphPorts);
      const variants: ('off' | 'on')[] = options.cache === 'both' ? ['off', 'on'] : [options.cache];
      for (const cache of variants) {
        const name = variants.length > 1 ? `ours, cache ${cache}` : 'ours';
        const gateway = await deployment.startGateway({
          service: `gateway-cache-${cache}`,
          env: { RESPONSE_CACHE: String(cache === 'on') },
          describe: (url) => `${name}: ${url} (dist/gateway/main.js, NODE_ENV=production, RATE_LIMIT_MODE=off, RESPONSE_CACHE=${cache === 'on'})`,
        });
        ourGateways.push({ name, url: gateway.url, pids: [gateway.service.child.pid!] });
      }
      subgraphPids = deployment.subgraphServices().map((service) => service.child.pid!);
      for (const service of deployment.subgraphServices()) subgraphPidByName[service.name] = service.child.pid!;
      log(`  all up in ${((Date.now() - deployment.seedStartedAt) / 1000).toFixed(1)} s`);
    }

    const headers = { 'content-type': 'application/json', 'x-internal-secret': internalSecret };
    const customer = DEMO_USERS.find((user) => user.role === 'CUSTOMER')!;
    const token = await signAccessToken({ id: customer.id, role: Role.CUSTOMER }, jwtSecret, TOKEN_TTL_SECONDS);
    const mine: Measured[] = ourGateways.map((gateway) => ({ name: gateway.name, target: { url: gateway.url, headers, token }, gatewayPids: gateway.pids }));
    const ours = mine[0];
    const setupAgent = createAgent(8);
    agents.push(setupAgent);
    for (const gateway of mine) {
      const ready = await send(setupAgent, gateway.target, { body: JSON.stringify({ query: '{ __typename }' }), signedIn: false });
      if (ready.status !== 200) throw new Error(`${gateway.name} answers { __typename } with ${ready.status}: ${ready.text.slice(0, 300)}`);
    }

    let peer: Measured | undefined;
    if (options.peer === 'hive') {
      const script = path.resolve(repoRoot(), '..', 'shared', 'bench', 'hive-gateway.sh');
      if (!existsSync(script)) throw new Error(`--peer hive needs ${script}`);
      let supergraph = path.join(schemaDir(), 'supergraph.graphql');
      if (!options.target) {
        // Hive takes the subgraph URLs from the supergraph (localhost:4001-4005): give it a copy naming ours.
        tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-gateway-'));
        const text = readFileSync(supergraph, 'utf8').replace(/@join__graph\(name: "(\w+)", url: "[^"]*"\)/g, (whole, name: string) =>
          subgraphPorts[name] ? `@join__graph(name: "${name}", url: "http://${HOST}:${subgraphPorts[name]}/graphql")` : whole,
        );
        supergraph = path.join(tempDir, 'supergraph.graphql');
        writeFileSync(supergraph, text);
      }
      const port = await freePort();
      log(`Hive Gateway: bash ${path.relative(repoRoot(), script)} ${options.target ? 'schema/supergraph.graphql' : 'schema/supergraph.graphql (copy with our subgraph ports)'} ${port}`);
      const startedAt = Date.now();
      hive = startService('hive', 'bash', [script, supergraph, String(port)], { ...process.env, NODE_ENV: 'production' });
      const hiveUrl = `http://${HOST}:${port}/graphql`;
      const hiveTarget: Target = { url: hiveUrl, headers, token };
      await waitUntil(hive, 'answering', async () => (await send(setupAgent, hiveTarget, { body: JSON.stringify({ query: '{ __typename }' }), signedIn: false })).status === 200, 600_000);
      peer = { name: 'Hive', target: hiveTarget, gatewayPids: [hive.child.pid!] };
      const tree = processTree([hive.child.pid!]);
      log(`  Hive Gateway up at ${hiveUrl} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${tree.length} process(es) measured: pids ${tree.join(', ')})`);
    }

    // SQL: transactions on the bench databases, from pg_stat_database (pg_stat_statements needs a server restart to load).
    let transactions: () => Promise<number> = async () => NaN;
    if (serverUrl) {
      pg = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
      await pg.connect();
      const pattern = `${databasePrefix}\\_%`;
      transactions = async () => {
        const result = await pg!.query<{ count: string | null }>(`SELECT sum(xact_commit + xact_rollback)::text AS count FROM pg_stat_database WHERE datname LIKE $1`, [pattern]);
        return Number(result.rows[0]?.count ?? NaN);
      };
      const before = await transactions();
      await sleep(3_000);
      const idleRate = ((await transactions()) - before) / 3;
      log(`SQL: transactions (xact_commit + xact_rollback) of databases ${databasePrefix}_* in pg_stat_database; idle background rate ${fixed(idleRate, 1)}/s (counted too)`);
    }

    // The signed-in customer has a cart with a few lines (the seed makes none); only in our own databases.
    if (!options.target) {
      const cart = await send(setupAgent, ours.target, myCart());
      if (!cart.json?.data?.me) throw new Error(`signed-in cart query failed: ${cart.text.slice(0, 400)}`);
      if ((cart.json.data.me.cart?.itemCount ?? 0) === 0) {
        const addToCart = storefrontOperation('add-to-cart');
        for (const product of demoCatalog().products.slice(1, 4)) {
          const added = await send(setupAgent, ours.target, { body: JSON.stringify({ query: addToCart, variables: { productId: product.id, quantity: 1 } }), signedIn: true });
          if (added.json?.errors || added.status !== 200) throw new Error(`addToCart failed: ${added.text.slice(0, 400)}`);
        }
        log('  the demo customer\'s cart got 3 lines (addToCart)');
      }
    }

    // The request sequence.
    let sequence: BenchRequest[];
    if (options.workload === 'mix') {
      const pages: ListPage[] = [];
      const chains: ListPage[] = [];
      for (const categoryId of [null, ...demoCatalog().categories.map((category) => category.id)]) for (const sort of SORTS) chains.push({ categoryId, sort, after: null });
      // Up to three pages of each category (and the whole shop) in each sort, with the cursors the API gave.
      await Promise.all(
        chains.map(async (first) => {
          let page: ListPage | undefined = first;
          for (let depth = 0; depth < 3 && page; depth += 1) {
            pages.push(page);
            const answer = await send(setupAgent, ours.target, listPage(page));
            const info = answer.json?.data?.products?.pageInfo;
            if (!info) throw new Error(`product list failed: ${answer.text.slice(0, 400)}`);
            page = info.hasNextPage ? { ...page, after: info.endCursor } : undefined;
          }
        }),
      );
      const variants: Record<string, BenchRequest[]> = {
        'product page': productPages(),
        'category page': pages.filter((page) => page.categoryId).map(listPage),
        search: searches(),
        'product list': pages.filter((page) => !page.categoryId).map(listPage),
        'me cart': [myCart()],
        'me orders': [myOrders()],
      };
      const weights: Record<string, number> = { ...MIX_WEIGHTS, ...(options.signedIn === 'off' ? { 'me cart': 0, 'me orders': 0 } : {}) };
      sequence = mixSequence(variants, weights, MIX_LENGTH);
      const counts = new Map<string, number>();
      for (const item of sequence) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
      log(
        `mix: a fixed sequence of ${MIX_LENGTH} requests (the same for both gateways), loop i starting at offset i*${Math.floor(MIX_LENGTH / options.connections)}: ` +
          Object.keys(MIX_WEIGHTS)
            .filter((kind) => weights[kind] > 0)
            .map((kind) => `${kind} ${fixed((100 * (counts.get(kind) ?? 0)) / MIX_LENGTH, 1)}% (${variants[kind].length} variants)`)
            .join(', '),
      );
    } else {
      sequence = [singleQuery(options.workload)];
      log(`${options.workload}: the same request every time: ${JSON.parse(sequence[0].body).query.split('\n')[0]} ...`);
    }

    // Checks before timing: every distinct request once, answered with data and no errors; Hive's data equal to ours.
    const distinct = [...new Map(sequence.map((item) => [`${item.signedIn}:${item.body}`, item])).values()];
    log(`checking ${distinct.length} distinct request(s) once on ${[...mine, ...(peer ? [peer] : [])].map((gateway) => gateway.name).join(' and ')}`);
    const problems: string[] = [];
    const differences = new Map<string, { count: number; sample: string }>();
    let checked = 0;
    for (let i = 0; i < distinct.length; i += 8) {
      await Promise.all(
        distinct.slice(i, i + 8).map(async (item) => {
          const answers = await Promise.all(mine.map((gateway) => send(setupAgent, gateway.target, item)));
          checked += 1;
          answers.forEach((answer, index) => {
            const name = mine[index].name;
            if (answer.status !== 200 || answer.json?.errors || !answer.json?.data) problems.push(`${name}, ${item.kind}: ${answer.status} ${answer.text.slice(0, 300)}`);
            else if (JSON.stringify(answer.json.data) !== JSON.stringify(answers[0].json?.data)) problems.push(`${name}, ${item.kind}: differs from ${mine[0].name}: ${answer.text.slice(0, 200)}`);
          });
          if (item.kind === 'me cart' && !answers[0].json?.data?.me?.cart?.items?.length && !options.target) problems.push(`ours, me cart: no cart lines: ${answers[0].text.slice(0, 300)}`);
          if (!peer) return;
          const mine0 = answers[0];
          const theirs = await send(setupAgent, peer.target, item);
          if (theirs.status !== 200 || theirs.json?.errors) problems.push(`Hive, ${item.kind}: ${theirs.status} ${theirs.text.slice(0, 300)}`);
          else if (JSON.stringify(theirs.json?.data) !== JSON.stringify(mine0.json?.data)) {
            const entry = differences.get(item.kind);
            if (entry) entry.count += 1;
            else differences.set(item.kind, { count: 1, sample: `ours ${JSON.stringify(mine0.json?.data).slice(0, 160)} | Hive ${JSON.stringify(theirs.json?.data).slice(0, 160)}` });
          }
        }),
      );
    }
    for (const problem of problems.slice(0, 10)) log(`  !! ${problem}`);
    if (problems.length > 0) throw new Error(`${problems.length} request(s) of the workload failed before timing`);
    log(`  ${checked} answered with data and no errors${peer ? `; Hive's data ${differences.size === 0 ? 'equal to ours for every one' : 'differs for:'}` : ''}`);
    for (const [kind, { count, sample }] of differences) log(`  !! ${kind}: ${count} differ, e.g. ${sample}`);

    const loadAgent = createAgent(options.connections);
    agents.push(loadAgent);
    const gateways = peer ? [...mine, peer] : mine;
    if (options.warmup > 0) {
      for (const gateway of gateways) {
        log(`warm-up: ${gateway.name} ${options.warmup} s (not measured)`);
        await runLoad(loadAgent, gateway.target, sequence, options.connections, options.warmup);
      }
    }
    await sleep(STATS_SETTLE_MS);

    // Writes while reads are measured: each adjustment publishes stock.changed, which drops the cached answers holding the product.
    let churn: NodeJS.Timeout | undefined;
    let churned = 0;
    const churnErrors: string[] = [];
    if (options.churn > 0) {
      const admin = DEMO_USERS.find((user) => user.role === 'ADMIN')!;
      const adminTarget: Target = { ...ours.target, token: await signAccessToken({ id: admin.id, role: Role.ADMIN }, jwtSecret, TOKEN_TTL_SECONDS) };
      const stocked = demoCatalog().stock.filter((stock) => stock.onHand > 2);
      const adjust = storefrontOperation('admin-adjust-stock');
      let step = 0;
      churn = setInterval(() => {
        const stock = stocked[Math.floor(Math.random() * stocked.length)];
        const delta = step++ % 2 === 0 ? 1 : -1;
        void send(setupAgent, adminTarget, { body: JSON.stringify({ query: adjust, variables: { productId: stock.productId, warehouseId: stock.warehouseId, delta } }), signedIn: true }).then(
          (answer) => {
            churned += 1;
            if (answer.status !== 200 || answer.json?.errors) churnErrors.push(answer.text.slice(0, 200));
          },
          (error: Error) => churnErrors.push(error.message),
        );
      }, 1000 / options.churn);
      log(`stock changes: ${options.churn}/s through ${ours.name} (adjustStock, +1 then -1, on a random stocked product) during the rounds`);
    }

    const rounds: Round[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const gateway of gateways) {
        const sqlBefore = await transactions();
        const gatewayBefore = cpuMsOfTrees(gateway.gatewayPids);
        const subgraphsBefore = cpuMsOfTrees(subgraphPids);
        const eachBefore = Object.fromEntries(Object.entries(subgraphPidByName).map(([name, pid]) => [name, cpuMsOfTrees([pid])]));
        const postgresBefore = cpuMsOfCommand('postgres').ms;
        const load = await runLoad(loadAgent, gateway.target, sequence, options.connections, options.seconds);
        const gatewayMs = cpuMsOfTrees(gateway.gatewayPids) - gatewayBefore;
        const subgraphsMs = cpuMsOfTrees(subgraphPids) - subgraphsBefore;
        const eachMs = Object.fromEntries(Object.entries(subgraphPidByName).map(([name, pid]) => [name, cpuMsOfTrees([pid]) - eachBefore[name]]));
        const postgresMs = cpuMsOfCommand('postgres').ms - postgresBefore;
        await sleep(STATS_SETTLE_MS);
        const sql = (await transactions()) - sqlBefore;
        const n = load.requests;
        const measured = gateway.gatewayPids.length > 0;
        const result: Round = {
          round,
          gateway: gateway.name,
          load,
          rps: n / load.seconds,
          p50: percentile(load.latencies, 50),
          p95: percentile(load.latencies, 95),
          p99: percentile(load.latencies, 99),
          gatewayMs: measured ? gatewayMs / n : NaN,
          subgraphsMs: subgraphPids.length > 0 ? subgraphsMs / n : NaN,
          perSubgraphMs: Object.fromEntries(Object.entries(eachMs).map(([name, ms]) => [name, ms / n])),
          postgresMs: postgresMs / n,
          clientMs: load.clientCpuMs / n,
          cores: ((measured ? gatewayMs : 0) + subgraphsMs + postgresMs + load.clientCpuMs) / (load.seconds * 1000),
          transactions: sql / n,
        };
        rounds.push(result);
        log(
          `round ${round}/${options.rounds} ${gateway.name.padEnd(13)}: ${n} requests in ${fixed(load.seconds, 1)} s = ${fixed(result.rps, 0)} req/s, ` +
            `p50 ${fixed(result.p50)} / p95 ${fixed(result.p95)} / p99 ${fixed(result.p99)} ms, errors ${load.errors}, ` +
            `CPU ms/request: gateway ${fixed(result.gatewayMs, 3)}, subgraphs ${fixed(result.subgraphsMs, 3)}, PostgreSQL ${fixed(result.postgresMs, 3)}, client ${fixed(result.clientMs, 3)}; ` +
            `measured processes ${fixed(result.cores)} cores; SQL transactions/request ${fixed(result.transactions)}`,
        );
        for (const [kind, { count, sample }] of load.errorKinds) log(`    !! ${count} x ${kind}: ${sample}`);
      }
    }

    if (churn) {
      clearInterval(churn);
      log(`stock changes made during the rounds: ${churned}, failed ${churnErrors.length}${churnErrors.length ? `: ${churnErrors[0]}` : ''}`);
    }

    log('');
    log(`per round (CPU in ms per request: utime+stime from /proc/<pid>/stat; PostgreSQL = every postgres process of the server; SQL = transactions per request on ${databasePrefix}_*)`);
    const rows = rounds.map((r) => [
      String(r.round),
      r.gateway,
      fixed(r.rps, 0),
      fixed(r.p50),
      fixed(r.p95),
      fixed(r.p99),
      String(r.load.errors),
      fixed(r.gatewayMs, 3),
      fixed(r.subgraphsMs, 3),
      fixed(r.postgresMs, 3),
      fixed(r.clientMs, 3),
      fixed(r.cores),
      fixed(r.transactions),
    ]);
    for (const line of table(['round', 'gateway', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'gw CPU', 'subgraphs CPU', 'PG CPU', 'client CPU', 'cores', 'SQL xact/req'], rows, [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) log(line);

    log('');
    const metrics: [string, (r: Round) => number, number][] = [
      ['req/s', (r) => r.rps, 0],
      ['p50 ms', (r) => r.p50, 2],
      ['p95 ms', (r) => r.p95, 2],
      ['p99 ms', (r) => r.p99, 2],
      ['errors', (r) => r.load.errors, 0],
      ['gateway CPU ms/req', (r) => r.gatewayMs, 3],
      ['subgraphs CPU ms/req', (r) => r.subgraphsMs, 3],
      ['PostgreSQL CPU ms/req', (r) => r.postgresMs, 3],
      ['client CPU ms/req', (r) => r.clientMs, 3],
      ['CPU of all measured processes, cores', (r) => r.cores, 2],
      ['SQL transactions/req', (r) => r.transactions, 2],
    ];
    const of = (name: string) => rounds.filter((r) => r.gateway === name);
    const names = gateways.map((gateway) => gateway.name);
    if (peer) {
      log(`summary: medians over ${options.rounds} round(s); x/Hive is the median of the per-round ratios (rounds alternate ${names.join(', ')})`);
      const summary = metrics.map(([label, pick, digits]) => {
        const theirs = of('Hive');
        const ratios = mine.map((gateway) => (label === 'errors' ? '' : fixed(median(of(gateway.name).map((r, index) => pick(r) / pick(theirs[index]))))));
        return [label, ...names.map((name) => fixed(median(of(name).map(pick)), digits)), ...ratios];
      });
      for (const line of table(['metric', ...names, ...mine.map((gateway) => `${gateway.name}/Hive`)], summary, names.map((_, index) => index + 1).concat(mine.map((_, index) => names.length + index + 1)))) log(line);
    } else {
      log(`summary: medians over ${options.rounds} round(s)`);
      const summary = metrics.map(([label, pick, digits]) => [label, ...names.map((name) => fixed(median(of(name).map(pick)), digits))]);
      for (const line of table(['metric', ...names], summary, names.map((_, index) => index + 1))) log(line);
    }
    if (subgraphPids.length > 0) {
      log('');
      log('subgraph CPU ms per request, by subgraph (medians over rounds)');
      const subgraphNames = Object.keys(subgraphPidByName);
      const rows = gateways.map((gateway) => [gateway.name, ...subgraphNames.map((name) => fixed(median(of(gateway.name).map((r) => r.perSubgraphMs[name])), 3))]);
      for (const line of table(['gateway', ...subgraphNames], rows, subgraphNames.map((_, index) => index + 1))) log(line);
    }
    if (options.workload === 'mix') {
      log('');
      log('round trip by kind of request, all rounds pooled (ms)');
      const kinds = Object.keys(MIX_WEIGHTS).filter((kind) => sequence.some((item) => item.kind === kind));
      const rows = kinds.flatMap((kind) =>
        gateways.map((gateway) => {
          const pooled = Float64Array.from(of(gateway.name).flatMap((r) => r.load.byKind.get(kind) ?? [])).sort();
          return [kind, gateway.name, String(pooled.length), fixed(percentile(pooled, 50)), fixed(percentile(pooled, 95)), fixed(percentile(pooled, 99))];
        }),
      );
      for (const line of table(['kind', 'gateway', 'requests', 'p50', 'p95', 'p99'], rows, [2, 3, 4, 5])) log(line);
    }
    if (peer && differences.size > 0) log(`note: Hive's answers differ from ours for ${[...differences.keys()].join(', ')} (see the check above): those requests are not the same work on both`);
    if (otlp) {
      // Give the batch processors (5 s schedule) time to export the last rounds' spans.
      await sleep(6_000);
      const received = otlp.stats();
      const requests = rounds.reduce((sum, r) => sum + r.load.requests, 0);
      log(`tracing: the OTLP receiver got ${received.spans} spans in ${received.exports} exports (${fixed(received.bytes / 1e6, 1)} MB), about ${fixed(received.spans / requests, 1)} spans per measured request (warm-up included in the spans)`);
    }
  } finally {
    log('stopping every process this benchmark started');
    await cleanUp();
  }
  process.exit(0);
}

runMain(main);

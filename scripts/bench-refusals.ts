import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { readGatewayConfig, type GatewayConfig } from '../gateway/gateway.config';
import { startGateway, type RunningGateway } from '../gateway/gateway.server';
import { disableApolloTelemetry } from '../lib/config';
import { freePort } from '../lib/http';
import { createTempDataParent, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/embedded-postgres';
import { runMain } from '../lib/entry-point';
import { createLogger } from '../lib/logger';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { ABUSIVE_CASES, ABUSIVE_NESTED_QUERY, ANSWERED, HOSTILE_SHAPES, requestOf, TRIVIAL_QUERY, type AbusiveCase, type HostileBody, type HostileShape } from './abusive-operations';
import { startLocalSupergraph, type LocalSupergraph } from './local-supergraph';

/**
 * Refusal benchmark: what abusive requests cost the gateway, and what they
 * do to everyone else. Starts its own supergraph in this process (the five
 * subgraphs and the gateway in production mode, on a seeded database
 * `bench_refusals_<subgraph>`), plus a second, baseline gateway over the same
 * subgraphs with every protection off, then:
 *
 *  (a) sends each case of scripts/abusive-operations.ts N times in a row to
 *      the protected gateway, checks every answer's status and
 *      extensions.code, and prints p50 / p99 / max of the round trip;
 *  (a') sends each case of the hostile-shape family (scripts/hostile-shapes.ts:
 *      fragments spread 2^40 and 2^64 times, doubling aliases, merged
 *      fields, @skip/@include, credential fields in fragments) N times in a
 *      row over HTTP and over graphql-ws, checks status, code and limit, and
 *      prints p50 / p99 / max per case; an answered case is timed next to
 *      its plain equivalent (the subgraphs' share of its time). Verdict: each
 *      case's p99 under 10 ms;
 *  (b) times a trivial query alone, then while 3 loops keep sending the
 *      15,625-node query, against the protected gateway (they are refused)
 *      and the baseline one (they run), then while 3 loops cycle through the
 *      hostile-shape family (protected gateway only: the baseline would run
 *      them), bounded in requests and seconds. Verdict: trivial p99 under
 *      20 ms under the hostile family.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:refusals
 *
 * Without DATABASE_URL an embedded PostgreSQL runs in a temporary folder and
 * is removed at the end. REDIS_URL is ignored: budgets are in memory.
 * All traffic goes to 127.0.0.1; client and servers share this process.
 *
 * Options: --repeat N sends of each case (200), --trivial N trivial queries
 * per phase (200), --seconds S bound of each phase under load (15),
 * --abusers N concurrent abusive loops (3), --vary 1 makes every document
 * unique (a trailing comment), so the gateway's parse cache never helps (0),
 * --ws 0 skips the graphql-ws timings of (a') (1).
 * Exits 1 if any answer has another status or code than its case expects,
 * or, in the hostile-shape family, another `extensions.limit`.
 */
interface Options {
  repeat: number;
  trivial: number;
  seconds: number;
  abusers: number;
  vary: number;
  ws: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { repeat: 200, trivial: 200, seconds: 15, abusers: 3, vary: 0, ws: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    if (!(key in options)) throw new Error(`Unknown option ${argv[i]}`);
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${argv[i]} needs a number, got ${argv[i + 1]}`);
    options[key] = value;
  }
  return options;
}

const log = (message: string) => process.stdout.write(`${message}\n`);

/** Rate limit of the protected gateway: high enough never to refuse the benchmark's own traffic. */
const BENCH_IP_POINTS = 10_000_000;
/** Limits of the baseline gateway's document step: far beyond anything sent. */
const UNLIMITED = 10_000_000;
/** Longest wait for one answer (the baseline executes the nested query). */
const ANSWER_TIMEOUT_MS = 120_000;
/** Abusive loops run this long before trivial queries are timed under them. */
const HEAD_START_MS = 1_000;
/** Unmeasured sends of each case before its timed ones. */
const WARM_UP_SENDS = 5;
/** Most abusive requests one loop sends in one phase. */
const MAX_ABUSIVE_PER_LOOP = 100_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toFixed(2));

interface Answer {
  status: number;
  text: string;
  ms: number;
}

async function post(agent: Agent, url: string, payload: { body: string; headers: Record<string, string> }): Promise<Answer> {
  const started = performance.now();
  const response = await request(url, { dispatcher: agent, method: 'POST', headers: payload.headers, body: payload.body });
  const text = await response.body.text();
  return { status: response.statusCode, text, ms: performance.now() - started };
}

/** Status, first error code and limit of an answer; `executed` when it carries data and no error. */
function outcomeOf(answer: Answer): { code: string; limit?: string } {
  try {
    const body = JSON.parse(answer.text) as { data?: unknown; errors?: { extensions?: { code?: string; limit?: string } }[] };
    const first = body.errors?.[0]?.extensions;
    if (first) return { code: first.code ?? '(no code)', limit: first.limit };
    return { code: body.data ? 'executed' : '(no data, no errors)' };
  } catch {
    return { code: '(not JSON)' };
  }
}

/** A plain-text table; `numeric` columns are right-aligned. */
function table(header: string[], rows: string[][], numeric: number[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (numeric.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

/** The payload of a case, its document made unique by a trailing comment when `vary` is set. */
function payloadOf(abusive: AbusiveCase, index: number, vary: boolean) {
  if (!vary || typeof abusive.body?.query !== 'string') return requestOf(abusive);
  return requestOf({ ...abusive, body: { ...abusive.body, query: `${abusive.body.query}\n# ${index}` } });
}

interface Mismatch {
  name: string;
  expected: string;
  got: string;
  count: number;
  body: string;
}

/** (a): every case `repeat` times in a row against the protected gateway. */
async function measureCases(agent: Agent, url: string, options: Options): Promise<{ mismatches: Mismatch[]; limitNotes: string[]; worstP99: number }> {
  const rows: string[][] = [];
  const mismatches: Mismatch[] = [];
  const limitNotes: string[] = [];
  let worstP99 = 0;
  for (const [index, abusive] of ABUSIVE_CASES.entries()) {
    log(`  [${index + 1}/${ABUSIVE_CASES.length}] ${abusive.name}: ${options.repeat} requests`);
    const times: number[] = [];
    const seen = new Map<string, { count: number; body: string }>();
    let limit: string | undefined;
    // Unmeasured sends first: connections and the gateway's own first-use work are not what is timed.
    for (let i = 1; i <= WARM_UP_SENDS; i += 1) await post(agent, url, payloadOf(abusive, -i, options.vary > 0));
    for (let i = 0; i < options.repeat; i += 1) {
      const payload = payloadOf(abusive, i, options.vary > 0);
      const answer = await post(agent, url, payload);
      times.push(answer.ms);
      const outcome = outcomeOf(answer);
      limit = outcome.limit;
      const got = `${answer.status} ${outcome.code}`;
      const entry = seen.get(got);
      if (entry) entry.count += 1;
      else seen.set(got, { count: 1, body: answer.text.slice(0, 600) });
    }
    const expected = `${abusive.expectedStatus} ${abusive.expectedCode}`;
    for (const [got, { count, body }] of seen) {
      if (got === expected) continue;
      mismatches.push({ name: abusive.name, expected, got, count, body });
      log(`  !! MISMATCH ${abusive.name}: expected ${expected}, got ${got} (${count}/${options.repeat}): ${body}`);
    }
    if (abusive.expectedLimit && limit !== abusive.expectedLimit) {
      limitNotes.push(`${abusive.name}: expected limit ${abusive.expectedLimit}, got ${limit ?? '(none)'}`);
    }
    times.sort((a, b) => a - b);
    worstP99 = Math.max(worstP99, percentile(times, 99));
    const [status, code] = [...seen.keys()].length === 1 ? [...seen.keys()][0].split(' ') : ['mixed', [...seen.keys()].join(' | ')];
    rows.push([abusive.name, status, code, limit ?? '', ms(percentile(times, 50)), ms(percentile(times, 99)), ms(times[times.length - 1])]);
  }
  log('');
  for (const line of table(['case', 'status', 'code', 'limit', 'p50 ms', 'p99 ms', 'max ms'], rows, [1, 4, 5, 6])) log(line);
  return { mismatches, limitNotes, worstP99 };
}

interface Phase {
  label: string;
  trivial: number[];
  trivialSent: number;
  abusive: Map<string, number>;
  abusiveTimes: number[];
  /** Products in the first executed answer to the nested query (the baseline). */
  executedProducts?: number;
  seconds: number;
}

const NESTED_LOAD = [requestOf({ name: 'nested', body: { query: ABUSIVE_NESTED_QUERY }, expectedStatus: 400, expectedCode: '' })];

/**
 * Trivial queries in a row (at most `count`, at most `seconds`), with
 * `abusers` loops sending `load` meanwhile (each loop cycles through it,
 * from its own starting point): the 15,625-node query unless told otherwise.
 */
async function runPhase(label: string, url: string, options: Options, abusers: number, load: readonly ReturnType<typeof requestOf>[] = NESTED_LOAD): Promise<Phase> {
  const trivialAgent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
  const abuseAgent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
  const trivialPayload = requestOf({ name: 'trivial', body: { query: TRIVIAL_QUERY }, expectedStatus: 200, expectedCode: '' });
  const phase: Phase = { label, trivial: [], trivialSent: 0, abusive: new Map(), abusiveTimes: [], seconds: 0 };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let stop = false;
  const loops = Array.from({ length: abusers }, async (_, loop) => {
    for (let sent = 0; !stop && sent < MAX_ABUSIVE_PER_LOOP && performance.now() < deadline; sent += 1) {
      try {
        const answer = await post(abuseAgent, url, load[(sent + loop * Math.ceil(load.length / Math.max(1, abusers))) % load.length]);
        const outcome = outcomeOf(answer);
        const key = outcome.code === 'executed' ? `executed (${answer.status})` : `refused ${answer.status} ${outcome.code}${outcome.limit ? ` (${outcome.limit})` : ''}`;
        phase.abusive.set(key, (phase.abusive.get(key) ?? 0) + 1);
        phase.abusiveTimes.push(answer.ms);
        if (outcome.code === 'executed' && phase.executedProducts === undefined) phase.executedProducts = answer.text.match(/"name":/g)?.length ?? 0;
      } catch (error) {
        const key = `failed: ${(error as Error).message}`;
        phase.abusive.set(key, (phase.abusive.get(key) ?? 0) + 1);
      }
    }
  });
  if (abusers > 0) await new Promise((resolve) => setTimeout(resolve, HEAD_START_MS));
  try {
    for (let i = 0; i < options.trivial && performance.now() < deadline; i += 1) {
      phase.trivialSent += 1;
      const answer = await post(trivialAgent, url, trivialPayload);
      if (answer.status !== 200 || outcomeOf(answer).code !== 'executed') throw new Error(`${label}: the trivial query failed: ${answer.status} ${answer.text.slice(0, 300)}`);
      phase.trivial.push(answer.ms);
    }
  } finally {
    stop = true;
    if (abusers > 0) log(`    trivial queries done; waiting for the abusive requests still in flight`);
    await Promise.all(loops);
    phase.seconds = (performance.now() - started) / 1000;
    await Promise.all([trivialAgent.close(), abuseAgent.close()]);
  }
  phase.trivial.sort((a, b) => a - b);
  phase.abusiveTimes.sort((a, b) => a - b);
  return phase;
}

/** One answer of the hostile-shape family, over either transport. */
interface FamilyAnswer {
  /** HTTP status; undefined over graphql-ws. */
  status?: number;
  code: string;
  limit?: string;
  measured?: unknown;
  ms: number;
  text: string;
}

type FamilySender = (body: HostileBody) => Promise<FamilyAnswer>;

function familyOutcome(body: { data?: Record<string, unknown> | null; errors?: readonly { extensions?: Record<string, unknown> }[] } | undefined) {
  const first = body?.errors?.[0]?.extensions;
  if (first) return { code: String(first.code ?? '(no code)'), limit: first.limit as string | undefined, measured: first.measured };
  return { code: body?.data ? ANSWERED : '(no data, no errors)' };
}

function httpSender(agent: Agent, url: string): FamilySender {
  return async (body) => {
    const answer = await post(agent, url, requestOf({ name: '', body, expectedStatus: 0, expectedCode: '' }));
    let parsed;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      return { status: answer.status, code: '(not JSON)', ms: answer.ms, text: answer.text };
    }
    return { status: answer.status, ...familyOutcome(parsed), ms: answer.ms, text: answer.text };
  };
}

/** Over one graphql-ws connection, one operation at a time: a refusal arrives as the error message's payload. */
function wsSender(client: Client): FamilySender {
  return (body) =>
    new Promise((resolve) => {
      const started = performance.now();
      let result: unknown;
      const timer = setTimeout(() => resolve({ code: '(timed out)', ms: performance.now() - started, text: '' }), ANSWER_TIMEOUT_MS);
      client.subscribe(
        { query: body.query, variables: body.variables ?? {} },
        {
          next: (value) => (result = value),
          error: (error) => {
            clearTimeout(timer);
            const errors = Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }];
            resolve({ ...familyOutcome({ errors }), ms: performance.now() - started, text: JSON.stringify(errors).slice(0, 600) });
          },
          complete: () => {
            clearTimeout(timer);
            resolve({ ...familyOutcome(result as Parameters<typeof familyOutcome>[0]), ms: performance.now() - started, text: JSON.stringify(result ?? null).slice(0, 600) });
          },
        },
      );
    });
}

interface Timed {
  p50: number;
  p99: number;
  max: number;
}

async function timeBody(send: FamilySender, body: HostileBody, repeat: number, onAnswer: (answer: FamilyAnswer) => void = () => undefined): Promise<Timed> {
  for (let i = 0; i < WARM_UP_SENDS; i += 1) await send(body);
  const times: number[] = [];
  for (let i = 0; i < repeat; i += 1) {
    const answer = await send(body);
    times.push(answer.ms);
    onAnswer(answer);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1] };
}

const measuredText = (value: unknown) => (value === undefined ? '' : typeof value === 'number' ? value.toLocaleString('en-US') : String(value));

/** (a'): every case of the hostile-shape family `repeat` times in a row over one transport. */
async function measureFamily(transport: 'HTTP' | 'graphql-ws', send: FamilySender, options: Options): Promise<{ mismatches: Mismatch[]; slow: string[] }> {
  const rows: string[][] = [];
  const mismatches: Mismatch[] = [];
  const slow: string[] = [];
  for (const [index, shape] of HOSTILE_SHAPES.entries()) {
    const expected = `${transport === 'HTTP' ? `${shape.expectedStatus} ` : ''}${shape.expectedCode}${shape.expectedLimit ? ` (${shape.expectedLimit})` : ''}`;
    const seen = new Map<string, { count: number; body: string }>();
    let measured: unknown;
    const timed = await timeBody(send, shape.body, options.repeat, (answer) => {
      measured = answer.measured;
      const got = `${transport === 'HTTP' ? `${answer.status} ` : ''}${answer.code}${answer.limit ? ` (${answer.limit})` : ''}`;
      const entry = seen.get(got);
      if (entry) entry.count += 1;
      else seen.set(got, { count: 1, body: answer.text.slice(0, 600) });
    });
    for (const [got, { count, body }] of seen) {
      if (got === expected) continue;
      mismatches.push({ name: `${transport}: ${shape.name}`, expected, got, count, body });
      log(`  !! MISMATCH ${transport} ${shape.name}: expected ${expected}, got ${got} (${count}/${options.repeat}): ${body}`);
    }
    const plain = shape.plainEquivalent ? await timeBody(send, shape.plainEquivalent, options.repeat) : undefined;
    if (plain) log(`    its plain equivalent (${shape.plainEquivalent!.query}): p50 ${ms(plain.p50)} ms, p99 ${ms(plain.p99)} ms, max ${ms(plain.max)} ms`);
    const ok = timed.p99 < 10;
    if (!ok) slow.push(`${transport} ${shape.family}. ${shape.name}: p99 ${ms(timed.p99)} ms${plain ? ` (its plain equivalent: p99 ${ms(plain.p99)} ms)` : ''}`);
    const got = [...seen.keys()].join(' | ');
    log(
      `  [${index + 1}/${HOSTILE_SHAPES.length}] ${transport} ${shape.family}. ${shape.name}: ${got}${measured !== undefined ? ` measured ${measuredText(measured)}` : ''}; ` +
        `p50 ${ms(timed.p50)} ms, p99 ${ms(timed.p99)} ms, max ${ms(timed.max)} ms${plain ? `; plain equivalent p99 ${ms(plain.p99)} ms` : ''} -> ${ok ? 'ok' : 'OVER 10 ms'}`,
    );
    rows.push([`${shape.family}. ${shape.name}`, got, measuredText(measured), ms(timed.p50), ms(timed.p99), ms(timed.max), plain ? ms(plain.p99) : '', ok ? 'ok' : 'NO']);
  }
  log('');
  for (const line of table(['case', 'answer', 'measured', 'p50 ms', 'p99 ms', 'max ms', 'plain p99 ms', 'p99 < 10 ms'], rows, [3, 4, 5, 6])) log(line);
  log('');
  return { mismatches, slow };
}

async function warmUp(url: string, count: number): Promise<void> {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const payload = requestOf({ name: 'trivial', body: { query: TRIVIAL_QUERY }, expectedStatus: 200, expectedCode: '' });
  for (let i = 0; i < count; i += 1) {
    const answer = await post(agent, url, payload);
    if (answer.status !== 200) throw new Error(`warm-up of ${url} failed: ${answer.status} ${answer.text.slice(0, 300)}`);
  }
  await agent.close();
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  disableApolloTelemetry();
  const logLevel = process.env.LOG_LEVEL === 'silent' || process.env.LOG_LEVEL === 'fatal' ? process.env.LOG_LEVEL : 'error';
  const internalSecret = randomBytes(32).toString('hex');
  const jwtSecret = randomBytes(32).toString('hex');
  const host = '127.0.0.1';
  log(`refusal benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}; client and servers in this process, on ${host}`);

  let embedded: EmbeddedPostgresHandle | undefined;
  let tempDir: string | undefined;
  let supergraph: LocalSupergraph | undefined;
  let baseline: RunningGateway | undefined;
  let casesAgent: Agent | undefined;
  let stopping: Promise<void> | undefined;
  const cleanUp = () =>
    (stopping ??= (async () => {
      await casesAgent?.close().catch(() => undefined);
      await baseline?.stop().catch((error: Error) => log(`baseline gateway stop failed: ${error.message}`));
      await supergraph?.stop().catch((error: Error) => log(`supergraph stop failed: ${error.message}`));
      await embedded?.stop().catch((error: Error) => log(`embedded PostgreSQL stop failed: ${error.message}`));
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    })());
  const onSignal = () => {
    log('interrupted: stopping');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failed = false;
  try {
    let serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      log(`database: ${serverUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} (DATABASE_URL), databases bench_refusals_<subgraph>`);
    } else {
      tempDir = createTempDataParent('bench-refusals-');
      const port = await freePort();
      log(`database: embedded PostgreSQL on ${host}:${port}, data in ${tempDir} (removed at the end)`);
      embedded = await startEmbeddedPostgres({ dataDir: path.join(tempDir, 'data'), port, persistent: false });
      serverUrl = embedded.url;
    }

    // Settings as the gateway reads them in production (REDIS_URL ignored: budgets and APQ in memory).
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', INTERNAL_SECRET: internalSecret, JWT_SECRET: jwtSecret };
    delete env.REDIS_URL;
    const base = readGatewayConfig(env);
    const startedAt = Date.now();
    supergraph = await startLocalSupergraph({
      serverUrl,
      databasePrefix: 'bench_refusals',
      host,
      gatewayPort: 0,
      subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])),
      internalSecret,
      jwtSecret,
      production: true,
      seed: 'always',
      logLevel,
      backgroundTasks: false,
      gateway: { redisUrl: undefined, rateLimit: { ...base.rateLimit, ipPoints: BENCH_IP_POINTS } },
      onProgress: (message) => log(`  ${message}`),
    });
    const protectedUrl = `http://${host}:${supergraph.gateway.port}/graphql`;
    log(`protected gateway (production, admission pipeline on) at ${protectedUrl}, ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    log(
      `  limits: request ${base.documentLimits.maxRequestBytes} B, document ${base.documentLimits.maxBytes} B, ${base.documentLimits.maxTokens} tokens, depth ${base.operationLimits.maxDepth}, ` +
        `aliases ${base.operationLimits.maxAliases}, root fields ${base.operationLimits.maxRootFields}, directives/field ${base.operationLimits.maxDirectivesPerField}, ` +
        `max cost ${base.demandControl.maxCost}, credential fields/operation ${base.credentialThrottle.fieldsPerOperation}`,
    );
    log(`  rate limit raised for the benchmark: ${BENCH_IP_POINTS.toLocaleString('en-US')} cost points per ${base.rateLimit.windowSeconds} s per IP (default ${base.rateLimit.ipPoints.toLocaleString('en-US')}); credential throttling unchanged`);

    const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${supergraph!.subgraphs[name].url}/graphql`])) as Record<SubgraphName, string>;
    const baselineConfig: GatewayConfig = {
      ...base,
      host,
      port: 0,
      logLevel,
      jwtSecret,
      internalSecret,
      subgraphUrls,
      redisUrl: undefined,
      documentLimits: { maxRequestBytes: UNLIMITED, maxBytes: UNLIMITED, maxTokens: UNLIMITED },
      operationLimits: { ...base.operationLimits, mode: 'off' },
      demandControl: { ...base.demandControl, mode: 'off' },
      rateLimit: { ...base.rateLimit, mode: 'off' },
    };
    baseline = await startGateway(baselineConfig, createLogger('baseline-gateway', logLevel));
    const baselineUrl = `http://${host}:${baseline.port}/graphql`;
    log(`baseline gateway (production, document limits ${UNLIMITED.toLocaleString('en-US')}, operation limits, demand control and rate limit off) at ${baselineUrl}`);
    log('');

    log(`(a) each abusive case ${options.repeat} times in a row against the protected gateway${options.vary ? ' (every document unique: no parse cache)' : ' (same text each time)'}`);
    casesAgent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
    const { mismatches, limitNotes, worstP99 } = await measureCases(casesAgent, protectedUrl, options);
    await casesAgent.close();
    casesAgent = undefined;
    log('');
    log(`every p99 under 10 ms: ${worstP99 < 10 ? 'yes' : 'NO'} (highest p99 ${ms(worstP99)} ms; with ${options.repeat} samples p99 is the ${options.repeat < 100 ? 'maximum' : '99th percentile'})`);
    if (limitNotes.length > 0) for (const note of limitNotes) log(`note: ${note}`);
    log('');

    log(`(a') the hostile-shape family (${HOSTILE_SHAPES.length} cases: scripts/hostile-shapes.ts), each ${options.repeat} times in a row against the protected gateway, over HTTP${options.ws ? ' and over graphql-ws (one connection)' : ''}`);
    const familyAgent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
    const family = [await measureFamily('HTTP', httpSender(familyAgent, protectedUrl), options)];
    await familyAgent.close();
    if (options.ws) {
      const client = createClient({ url: protectedUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, lazyCloseTimeout: 60_000 });
      try {
        family.push(await measureFamily('graphql-ws', wsSender(client), options));
      } finally {
        await client.dispose();
      }
    }
    const familyMismatches = family.flatMap((result) => result.mismatches);
    const slowCases = family.flatMap((result) => result.slow);
    mismatches.push(...familyMismatches);
    log(`hostile family, every case's p99 under 10 ms: ${slowCases.length === 0 ? 'yes' : `NO (${slowCases.length})`}`);
    for (const line of slowCases) log(`  over 10 ms: ${line}`);
    log(`hostile family, every answer as expected (status, code, limit): ${familyMismatches.length === 0 ? 'yes' : `NO (${familyMismatches.length} mismatching answer kinds)`}`);
    log('');

    log(`(b) ${options.trivial} trivial queries (${TRIVIAL_QUERY}) in a row, alone and with ${options.abusers} loops sending the 15,625-node query (each phase at most ${options.seconds} s, abusive loops start ${HEAD_START_MS} ms earlier)`);
    await warmUp(protectedUrl, 100);
    await warmUp(baselineUrl, 100);
    const phases: Phase[] = [];
    // The hostile family runs against the protected gateway only (the baseline would execute its expensive
    // cases), and before the baseline's abusive phase, whose subgraph work outlasts it.
    const familyLoad = HOSTILE_SHAPES.map((shape: HostileShape) => requestOf(shape));
    // Control: the same loops with every answered case written out plainly (the same subgraph work, no hostile text).
    const controlLoad = HOSTILE_SHAPES.map((shape: HostileShape) => requestOf(shape.plainEquivalent ? { ...shape, body: shape.plainEquivalent } : shape));
    const familyLabel = `protected + ${options.abusers} hostile-family`;
    const controlLabel = `protected + ${options.abusers} family, answered ones plain`;
    for (const [label, url, abusers, load, note] of [
      ['protected, alone', protectedUrl, 0, undefined, ''],
      ['baseline, alone', baselineUrl, 0, undefined, ''],
      [`protected + ${options.abusers} abusive`, protectedUrl, options.abusers, undefined, ''],
      [familyLabel, protectedUrl, options.abusers, familyLoad, ` (each loop cycles through the ${HOSTILE_SHAPES.length} cases of (a'))`],
      [controlLabel, protectedUrl, options.abusers, controlLoad, " (control: the answered cases' subgraph work without their hostile text)"],
      [`baseline + ${options.abusers} abusive`, baselineUrl, options.abusers, undefined, ''],
    ] as const) {
      log(`  ${label}${note}`);
      const phase = await runPhase(label, url, options, abusers, load);
      phases.push(phase);
      log(`    ${phase.trivial.length} trivial queries in ${phase.seconds.toFixed(1)} s: p50 ${ms(percentile(phase.trivial, 50))} ms, p99 ${ms(percentile(phase.trivial, 99))} ms`);
    }
    const familyPhase = phases.find((phase) => phase.label === familyLabel)!;
    const controlPhase = phases.find((phase) => phase.label === controlLabel)!;
    log('');
    const rows = phases.map((phase) => {
      const answered = [...phase.abusive.values()].reduce((sum, count) => sum + count, 0);
      return [
        phase.label,
        `${phase.trivial.length}/${options.trivial}`,
        ms(percentile(phase.trivial, 50)),
        ms(percentile(phase.trivial, 99)),
        ms(phase.trivial[phase.trivial.length - 1]),
        phase.abusive.size === 0 ? '-' : String(answered),
        phase.abusiveTimes.length === 0 ? '-' : ms(percentile(phase.abusiveTimes, 50)),
        phase.abusive.size === 0 ? '-' : [...phase.abusive.entries()].map(([key, count]) => `${count} ${key}`).join(', '),
      ];
    });
    for (const line of table(['trivial query', 'done', 'p50 ms', 'p99 ms', 'max ms', 'abusive answered', 'abusive p50 ms', 'how'], rows, [1, 2, 3, 4, 5, 6])) log(line);
    const executed = phases.find((phase) => phase.executedProducts !== undefined && phase.label.startsWith('baseline'));
    if (executed) log(`the baseline executed the nested query: ${executed.executedProducts} products at the bottom level of one answer`);
    const familyTrivialP99 = percentile(familyPhase.trivial, 99);
    log(
      `trivial query p99 under 20 ms while the hostile family is sent in loops: ${familyTrivialP99 < 20 ? 'yes' : 'NO'} (${ms(familyTrivialP99)} ms; alone ${ms(percentile(phases[0].trivial, 99))} ms; ` +
        `under the control loops, answered cases written plainly, ${ms(percentile(controlPhase.trivial, 99))} ms)`,
    );
    log('');

    if (mismatches.length > 0) {
      failed = true;
      log(`FAILED: ${mismatches.length} case(s) answered other than expected:`);
      for (const mismatch of mismatches) log(`  ${mismatch.name}: expected ${mismatch.expected}, got ${mismatch.got} (${mismatch.count}/${options.repeat}); body: ${mismatch.body}`);
    } else {
      log('every abusive case answered with its expected status and code');
    }
  } finally {
    log('stopping gateways, subgraphs' + (embedded ? ' and embedded PostgreSQL' : ''));
    await cleanUp();
  }
  // Lingering handles (the manifest watcher, pools) must not keep a finished benchmark alive.
  process.exit(failed ? 1 : 0);
}

runMain(main);

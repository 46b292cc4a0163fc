import { performance } from 'node:perf_hooks';
import type { GraphQLFormattedError } from 'graphql';
import { signAccessToken } from '../lib/access-token';
import { demoCatalog, DEMO_WAREHOUSES } from '../lib/demo-data';
import { ErrorCode } from '../lib/errors';
import type { ServiceProcess } from '../test/processes';
import { startSplitDeployment, type SplitDeployment } from '../test/split-deployment';
import { postGraphQL, TEST_JWT_SECRET, type GraphQLResult } from '../test/subgraph-harness';
import { demoAdmin, demoCustomer } from '../test/supergraph-harness';

/**
 * Faults of a real subgraph process under a steady load through a real
 * gateway process (all started from dist/, production mode): catalog killed
 * with SIGKILL and restarted on its port, then frozen with SIGSTOP. The
 * gateway runs with a 1 s subgraph timeout and a breaker that opens after
 * 4 calls in a 2 s window and probes again after 1 s.
 */
const MIXED = `query Mixed($id: ID!) { product(id: $id) { name price { formatted } } warehouses { code } }`;
const MY_ORDERS = `query MyOrders { me { name orders(first: 2) { nodes { number items { quantity product { name } } } } } }`;

const TIMEOUT_MS = 1_000;
const product = demoCatalog().products[0];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  /** When it was sent, ms since the load began. */
  sentAt: number;
  ms: number;
  result: GraphQLResult;
}

describe('resilience: a subgraph killed or frozen under load', () => {
  let deployment: SplitDeployment;
  let adminToken: string;
  let customerToken: string;
  let frozen: ServiceProcess | undefined;

  beforeAll(async () => {
    deployment = await startSplitDeployment({
      databaseSuffix: 'resilience',
      env: {
        SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS),
        BREAKER_VOLUME_THRESHOLD: '4',
        BREAKER_WINDOW_MS: '2000',
        BREAKER_RESET_TIMEOUT_MS: '1000',
      },
      // info: the breaker's half-open and closed lines are info, its opening a warning.
      gateways: { gateway: { LOG_LEVEL: 'info' } },
    });
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
    customerToken = await signAccessToken(demoCustomer, TEST_JWT_SECRET);
  }, 90_000);

  afterAll(async () => {
    frozen = undefined;
    await deployment?.stop();
  });

  const service = (name: string) => deployment.process(name);
  const gatewayUrl = () => `http://127.0.0.1:${deployment.ports.gateway}`;
  const mixed = () => postGraphQL(`${gatewayUrl()}/graphql`, MIXED, { id: product.id }, { authorization: `Bearer ${adminToken}` });

  /** `workers` clients sending `send` one after another (with a short pause) until stopped. */
  function steadyLoad(send: () => Promise<GraphQLResult>, workers = 4) {
    const answers: Answer[] = [];
    const began = performance.now();
    let running = true;
    const loops = Array.from({ length: workers }, async () => {
      while (running) {
        const sentAt = performance.now();
        const result = await send();
        answers.push({ sentAt: sentAt - began, ms: performance.now() - sentAt, result });
        await sleep(20);
      }
    });
    return {
      answers,
      began,
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return answers;
      },
    };
  }

  interface Readiness {
    status: string;
    subgraphs: Record<string, string>;
    breakers: Record<string, string>;
  }

  async function ready(): Promise<{ status: number; body: Readiness }> {
    const response = await fetch(`${gatewayUrl()}/ready`);
    return { status: response.status, body: (await response.json()) as Readiness };
  }

  async function metrics(): Promise<string> {
    return (await fetch(`${gatewayUrl()}/metrics`)).text();
  }

  async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await sleep(50);
    }
  }

  const codeOf = (answer: Answer) => answer.result.errors?.[0]?.extensions?.code;

  /** A partial answer: inventory's part is there, catalog's field is null with one error that says why and where. */
  function expectPartial(result: GraphQLResult, code: string) {
    expect(result.status).toBe(200);
    expect(result.data?.warehouses).toEqual(DEMO_WAREHOUSES.map((w) => ({ code: w.code })).sort((a, b) => a.code.localeCompare(b.code)));
    expect(result.data?.product).toBeNull();
    expect(result.errors).toEqual([
      { message: expect.any(String), path: ['product'], extensions: { code, serviceName: 'catalog' } },
    ] satisfies GraphQLFormattedError[]);
    // Production: no stack, no internal address.
    expect(JSON.stringify(result.errors)).not.toMatch(/127\.0\.0\.1|stacktrace|ECONNREFUSED/);
  }

  it('kill -9 of catalog: partial data with SUBGRAPH_UNAVAILABLE at the field, the breaker opens (/ready, /metrics, log) and closes once catalog is back', async () => {
    const healthy = await mixed();
    expect(healthy.errors).toBeUndefined();
    expect(healthy.data?.product).toEqual({ name: product.name, price: { formatted: expect.any(String) } });
    const gatewayPid = service('gateway').child.pid;

    const load = steadyLoad(mixed);
    await sleep(300);
    const catalog = service('catalog');
    const killedAt = performance.now() - load.began;
    catalog.child.kill('SIGKILL');
    await new Promise((resolve) => catalog.child.once('exit', resolve));
    await sleep(1_500);

    // The breaker opened and says so: the counter, the gauge, /ready and a log line.
    expect(await metrics()).toMatch(/subgraph_circuit_breaker_transitions_total\{subgraph="catalog",scope="queries",state="open"\} [1-9]/);
    await eventually(async () => (await metrics()).includes('subgraph_circuit_breaker_state{subgraph="catalog",scope="queries",state="open"} 1'), 3_000, 'the gauge shows catalog open');
    const whileDown = await eventually(async () => {
      const answer = await ready();
      return answer.body.breakers?.catalog === 'open' && answer;
    }, 3_000, '/ready shows the catalog breaker open');
    expect(whileDown.status).toBe(503);
    expect(whileDown.body.subgraphs.catalog).not.toBe('ok');
    expect(whileDown.body.breakers).toEqual({ users: 'closed', catalog: 'open', inventory: 'closed', cart: 'closed', orders: 'closed' });
    expect(service('gateway').logLines()).toEqual(expect.arrayContaining([expect.objectContaining({ subgraph: 'catalog', from: 'closed', to: 'open' })]));

    // An entity fetch into catalog: the error points at the entity's field.
    const orders = await postGraphQL(`${gatewayUrl()}/graphql`, MY_ORDERS, {}, { authorization: `Bearer ${customerToken}` });
    expect(orders.status).toBe(200);
    expect(orders.errors?.length).toBeGreaterThan(0);
    for (const error of orders.errors!) {
      expect(error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: 'catalog' });
      expect(error.path).toEqual(['me', 'orders', 'nodes', expect.any(Number), 'items', expect.any(Number), 'product', 'name']);
    }

    // Back on the same port; the gateway is left alone.
    const restartBegan = performance.now() - load.began;
    await deployment.start('catalog');
    const restartedAt = performance.now() - load.began;
    await eventually(async () => load.answers.some((a) => a.sentAt > restartedAt && !a.result.errors), 5_000, 'a request succeeds after the restart');
    const answers = await load.stop();

    const afterKill = answers.filter((a) => a.sentAt > killedAt && a.sentAt < restartedAt);
    const partial = afterKill.filter((a) => a.result.errors);
    expect(partial.length).toBeGreaterThan(10);
    for (const answer of partial) expectPartial(answer.result, ErrorCode.SUBGRAPH_UNAVAILABLE);
    // Nothing failed in any other way, before, during or after.
    expect(answers.every((a) => a.result.status === 200 && (a.result.errors === undefined || codeOf(a) === ErrorCode.SUBGRAPH_UNAVAILABLE))).toBe(true);
    // Answers while the breaker was open (and catalog's new process was not yet starting up beside the gateway).
    const openFast = partial.filter((a) => a.sentAt > killedAt + 500 && a.sentAt + a.ms < restartBegan).map((a) => a.ms);
    console.log(
      `kill -9 of catalog: ${partial.length} partial answers (SUBGRAPH_UNAVAILABLE) while it was down, ` +
        `median ${median(openFast).toFixed(1)} ms, max ${Math.max(...openFast).toFixed(1)} ms once the breaker was open`,
    );

    const recovered = await eventually(async () => {
      const answer = await ready();
      return answer.status === 200 && answer.body.breakers.catalog === 'closed' && answer;
    }, 5_000, '/ready is 200 with every breaker closed');
    expect(recovered.body.breakers).toEqual({ users: 'closed', catalog: 'closed', inventory: 'closed', cart: 'closed', orders: 'closed' });
    expect((await mixed()).errors).toBeUndefined();
    const transitions = service('gateway')
      .logLines()
      .filter((line) => line.subgraph === 'catalog' && line.to)
      .map((line) => line.to);
    expect(transitions).toEqual(expect.arrayContaining(['open', 'half-open', 'closed']));
    expect(transitions.at(-1)).toBe('closed');
    expect(service('gateway').child.pid).toBe(gatewayPid);
    // Sibling calls have breakers of their own, on each subgraph's /metrics.
    expect(await (await fetch(`http://127.0.0.1:${deployment.ports.cart}/metrics`)).text()).toContain(
      'subgraph_circuit_breaker_state{caller="cart",subgraph="catalog",scope="queries",state="closed"} 1',
    );
  }, 30_000);

  it('a frozen catalog (SIGSTOP): SUBGRAPH_TIMEOUT within the timeout, then fast SUBGRAPH_UNAVAILABLE once the breaker is open', async () => {
    // What a healthy answer costs (catalog's part and inventory's), to compare with.
    const healthy: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      expect((await mixed()).errors).toBeUndefined();
      healthy.push(performance.now() - started);
    }
    // Calls of the previous test leave the breaker's 2 s window.
    await sleep(2_100);
    frozen = service('catalog');
    frozen.child.kill('SIGSTOP');
    const load = steadyLoad(mixed);
    await sleep(3_500);
    const answers = await load.stop();

    for (const answer of answers) expectPartial(answer.result, codeOf(answer) as string);
    // Answers are in the order they completed: the breaker's first fast answer is the earliest sent.
    const failedFastSentAt = answers.filter((a) => codeOf(a) === ErrorCode.SUBGRAPH_UNAVAILABLE).map((a) => a.sentAt);
    expect(failedFastSentAt.length).toBeGreaterThan(0);
    const openedBy = Math.min(...failedFastSentAt);
    const beforeOpen = answers.filter((a) => a.sentAt < openedBy);
    const timedOut = answers.filter((a) => codeOf(a) === ErrorCode.SUBGRAPH_TIMEOUT);
    const failedFast = answers.filter((a) => codeOf(a) === ErrorCode.SUBGRAPH_UNAVAILABLE);
    // The first requests waited for the timeout, no longer.
    expect(beforeOpen.length).toBeGreaterThanOrEqual(4);
    for (const answer of beforeOpen) {
      expect(codeOf(answer)).toBe(ErrorCode.SUBGRAPH_TIMEOUT);
      expect(answer.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(answer.ms).toBeLessThan(TIMEOUT_MS + 500);
    }
    // Then the breaker answers at once (only its half-open probes wait for the timeout again).
    expect(failedFast.length).toBeGreaterThan(20);
    expect(median(failedFast.map((a) => a.ms))).toBeLessThan(50);
    for (const answer of timedOut) expect(answer.ms).toBeLessThan(TIMEOUT_MS + 500);
    console.log(
      `frozen catalog (SIGSTOP), ${TIMEOUT_MS} ms timeout: before the breaker opened ${beforeOpen.length} answers with SUBGRAPH_TIMEOUT ` +
        `in ${Math.min(...beforeOpen.map((a) => a.ms)).toFixed(0)}-${Math.max(...beforeOpen.map((a) => a.ms)).toFixed(0)} ms; ` +
        `once open ${failedFast.length} answers with SUBGRAPH_UNAVAILABLE, median ${median(failedFast.map((a) => a.ms)).toFixed(1)} ms, ` +
        `p95 ${percentile(failedFast.map((a) => a.ms), 95).toFixed(1)} ms, max ${Math.max(...failedFast.map((a) => a.ms)).toFixed(1)} ms ` +
        `(${timedOut.length - beforeOpen.length} half-open probes waited for the timeout); healthy answers: median ${median(healthy).toFixed(1)} ms`,
    );

    frozen.child.kill('SIGCONT');
    frozen = undefined;
    await eventually(async () => !(await mixed()).errors, 8_000, 'catalog answers again after SIGCONT');
  }, 30_000);
});

function median(values: number[]): number {
  return percentile(values, 50);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

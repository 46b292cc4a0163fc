import pino from 'pino';
import { Registry } from 'prom-client';
import { parse } from 'graphql';
import { breakerScopeOf, breakerScopeOfText, CircuitBreakers, QUERIES_SCOPE, SubgraphCallError } from './circuit-breaker';
import { ErrorCode } from './errors';
import type { BreakerSettings } from './resilience';

/**
 * The breaker's state machine on a fake clock: closed -> open after a run of
 * failures -> half-open after the reset timeout -> closed on a good probe (or
 * open again on a bad one). Real opossum, real prom-client, real pino.
 */
// The rate rule opens these at the 4th failure, before the consecutive rule (5) could.
const settings: BreakerSettings = { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 1_000, windowMs: 10_000, consecutiveFailures: 5 };
// A rate rule that needs 1000 calls in the window: only the consecutive rule (3 in a row) opens these.
const quiet: BreakerSettings = { ...settings, volumeThreshold: 1_000, consecutiveFailures: 3 };

function setup(chosen: BreakerSettings = settings) {
  const logs: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const registry = new Registry();
  const breakers = new CircuitBreakers({ settings: chosen, services: ['catalog', 'inventory'], logger, registry });
  return { breakers, logs, registry };
}

const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:4002'), { code: 'ECONNREFUSED' }));
const answered = () => Promise.resolve('answer');

async function failure(promise: Promise<unknown>): Promise<SubgraphCallError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SubgraphCallError);
    return error as SubgraphCallError;
  }
  throw new Error('expected the call to fail');
}

async function stateGauge(registry: Registry, subgraph: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('subgraph_circuit_breaker_state')!.get();
  return Object.fromEntries(metric.values.filter((v) => v.labels.subgraph === subgraph).map((v) => [v.labels.state, v.value]));
}

describe('CircuitBreakers', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['performance'] }));
  afterEach(() => jest.useRealTimers());

  it('starts closed for every service it was given, and reports each state', async () => {
    const { breakers, registry } = setup();
    expect(breakers.states()).toEqual({ catalog: 'closed', inventory: 'closed' });
    expect(await stateGauge(registry, 'catalog')).toEqual({ closed: 1, open: 0, 'half-open': 0 });
    breakers.shutdown();
  });

  it('opens after a run of failures, then fails fast without calling the subgraph', async () => {
    const { breakers, logs, registry } = setup();
    // Below the volume threshold a failure never opens it.
    for (let i = 0; i < 3; i++) {
      const error = await failure(breakers.call('catalog', 1_000, refused));
      expect(error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: 'catalog' });
      expect(error.reason).toBe('unreachable');
      expect(error.message).not.toContain('10.0.0.7');
    }
    expect(breakers.state('catalog')).toBe('closed');
    await failure(breakers.call('catalog', 1_000, refused));
    expect(breakers.state('catalog')).toBe('open');
    expect(breakers.states()).toEqual({ catalog: 'open', inventory: 'closed' });

    // Fails fast: the call is not even attempted (how fast is the fault test's and benchmarks' to print).
    const action = jest.fn(answered);
    const error = await failure(breakers.call('catalog', 1_000, action));
    expect(action).not.toHaveBeenCalled();
    expect(error.reason).toBe('circuit-open');
    expect(error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: 'catalog' });

    expect(logs.filter((line) => line.subgraph === 'catalog')).toEqual([
      expect.objectContaining({ level: 40, subgraph: 'catalog', from: 'closed', to: 'open', msg: expect.stringContaining('circuit breaker of catalog opened') }),
    ]);
    expect(await stateGauge(registry, 'catalog')).toEqual({ closed: 0, open: 1, 'half-open': 0 });
    const failures = await registry.getSingleMetric('subgraph_call_failures_total')!.get();
    expect(failures.values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { subgraph: 'catalog', scope: 'queries', reason: 'unreachable' }, value: 4 }),
        expect.objectContaining({ labels: { subgraph: 'catalog', scope: 'queries', reason: 'circuit-open' }, value: 1 }),
      ]),
    );
    // Another subgraph's breaker is its own.
    await expect(breakers.call('inventory', 1_000, answered)).resolves.toBe('answer');
    breakers.shutdown();
  });

  it('counts answers as successes: a mostly answering subgraph stays closed', async () => {
    const { breakers } = setup();
    for (let i = 0; i < 10; i++) {
      await breakers.call('catalog', 1_000, answered);
      if (i % 3 === 0) await failure(breakers.call('catalog', 1_000, refused));
    }
    expect(breakers.state('catalog')).toBe('closed');
    breakers.shutdown();
  });

  it('half-open after the reset timeout: one probe goes through, its success closes the breaker', async () => {
    const { breakers, logs, registry } = setup();
    for (let i = 0; i < 4; i++) await failure(breakers.call('catalog', 1_000, refused));
    expect(breakers.state('catalog')).toBe('open');

    jest.advanceTimersByTime(settings.resetTimeoutMs);
    expect(breakers.state('catalog')).toBe('half-open');
    expect(await stateGauge(registry, 'catalog')).toEqual({ closed: 0, open: 0, 'half-open': 1 });

    let answer!: (value: string) => void;
    const probe = breakers.call('catalog', 1_000, () => new Promise<string>((resolve) => (answer = resolve)));
    // While the probe is out, everything else still fails fast.
    const other = jest.fn(answered);
    expect((await failure(breakers.call('catalog', 1_000, other))).reason).toBe('circuit-open');
    expect(other).not.toHaveBeenCalled();

    answer('probe answered');
    await expect(probe).resolves.toBe('probe answered');
    expect(breakers.state('catalog')).toBe('closed');
    await expect(breakers.call('catalog', 1_000, answered)).resolves.toBe('answer');
    expect(logs.filter((line) => line.subgraph === 'catalog').map((line) => [line.from, line.to])).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
    const transitions = await registry.getSingleMetric('subgraph_circuit_breaker_transitions_total')!.get();
    expect(transitions.values.filter((v) => v.labels.subgraph === 'catalog').map((v) => [v.labels.state, v.value])).toEqual([
      ['open', 1],
      ['half-open', 1],
      ['closed', 1],
    ]);
    breakers.shutdown();
  });

  it('opens again when the probe fails', async () => {
    const { breakers } = setup();
    for (let i = 0; i < 4; i++) await failure(breakers.call('catalog', 1_000, refused));
    jest.advanceTimersByTime(settings.resetTimeoutMs);
    expect(breakers.state('catalog')).toBe('half-open');
    await failure(breakers.call('catalog', 1_000, refused));
    expect(breakers.state('catalog')).toBe('open');
    jest.advanceTimersByTime(settings.resetTimeoutMs - 1);
    expect(breakers.state('catalog')).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breakers.state('catalog')).toBe('half-open');
    breakers.shutdown();
  });

  it('times a call out: SUBGRAPH_TIMEOUT at the timeout, the request aborted, and it counts as a failure', async () => {
    const { breakers } = setup();
    let signal!: AbortSignal;
    const hanging = (s: AbortSignal) => {
      signal = s;
      return new Promise<never>(() => undefined); // accepts, never answers, ignores the signal
    };
    const calls = [1, 2, 3, 4].map(() => failure(breakers.call('catalog', 800, hanging)));
    jest.advanceTimersByTime(799);
    expect(signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    for (const call of calls) {
      const error = await call;
      expect(error.reason).toBe('timeout');
      expect(error.extensions).toEqual({ code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName: 'catalog' });
      expect(error.message).toBe('The catalog service did not answer within 800 ms');
    }
    expect(signal.aborted).toBe(true);
    expect(breakers.state('catalog')).toBe('open');
    breakers.shutdown();
  });

  it('labels its metrics with the caller when given one (a registry the subgraphs of one process share)', async () => {
    const registry = new Registry();
    const cart = new CircuitBreakers({ settings, services: ['catalog'], registry, caller: 'cart' });
    const orders = new CircuitBreakers({ settings, services: ['catalog'], registry, caller: 'orders' });
    for (let i = 0; i < 4; i++) await failure(orders.call('catalog', 1_000, refused));
    expect(await registry.getSingleMetricAsString('subgraph_circuit_breaker_state')).toEqual(
      expect.stringContaining('subgraph_circuit_breaker_state{caller="cart",subgraph="catalog",scope="queries",state="closed"} 1'),
    );
    expect(await registry.getSingleMetricAsString('subgraph_circuit_breaker_state')).toEqual(
      expect.stringContaining('subgraph_circuit_breaker_state{caller="orders",subgraph="catalog",scope="queries",state="open"} 1'),
    );
    cart.shutdown();
    orders.shutdown();
  });

  describe('scopes: one operation\'s trouble stays its own', () => {
    it('gives each mutation (by root fields) a breaker of its own; queries share the subgraph\'s', () => {
      expect(breakerScopeOf(parse('{ order(id: 1) { id } }'))).toBe(QUERIES_SCOPE);
      expect(breakerScopeOf(parse('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }'))).toBe(QUERIES_SCOPE);
      expect(breakerScopeOf(parse('mutation { checkout(input: {}) { id } }'))).toBe('mutation checkout');
      expect(breakerScopeOf(parse('mutation { b: cancelOrder(id: 1) { id } checkout(input: {}) { id } c: checkout(input: {}) { id } }'))).toBe('mutation cancelOrder checkout');
      expect(breakerScopeOfText('mutation R($o: ID!) { reserveStock(orderId: $o, lines: []) }')).toBe('mutation reserveStock');
      expect(breakerScopeOfText('not graphql {')).toBe(QUERIES_SCOPE);
    });

    it('opens a mutation\'s breaker without touching the queries\' or another mutation\'s', async () => {
      const { breakers, registry } = setup();
      for (let i = 0; i < 4; i++) await failure(breakers.call('orders', 1_000, refused, 'mutation checkout'));
      expect(breakers.state('orders', 'mutation checkout')).toBe('open');
      expect(breakers.state('orders')).toBe('closed');
      expect(breakers.state('orders', 'mutation cancelOrder')).toBe('closed');
      await expect(breakers.call('orders', 1_000, answered)).resolves.toBe('answer');
      await expect(breakers.call('orders', 1_000, answered, 'mutation cancelOrder')).resolves.toBe('answer');
      expect((await failure(breakers.call('orders', 1_000, answered, 'mutation checkout'))).reason).toBe('circuit-open');
      expect(breakers.states()).toMatchObject({ orders: 'closed', 'orders mutation checkout': 'open', 'orders mutation cancelOrder': 'closed' });
      expect(await registry.getSingleMetricAsString('subgraph_circuit_breaker_state')).toContain(
        'subgraph_circuit_breaker_state{subgraph="orders",scope="mutation checkout",state="open"} 1',
      );
      breakers.shutdown();
    });

    it('does not count a timeout while the subgraph answered other calls (slow, not down), but does when nothing answered', async () => {
      const { breakers } = setup(quiet);
      const hang = () => new Promise<never>(() => undefined);
      // Three slow checkouts in a row, each while the subgraph answers a query: it is alive.
      for (let i = 0; i < 3; i++) {
        const slow = failure(breakers.call('orders', 800, hang, 'mutation checkout'));
        jest.advanceTimersByTime(400);
        await breakers.call('orders', 800, answered);
        jest.advanceTimersByTime(400);
        expect((await slow).reason).toBe('timeout');
      }
      expect(breakers.state('orders', 'mutation checkout')).toBe('closed');
      // Three timeouts with no answer from the subgraph at all: it is down for this operation.
      for (let i = 0; i < 3; i++) {
        const stuck = failure(breakers.call('orders', 800, hang, 'mutation checkout'));
        jest.advanceTimersByTime(800);
        await stuck;
      }
      expect(breakers.state('orders', 'mutation checkout')).toBe('open');
      breakers.shutdown();
    });
  });

  describe('failures in a row open it whatever the rate (consecutiveFailures)', () => {
    /** A call that hangs until its timeout (800 ms on the fake clock): what a frozen subgraph does. */
    async function timeout(breakers: CircuitBreakers, service = 'catalog'): Promise<SubgraphCallError> {
      const call = failure(breakers.call(service, 800, () => new Promise<never>(() => undefined)));
      jest.advanceTimersByTime(800);
      return call;
    }

    it('opens at the 3rd timeout in a row, one call at a time and minutes apart, with the same log line and metrics', async () => {
      const { breakers, logs, registry } = setup(quiet);
      for (let i = 0; i < 2; i++) {
        expect((await timeout(breakers)).reason).toBe('timeout');
        // Far more apart than the rate rule's window: only a count in a row can see them.
        jest.advanceTimersByTime(60_000);
      }
      expect(breakers.state('catalog')).toBe('closed');
      await timeout(breakers);
      expect(breakers.state('catalog')).toBe('open');
      const action = jest.fn(answered);
      expect((await failure(breakers.call('catalog', 800, action))).reason).toBe('circuit-open');
      expect(action).not.toHaveBeenCalled();
      expect(logs.filter((line) => line.subgraph === 'catalog')).toEqual([
        expect.objectContaining({ level: 40, from: 'closed', to: 'open', rule: 'consecutive-failures', msg: expect.stringContaining('circuit breaker of catalog opened') }),
      ]);
      expect(await stateGauge(registry, 'catalog')).toEqual({ closed: 0, open: 1, 'half-open': 0 });
      expect(breakers.state('inventory')).toBe('closed');
      breakers.shutdown();
    });

    it('counts calls that failed together as one: a burst of slow calls timing out at once does not open it', async () => {
      const { breakers } = setup(quiet);
      // Five calls in flight together, all timing out at the same moment (a crowd on one slow operation).
      const burst = Array.from({ length: 5 }, () => failure(breakers.call('catalog', 800, () => new Promise<never>(() => undefined))));
      jest.advanceTimersByTime(800);
      expect((await Promise.all(burst)).map((error) => error.reason)).toEqual(Array(5).fill('timeout'));
      expect(breakers.state('catalog')).toBe('closed');
      // The burst was one failure in a row: two more, one after the other, make three.
      await timeout(breakers);
      expect(breakers.state('catalog')).toBe('closed');
      await timeout(breakers);
      expect(breakers.state('catalog')).toBe('open');
      breakers.shutdown();
    });

    it('a success between failures starts the count again; an answer with GraphQL errors is a success', async () => {
      const { breakers } = setup(quiet);
      const graphqlErrors = () => Promise.resolve({ errors: [{ message: 'Product not found', extensions: { code: 'NOT_FOUND' } }] });
      for (let round = 0; round < 5; round++) {
        await failure(breakers.call('catalog', 800, refused));
        await timeout(breakers);
        await breakers.call<unknown>('catalog', 800, round % 2 === 0 ? answered : graphqlErrors);
      }
      expect(breakers.state('catalog')).toBe('closed');
      // Failures of another subgraph are not this one's.
      await failure(breakers.call('catalog', 800, refused));
      await failure(breakers.call('inventory', 800, refused));
      await failure(breakers.call('inventory', 800, refused));
      await failure(breakers.call('catalog', 800, refused));
      expect(breakers.states()).toEqual({ catalog: 'closed', inventory: 'closed' });
      breakers.shutdown();
    });

    it('does not count calls past the request deadline', async () => {
      const { breakers } = setup(quiet);
      await failure(breakers.call('catalog', 800, refused));
      await failure(breakers.call('catalog', 800, refused));
      for (let i = 0; i < 5; i++) expect((await failure(breakers.call('catalog', 0, answered))).reason).toBe('deadline');
      expect(breakers.state('catalog')).toBe('closed');
      await failure(breakers.call('catalog', 800, refused));
      expect(breakers.state('catalog')).toBe('open');
      breakers.shutdown();
    });

    it('opossum takes it half-open after the reset timeout; a good probe closes it and the count starts again', async () => {
      const { breakers, logs, registry } = setup(quiet);
      for (let i = 0; i < 3; i++) await timeout(breakers);
      expect(breakers.state('catalog')).toBe('open');
      // Refused calls while open do not add up to anything either.
      for (let i = 0; i < 10; i++) await failure(breakers.call('catalog', 800, answered));

      jest.advanceTimersByTime(quiet.resetTimeoutMs - 1);
      expect(breakers.state('catalog')).toBe('open');
      jest.advanceTimersByTime(1);
      expect(breakers.state('catalog')).toBe('half-open');
      await expect(breakers.call('catalog', 800, answered)).resolves.toBe('answer');
      expect(breakers.state('catalog')).toBe('closed');

      // Closed again, it takes 3 new failures in a row, not 1.
      await timeout(breakers);
      await timeout(breakers);
      expect(breakers.state('catalog')).toBe('closed');
      await timeout(breakers);
      expect(breakers.state('catalog')).toBe('open');

      // A failed probe opens it again, for another reset timeout.
      jest.advanceTimersByTime(quiet.resetTimeoutMs);
      await timeout(breakers);
      expect(breakers.state('catalog')).toBe('open');
      jest.advanceTimersByTime(quiet.resetTimeoutMs);
      expect(breakers.state('catalog')).toBe('half-open');
      breakers.shutdown();

      expect(logs.filter((line) => line.subgraph === 'catalog').map((line) => [line.to, line.rule])).toEqual([
        ['open', 'consecutive-failures'],
        ['half-open', undefined],
        ['closed', undefined],
        ['open', 'consecutive-failures'],
        ['half-open', undefined],
        ['open', 'failed-probe'],
        ['half-open', undefined],
      ]);
      const transitions = await registry.getSingleMetric('subgraph_circuit_breaker_transitions_total')!.get();
      expect(transitions.values.filter((v) => v.labels.subgraph === 'catalog').map((v) => [v.labels.state, v.value])).toEqual([
        ['open', 3],
        ['half-open', 3],
        ['closed', 1],
      ]);
    });

    it('0 turns the rule off: then only the rate rule opens it', async () => {
      const { breakers } = setup({ ...quiet, consecutiveFailures: 0 });
      for (let i = 0; i < 20; i++) await failure(breakers.call('catalog', 800, refused));
      expect(breakers.state('catalog')).toBe('closed');
      breakers.shutdown();
      const rate = setup({ ...settings, consecutiveFailures: 0 });
      for (let i = 0; i < 4; i++) await failure(rate.breakers.call('catalog', 800, refused));
      expect(rate.breakers.state('catalog')).toBe('open');
      expect(rate.logs.find((line) => line.to === 'open')).toEqual(expect.objectContaining({ rule: 'error-rate' }));
      rate.breakers.shutdown();
    });
  });

  it('does not call a subgraph once the request deadline has passed, and does not hold it against the subgraph', async () => {
    const { breakers } = setup();
    const action = jest.fn(answered);
    for (let i = 0; i < 6; i++) {
      const error = await failure(breakers.call('catalog', 0, action));
      expect(error.reason).toBe('deadline');
      expect(error.extensions?.code).toBe(ErrorCode.SUBGRAPH_TIMEOUT);
    }
    expect(action).not.toHaveBeenCalled();
    expect(breakers.state('catalog')).toBe('closed');
    breakers.shutdown();
  });
});

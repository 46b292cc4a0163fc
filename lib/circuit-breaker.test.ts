import pino from 'pino';
import { Registry } from 'prom-client';
import { CircuitBreakers, SubgraphCallError } from './circuit-breaker';
import { ErrorCode } from './errors';
import type { BreakerSettings } from './resilience';

/**
 * The breaker's state machine on a fake clock: closed -> open after a run of
 * failures -> half-open after the reset timeout -> closed on a good probe (or
 * open again on a bad one). Real opossum, real prom-client, real pino.
 */
const settings: BreakerSettings = { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 1_000, windowMs: 10_000 };

function setup() {
  const logs: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const registry = new Registry();
  const breakers = new CircuitBreakers({ settings, services: ['catalog', 'inventory'], logger, registry });
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
        expect.objectContaining({ labels: { subgraph: 'catalog', reason: 'unreachable' }, value: 4 }),
        expect.objectContaining({ labels: { subgraph: 'catalog', reason: 'circuit-open' }, value: 1 }),
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
      expect.stringContaining('subgraph_circuit_breaker_state{caller="cart",subgraph="catalog",state="closed"} 1'),
    );
    expect(await registry.getSingleMetricAsString('subgraph_circuit_breaker_state')).toEqual(
      expect.stringContaining('subgraph_circuit_breaker_state{caller="orders",subgraph="catalog",state="open"} 1'),
    );
    cart.shutdown();
    orders.shutdown();
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

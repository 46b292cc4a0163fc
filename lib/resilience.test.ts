import { ConfigError } from './config';
import { gatewayTimeoutMs, longestCallTimeout, readResilienceConfig, siblingTimeoutMs } from './resilience';

describe('resilience settings', () => {
  it('defaults: 5 s gateway fetches, 2 s sibling calls, a 10 s request deadline, a breaker at 50 % of 5 calls in 10 s or 5 failures in a row, open for 5 s', () => {
    const config = readResilienceConfig({});
    expect(config).toEqual({
      subgraphTimeoutMs: 5_000,
      siblingTimeoutMs: 2_000,
      timeoutOverridesMs: {},
      requestDeadlineMs: 10_000,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 5_000, windowMs: 10_000, consecutiveFailures: 5 },
    });
    expect(readResilienceConfig({}, 'gateway')).toEqual(config);
    expect(gatewayTimeoutMs(config, 'catalog')).toBe(5_000);
    expect(siblingTimeoutMs(config, 'catalog')).toBe(2_000);
  });

  it('takes a timeout per subgraph that overrides both defaults for calls to that subgraph only', () => {
    const config = readResilienceConfig({ SUBGRAPH_TIMEOUT_MS: '3000', SIBLING_TIMEOUT_MS: '1500', CATALOG_TIMEOUT_MS: '800', ORDERS_TIMEOUT_MS: '9000' });
    expect(gatewayTimeoutMs(config, 'catalog')).toBe(800);
    expect(siblingTimeoutMs(config, 'catalog')).toBe(800);
    expect(gatewayTimeoutMs(config, 'orders')).toBe(9_000);
    expect(gatewayTimeoutMs(config, 'inventory')).toBe(3_000);
    expect(siblingTimeoutMs(config, 'inventory')).toBe(1_500);
    // A subgraph the settings do not name (a supergraph with another one) gets the default.
    expect(gatewayTimeoutMs(config, 'reviews')).toBe(3_000);
  });

  it('reads the deadline and the breaker settings', () => {
    const config = readResilienceConfig({
      REQUEST_DEADLINE_MS: '4000',
      BREAKER_ERROR_THRESHOLD_PERCENT: '25',
      BREAKER_VOLUME_THRESHOLD: '10',
      BREAKER_RESET_TIMEOUT_MS: '30000',
      BREAKER_WINDOW_MS: '60000',
      BREAKER_CONSECUTIVE_FAILURES: '8',
    });
    expect(config.requestDeadlineMs).toBe(4_000);
    expect(config.breaker).toEqual({ errorThresholdPercentage: 25, volumeThreshold: 10, resetTimeoutMs: 30_000, windowMs: 60_000, consecutiveFailures: 8 });
  });

  it('reports every bad value at once, one line each, naming the variable', () => {
    let error: unknown;
    try {
      readResilienceConfig({
        SUBGRAPH_TIMEOUT_MS: '5s',
        CATALOG_TIMEOUT_MS: '0',
        REQUEST_DEADLINE_MS: '-1',
        BREAKER_ERROR_THRESHOLD_PERCENT: '150',
        BREAKER_VOLUME_THRESHOLD: '2.5',
        BREAKER_CONSECUTIVE_FAILURES: '-1',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(6);
    expect(problems).toEqual(
      expect.arrayContaining([
        'SUBGRAPH_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "5s"',
        'CATALOG_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "0"',
        'REQUEST_DEADLINE_MS: must be a whole number of milliseconds of at least 1, got "-1"',
        'BREAKER_ERROR_THRESHOLD_PERCENT: must be a whole number of percent from 1 to 100, got "150"',
        'BREAKER_VOLUME_THRESHOLD: must be a whole number of calls of at least 1, got "2.5"',
        'BREAKER_CONSECUTIVE_FAILURES: must be a whole number of failures of at least 0, got "-1"',
      ]),
    );
  });

  describe('refuses at start, one line each, settings under which no breaker could open for one request at a time', () => {
    function problemsOf(env: NodeJS.ProcessEnv, caller: 'gateway' | 'sibling'): string[] {
      try {
        readResilienceConfig(env, caller);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    }

    it("refuses today's rate rule alone: 5 calls of up to 5 s (gateway) or 2 s (sibling calls) never fit in 10 s", () => {
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0' }, 'gateway')).toEqual([
        'BREAKER_CONSECUTIVE_FAILURES: 0 (off) leaves only the rate rule to open a breaker, which never opens for a client sending one request at a time: ' +
          'BREAKER_WINDOW_MS (10000) must be longer than BREAKER_VOLUME_THRESHOLD (5) x the longest call timeout (5000 ms, SUBGRAPH_TIMEOUT_MS) = 25000 ms: ' +
          'set BREAKER_CONSECUTIVE_FAILURES to 1 or more, or BREAKER_WINDOW_MS above 25000',
      ]);
      // 5 x 2 s spans the whole 10 s window, and opossum's window holds less than its length.
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0' }, 'sibling')).toEqual([expect.stringContaining('(5) x the longest call timeout (2000 ms, SIBLING_TIMEOUT_MS) = 10000 ms')]);
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_WINDOW_MS: '10001' }, 'sibling')).toEqual([]);
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_WINDOW_MS: '25001' }, 'gateway')).toEqual([]);
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_VOLUME_THRESHOLD: '1' }, 'gateway')).toEqual([]);
    });

    it('takes the longest timeout of the calls the process makes: a per-subgraph one, capped by the request deadline at the gateway', () => {
      const off = { BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_WINDOW_MS: '30000' };
      expect(problemsOf(off, 'gateway')).toEqual([]);
      expect(problemsOf({ ...off, INVENTORY_TIMEOUT_MS: '8000' }, 'gateway')).toEqual([expect.stringContaining('(8000 ms, INVENTORY_TIMEOUT_MS) = 40000 ms')]);
      expect(problemsOf({ ...off, INVENTORY_TIMEOUT_MS: '8000' }, 'sibling')).toEqual([expect.stringContaining('(8000 ms, INVENTORY_TIMEOUT_MS)')]);
      expect(problemsOf({ ...off, INVENTORY_TIMEOUT_MS: '8000', REQUEST_DEADLINE_MS: '5900' }, 'gateway')).toEqual([]);
      expect(problemsOf({ ...off, INVENTORY_TIMEOUT_MS: '8000', REQUEST_DEADLINE_MS: '6000' }, 'gateway')).toEqual([expect.stringContaining('(6000 ms, REQUEST_DEADLINE_MS) = 30000 ms')]);
      expect(problemsOf({ ...off, REQUEST_DEADLINE_MS: '4000', SUBGRAPH_TIMEOUT_MS: '9000' }, 'gateway')).toEqual([]);
      // The gateway's fetch timeout is not a sibling call's, nor the reverse.
      expect(problemsOf({ ...off, SIBLING_TIMEOUT_MS: '7000' }, 'gateway')).toEqual([]);
      expect(problemsOf({ ...off, SIBLING_TIMEOUT_MS: '7000' }, 'sibling')).toEqual([expect.stringContaining('(7000 ms, SIBLING_TIMEOUT_MS) = 35000 ms')]);
      expect(longestCallTimeout(readResilienceConfig({ CART_TIMEOUT_MS: '6000', REQUEST_DEADLINE_MS: '5500' }), 'gateway')).toEqual({ ms: 5_500, setting: 'REQUEST_DEADLINE_MS' });
      expect(longestCallTimeout(readResilienceConfig({ CART_TIMEOUT_MS: '6000', REQUEST_DEADLINE_MS: '5500' }), 'sibling')).toEqual({ ms: 6_000, setting: 'CART_TIMEOUT_MS' });
    });

    it('refuses a percentage of 100: opossum opens when the failed share is above it', () => {
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_ERROR_THRESHOLD_PERCENT: '100', BREAKER_WINDOW_MS: '60000' }, 'gateway')).toEqual([
        'BREAKER_CONSECUTIVE_FAILURES: 0 (off) leaves only the rate rule to open a breaker, and with BREAKER_ERROR_THRESHOLD_PERCENT at 100 it never opens ' +
          '(the failed share must be above it): set BREAKER_CONSECUTIVE_FAILURES to 1 or more, or BREAKER_ERROR_THRESHOLD_PERCENT below 100',
      ]);
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_ERROR_THRESHOLD_PERCENT: '99', BREAKER_WINDOW_MS: '60000' }, 'gateway')).toEqual([]);
      // Both at once: both lines.
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_ERROR_THRESHOLD_PERCENT: '100' }, 'gateway')).toHaveLength(2);
    });

    it('accepts any of these once failures in a row open the breaker too', () => {
      expect(problemsOf({ BREAKER_CONSECUTIVE_FAILURES: '1', BREAKER_ERROR_THRESHOLD_PERCENT: '100', BREAKER_WINDOW_MS: '1000', SUBGRAPH_TIMEOUT_MS: '30000' }, 'gateway')).toEqual([]);
    });
  });
});

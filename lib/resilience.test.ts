import { ConfigError } from './config';
import { gatewayTimeoutMs, readResilienceConfig, siblingTimeoutMs } from './resilience';

describe('resilience settings', () => {
  it('defaults: 5 s gateway fetches, 2 s sibling calls, a 10 s request deadline, a breaker at 50 % of 5 calls in 10 s open for 5 s', () => {
    const config = readResilienceConfig({});
    expect(config).toEqual({
      subgraphTimeoutMs: 5_000,
      siblingTimeoutMs: 2_000,
      timeoutOverridesMs: {},
      requestDeadlineMs: 10_000,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 5_000, windowMs: 10_000 },
    });
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
    });
    expect(config.requestDeadlineMs).toBe(4_000);
    expect(config.breaker).toEqual({ errorThresholdPercentage: 25, volumeThreshold: 10, resetTimeoutMs: 30_000, windowMs: 60_000 });
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
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems).toEqual(
      expect.arrayContaining([
        'SUBGRAPH_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "5s"',
        'CATALOG_TIMEOUT_MS: must be a whole number of milliseconds of at least 1, got "0"',
        'REQUEST_DEADLINE_MS: must be a whole number of milliseconds of at least 1, got "-1"',
        'BREAKER_ERROR_THRESHOLD_PERCENT: must be a whole number of percent from 1 to 100, got "150"',
        'BREAKER_VOLUME_THRESHOLD: must be a whole number of calls of at least 1, got "2.5"',
      ]),
    );
  });
});

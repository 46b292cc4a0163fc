import 'reflect-metadata';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import { inventorySubgraph } from '../subgraphs/inventory/inventory.server';
import { usersSubgraph } from '../subgraphs/users/users.server';
import { TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';
import { ConfigError } from './config';
import { readSubgraphEnv } from './subgraph';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(read: () => unknown): string[] {
  try {
    read();
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('a subgraph run alone reads its settings at once', () => {
  it('reports the common settings\' problems and its own together, in one list', () => {
    expect(problemsOf(() => readSubgraphEnv(inventorySubgraph, { DATABASE_URL: 'nowhere', RESERVATION_SWEEP_INTERVAL_MS: '0' }))).toEqual([
      expect.stringMatching(/^DATABASE_URL: /),
      expect.stringMatching(/^RESERVATION_SWEEP_INTERVAL_MS: must be a whole number of milliseconds/),
      expect.stringMatching(/^REDIS_URL: required when inventory runs as its own process/),
    ]);
  });

  it('refuses breaker settings under which no breaker of its sibling calls could open, in the same list', () => {
    expect(problemsOf(() => readSubgraphEnv(inventorySubgraph, { ...base, RESERVATION_SWEEP_INTERVAL_MS: '0', BREAKER_CONSECUTIVE_FAILURES: '0' }))).toEqual([
      expect.stringMatching(/^RESERVATION_SWEEP_INTERVAL_MS: must be a whole number of milliseconds/),
      expect.stringMatching(/^BREAKER_CONSECUTIVE_FAILURES: 0 \(off\) leaves only the rate rule .* \(2000 ms, SIBLING_TIMEOUT_MS\) = 10000 ms/),
    ]);
    expect(readSubgraphEnv(inventorySubgraph, { ...base, BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_WINDOW_MS: '20000' }).resilience.breaker.consecutiveFailures).toBe(0);
  });

  it('hands its own settings over as its config', () => {
    expect(readSubgraphEnv(inventorySubgraph, { ...base, RESERVATION_SWEEP_INTERVAL_MS: '250' }).config).toEqual({ reservationSweepIntervalMs: 250 });
    expect(readSubgraphEnv(usersSubgraph, { ...base, JWT_SECRET: TEST_JWT_SECRET }).config).toEqual({ jwtSecret: TEST_JWT_SECRET });
  });

  it('asks only users, of the subgraphs, for JWT_SECRET in production', () => {
    const production = { ...base, NODE_ENV: 'production', INTERNAL_SECRET: TEST_INTERNAL_SECRET };
    expect(problemsOf(() => readSubgraphEnv(catalogSubgraph, production))).toEqual([]);
    expect(problemsOf(() => readSubgraphEnv(usersSubgraph, production))).toEqual([expect.stringMatching(/^JWT_SECRET: required, not set/)]);
  });
});

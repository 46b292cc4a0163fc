import { randomUUID } from 'node:crypto';
import { signAccessToken } from '../lib/access-token';
import { DEMO_USERS } from '../lib/demo-data';
import { Role, type Viewer } from '../lib/identity';
import { SUBGRAPH_NAMES } from '../lib/subgraph-names';
import { startLocalSupergraph, type LocalSupergraph, type LocalSupergraphOptions } from '../scripts/local-supergraph';
import { testRedisNamespace } from './redis';
import { dropTestDatabase, postGraphQL, testDatabasePrefix, testServerUrl, TEST_INTERNAL_SECRET, TEST_JWT_SECRET, type GraphQLResult } from './subgraph-harness';

export interface TestSupergraph extends LocalSupergraph {
  /** POSTs to the gateway's /graphql, as the given viewer (a token is minted) or anonymously. */
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Viewer | string | null): Promise<GraphQLResult<T>>;
  tokenFor(viewer: Viewer): Promise<string>;
}

/** For tests that count what the subgraphs do for each request: a cached answer would ask them nothing. */
export const WITHOUT_RESPONSE_CACHE: Partial<LocalSupergraphOptions> = { gateway: { responseCache: { enabled: false, maxEntries: 1, maxBytes: 1, shared: false } } };

export const demoAdmin: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
export const demoCustomer: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };

/**
 * The whole supergraph for end-to-end tests: five subgraphs on fresh, seeded
 * databases of this worker and the gateway serving the committed supergraph,
 * all on free ports of 127.0.0.1.
 */
export async function startTestSupergraph(overrides: Partial<LocalSupergraphOptions> = {}): Promise<TestSupergraph> {
  await Promise.all(SUBGRAPH_NAMES.map((name) => dropTestDatabase(name)));
  const supergraph = await startLocalSupergraph({
    serverUrl: testServerUrl(),
    databasePrefix: testDatabasePrefix(),
    host: '127.0.0.1',
    gatewayPort: 0,
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])),
    internalSecret: TEST_INTERNAL_SECRET,
    jwtSecret: TEST_JWT_SECRET,
    seed: 'always',
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    ...overrides,
    // Rate-limit and throttle counters (and APQ entries) of one test file never meet another's.
    // No drain delay when a test stops it, production mode included.
    gateway: { redisNamespace: `${testRedisNamespace()}${randomUUID().slice(0, 8)}:`, shutdown: { delayMs: 0, graceMs: 10_000 }, ...overrides.gateway },
  });
  const tokenFor = (viewer: Viewer) => signAccessToken(viewer, TEST_JWT_SECRET);
  return {
    ...supergraph,
    tokenFor,
    query: async (query, variables = {}, as = null) => {
      const token = typeof as === 'string' ? as : as ? await tokenFor(as) : null;
      return postGraphQL(supergraph.gatewayUrl, query, variables, token ? { authorization: `Bearer ${token}` } : {});
    },
  };
}

import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { exitCode, freePort, startProcess, startRedisServer, waitUntilHealthy, type ServiceProcess } from './processes';
import { testDatabasePrefix, testServerUrl, TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from './subgraph-harness';

/**
 * The split deployment of docker-compose.yml, natively, for tests that need
 * real processes (kill, freeze, SIGTERM): every subgraph and the named
 * gateways as separate processes started from dist/ in production mode, on
 * seeded databases of their own, with a private Redis the test may restart.
 */
export interface SplitDeployment {
  /** Settings every process got (a restarted one should get them too). */
  env: Record<string, string>;
  /** Port of each subgraph and gateway, and of Redis. */
  ports: Record<string, number>;
  redisPort: number;
  redis: ServiceProcess;
  /** The process currently running under `name` (a restarted one replaces it). */
  process(name: string): ServiceProcess;
  /** http://127.0.0.1:<port>/graphql of a gateway. */
  gatewayUrl(name: string): string;
  /** (Re)starts a service on its port and waits until it is healthy. */
  start(name: SubgraphName | string, extra?: Record<string, string>): Promise<ServiceProcess>;
  /** Replaces Redis by a fresh one on the same port. */
  restartRedis(): Promise<void>;
  stop(): Promise<void>;
}

export interface SplitDeploymentOptions {
  /** Databases are `<worker prefix>_<suffix>_<subgraph>`. */
  databaseSuffix: string;
  /** Gateway processes to start, by name, with their own extra settings. */
  gateways: Record<string, Record<string, string>>;
  /** Extra settings for every process. */
  env?: Record<string, string>;
}

export async function startSplitDeployment(options: SplitDeploymentOptions): Promise<SplitDeployment> {
  const gatewayNames = Object.keys(options.gateways);
  const ports: Record<string, number> = {};
  for (const name of [...SUBGRAPH_NAMES, ...gatewayNames]) ports[name] = await freePort();
  const redisPort = await freePort();
  let redis = startRedisServer(redisPort);
  const running = new Map<string, ServiceProcess>();
  const all: ServiceProcess[] = [];
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: testServerUrl(),
    DATABASE_NAME_PREFIX: `${testDatabasePrefix()}_${options.databaseSuffix}`,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    JWT_SECRET: TEST_JWT_SECRET,
    HOST: '127.0.0.1',
    // The test is one client on one address: its load is not what a cost budget is for.
    RATE_LIMIT_MODE: 'off',
    ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`])),
    ...options.env,
  };
  const entryOf = (name: string) => (SUBGRAPH_NAMES.includes(name as SubgraphName) ? `dist/subgraphs/${name}/main.js` : 'dist/gateway/main.js');

  const start = async (name: string, extra: Record<string, string> = {}) => {
    const service = startProcess(name, entryOf(name), { ...env, ...options.gateways[name], ...extra, PORT: String(ports[name]) });
    running.set(name, service);
    all.push(service);
    await waitUntilHealthy(`http://127.0.0.1:${ports[name]}/health`, service);
    return service;
  };

  const deployment: SplitDeployment = {
    env,
    ports,
    redisPort,
    get redis() {
      return redis;
    },
    process: (name) => running.get(name)!,
    gatewayUrl: (name) => `http://127.0.0.1:${ports[name]}/graphql`,
    start,
    restartRedis: async () => {
      await redis.stop();
      redis = startRedisServer(redisPort);
    },
    stop: async () => {
      // A stopped (SIGSTOP) process would never act on SIGTERM.
      for (const service of all) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGCONT');
      await Promise.all(all.map((service) => service.stop()));
      await redis.stop();
    },
  };

  try {
    // Seeding creates and migrates the databases before any service starts.
    const seed = startProcess('seed', 'dist/scripts/seed.js', env);
    const seeded = await exitCode(seed, 60_000);
    if (seeded !== 0) throw new Error(`seeding failed (${seeded}):\n${seed.output()}`);
    await Promise.all(SUBGRAPH_NAMES.map((name) => start(name)));
    await Promise.all(gatewayNames.map((name) => start(name)));
    return deployment;
  } catch (error) {
    await deployment.stop();
    throw error;
  }
}

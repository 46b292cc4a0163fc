import { Client } from 'pg';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import { freePort, startProcess, startRedisServer, waitUntilHealthy, type ServiceProcess } from '../test/processes';
import { testDatabasePrefix, testServerUrl, TEST_INTERNAL_SECRET } from '../test/subgraph-harness';
import { databaseName, databaseUrl, dropDatabase } from './database';

/**
 * Three replicas of one subgraph, real processes from dist/ in production mode,
 * started at once against a database that does not exist yet (as a deployment
 * scaled to three does on its first rollout): all become healthy, the database
 * is created once and each migration applied once, and none logs an error.
 */
describe('replicas of one subgraph starting at once', () => {
  const prefix = `${testDatabasePrefix()}_replicas`;
  const url = databaseUrl(testServerUrl(), databaseName(prefix, 'catalog'));
  const processes: ServiceProcess[] = [];

  beforeAll(() => dropDatabase(url));
  afterAll(async () => {
    await Promise.all(processes.map((service) => service.stop()));
    await dropDatabase(url);
  });

  it('migrate a fresh database exactly once, and all three serve', async () => {
    const redisPort = await freePort();
    const redis = startRedisServer(redisPort);
    processes.push(redis);
    const ports = [await freePort(), await freePort(), await freePort()];
    const replicas = ports.map((port, index) => {
      const service = startProcess(`catalog-${index + 1}`, 'dist/subgraphs/catalog/main.js', {
        NODE_ENV: 'production',
        DATABASE_URL: testServerUrl(),
        DATABASE_NAME_PREFIX: prefix,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        INTERNAL_SECRET: TEST_INTERNAL_SECRET,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      });
      processes.push(service);
      return service;
    });
    await Promise.all(replicas.map((service, index) => waitUntilHealthy(`http://127.0.0.1:${ports[index]}/health`, service, 30_000)));

    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('select name from mikro_orm_migrations order by id');
      expect(rows.map((row) => row.name)).toEqual(catalogSubgraph.database.migrations.map((migration) => migration.name));
    } finally {
      await client.end();
    }

    const lines = replicas.flatMap((service) => service.logLines());
    // One replica applied the migrations; the others waited for it and found none pending.
    expect(lines.filter((line) => line.msg === 'applied migrations')).toHaveLength(1);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    for (const service of replicas) {
      const plain = service.output().split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
      expect(plain).toEqual([]);
    }
    for (const service of replicas) expect(await service.stop()).toBe(0);
  }, 60_000);
});

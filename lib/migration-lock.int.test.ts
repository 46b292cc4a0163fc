import { Client } from 'pg';
import pino from 'pino';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import { testDatabasePrefix, testServerUrl } from '../test/subgraph-harness';
import { databaseName, databaseUrl, dropDatabase, ensureDatabase, openDatabase } from './database';

/**
 * Replicas of one subgraph starting at once against a database that does not
 * exist yet: the preparation lock makes one create and migrate it while the
 * others wait, then find nothing to do. Here as concurrent opens in one process,
 * each on connections of its own (scripts: the same with real processes).
 */
describe('database preparation under concurrent starts', () => {
  const url = databaseUrl(testServerUrl(), databaseName(`${testDatabasePrefix()}_lock`, 'catalog'));

  beforeEach(() => dropDatabase(url));
  afterAll(() => dropDatabase(url));

  it('creates the database once and applies each migration once when three open it at once', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const opened = await Promise.all([1, 2, 3].map(() => openDatabase(catalogSubgraph.database, { url, logger, poolMax: 2 })));
    try {
      expect(opened.filter(({ created }) => created)).toHaveLength(1);
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string; count: string }>('select name, count(*) as count from mikro_orm_migrations group by name');
        expect(rows.map((row) => row.name).sort()).toEqual(catalogSubgraph.database.migrations.map((migration) => migration.name).sort());
        expect(rows.every((row) => row.count === '1')).toBe(true);
      } finally {
        await client.end();
      }
      expect(lines.filter((line) => line.msg === 'applied migrations')).toHaveLength(1);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await Promise.all(opened.map(({ orm }) => orm.close(true)));
    }
  }, 60_000);

  it('creates a missing database once when many ensure it at once', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => ensureDatabase(url)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

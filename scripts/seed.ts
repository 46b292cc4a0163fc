import 'reflect-metadata';
import { databaseEnv, readEnv, str } from '../lib/config';
import { databaseName, databaseUrl, openDatabase } from '../lib/database';
import { createLogger } from '../lib/logger';
import { SUBGRAPH_NAMES } from '../lib/subgraph-names';
import { subgraphDefinitions } from './subgraph-definitions';
import { runMain } from '../lib/entry-point';

/**
 * `npm run seed`: loads the demo data into the databases on DATABASE_URL,
 * creating and migrating them first. Idempotent: rows that exist are kept.
 */
async function main(): Promise<void> {
  const env = readEnv({ ...databaseEnv, LOG_LEVEL: str({ default: 'info' }) });
  const log = createLogger('seed', env.LOG_LEVEL);
  for (const name of SUBGRAPH_NAMES) {
    const definition = subgraphDefinitions[name]!;
    if (!definition.seed) continue;
    const { orm } = await openDatabase(definition.database, {
      url: databaseUrl(env.DATABASE_URL, databaseName(env.DATABASE_NAME_PREFIX, name)),
      logger: log,
    });
    try {
      log.info(`seeding ${name}`);
      await definition.seed(orm.em.fork(), log.child({ subgraph: name }));
    } finally {
      await orm.close(true);
    }
  }
  log.info('demo data loaded');
}

runMain(main);

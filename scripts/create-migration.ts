import 'reflect-metadata';
import path from 'node:path';
import { readEnv, str, url } from '../lib/config';
import { databaseUrl, dropDatabase, openDatabase } from '../lib/database';
import { createLogger } from '../lib/logger';
import { subgraphDefinitions } from './subgraph-definitions';
import { runMain } from '../lib/entry-point';

/**
 * Writes a migration for the difference between a subgraph's entities and its
 * committed migrations: applies those to a scratch database, diffs, and writes
 * the new file to subgraphs/<name>/migrations/. Register it in that folder's
 * index.ts.
 *
 *   npm run migration:create -- catalog
 */
async function main(): Promise<void> {
  const name = process.argv[2] as keyof typeof subgraphDefinitions;
  const definition = subgraphDefinitions[name];
  if (!definition) throw new Error(`Usage: npm run migration:create -- <${Object.keys(subgraphDefinitions).join('|')}>`);
  const env = readEnv({ DATABASE_URL: url({ default: 'postgres://postgres@127.0.0.1:5432/postgres' }), MIGRATION_NAME: str({ default: '' }) });
  const log = createLogger('migrations');
  const scratch = databaseUrl(env.DATABASE_URL, `migration_scratch_${definition.name}`);
  await dropDatabase(scratch);
  const folder = path.resolve(__dirname, '..', '..', 'subgraphs', definition.name, 'migrations');
  const { orm } = await openDatabase(definition.database, {
    url: scratch,
    logger: log,
    overrides: {
      migrations: {
        migrationsList: definition.database.migrations,
        path: folder,
        pathTs: folder,
        emit: 'ts',
        snapshot: false,
        fileName: (timestamp: string, migrationName?: string) => `Migration${timestamp}${migrationName ? `_${migrationName}` : ''}`,
      },
    },
  });
  try {
    const result = await orm.getMigrator().createMigration(folder, false, definition.database.migrations.length === 0, env.MIGRATION_NAME || undefined);
    if (result.diff.up.length === 0) log.info('entities match the migrations: nothing to write');
    else log.info({ file: path.join(folder, result.fileName) }, 'wrote migration; add it to migrations/index.ts');
  } finally {
    await orm.close(true);
    await dropDatabase(scratch);
  }
}

runMain(main);

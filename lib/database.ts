import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql';
import type { Constructor, MigrationObject } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { Client } from 'pg';
import type { Logger } from './logger';

export type { EntityManager };

export interface DatabaseSpec {
  /** Subgraph name; its database is `<prefix>_<name>`. */
  name: string;
  entities: Constructor<object>[];
  migrations: MigrationObject[];
}

export function migration(name: string, migrationClass: Constructor<Migration>): MigrationObject {
  return { name, class: migrationClass };
}

/** The URL of `database` on the server named by `serverUrl`. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function databaseName(prefix: string, subgraph: string): string {
  return `${prefix}_${subgraph}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database of `url` on its server if it does not exist yet; true when it did. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return true;
    } catch (error) {
      // Another process created it between our check and our create.
      if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') throw error;
      return false;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export interface OpenDatabaseOptions {
  url: string;
  poolMax?: number;
  logger?: Logger;
  /** Extra MikroORM options (tests use this to count statements). */
  overrides?: Partial<Options>;
}

/**
 * Opens a subgraph's database: creates it if missing and applies the committed
 * migrations, so a fresh server works with no manual step.
 */
export async function openDatabase(spec: DatabaseSpec, options: OpenDatabaseOptions): Promise<{ orm: MikroORM; created: boolean }> {
  const created = await ensureDatabase(options.url);
  const orm = await MikroORM.init({
    clientUrl: options.url,
    entities: spec.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: spec.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      tableName: 'mikro_orm_migrations',
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    logger: (message: string) => options.logger?.debug({ database: spec.name }, message),
    ...options.overrides,
  });
  const applied = await orm.getMigrator().up();
  if (applied.length > 0) {
    options.logger?.info({ database: spec.name, migrations: applied.map((m) => m.name) }, 'applied migrations');
  }
  return { orm, created };
}

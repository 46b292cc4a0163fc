import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql';
import { DriverException, ReferenceKind, type Constructor, type EntityMetadata, type EntityName, type MigrationObject } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { Client, DatabaseError } from 'pg';
import { stdSerializers } from 'pino';
import type { Logger } from './logger';
import { processShuttingDown } from './graceful-shutdown';
import { quietWhileStopping } from './periodic-task';
import { connectFailure, StartupError } from './startup-error';

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

/** The database a connection URL names (its path, decoded). */
function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** How long a start waits for PostgreSQL to accept a connection. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Where `url` points, for messages: host and port, never the credentials. */
function serverOf(url: string): string {
  return `PostgreSQL at ${new URL(url).host}`;
}

/** A failed connection to the server of `url` as a StartupError naming DATABASE_URL; an error of unknown cause as it is. */
function serverConnectFailure(error: unknown, url: string, timedOut = false): unknown {
  const server = serverOf(url);
  if (error instanceof DatabaseError) {
    // It answered and refused: a wrong password, an unknown user or database. PostgreSQL's words name it.
    return new StartupError(`${server} refused the connection: ${error.message}: correct DATABASE_URL`, 'DATABASE_URL', { cause: error });
  }
  if (error instanceof Error && error.message === 'Connection terminated unexpectedly') {
    return new StartupError(`${server} closed the connection without answering: check that DATABASE_URL names a PostgreSQL server`, 'DATABASE_URL', { cause: error });
  }
  if (timedOut) {
    return new StartupError(`${server} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s: check DATABASE_URL and the network`, 'DATABASE_URL', { cause: error });
  }
  return connectFailure(error, server, 'DATABASE_URL');
}

export interface MaintenanceConnectOptions {
  /** Give up connecting after this long; without it, pg waits as long as the network does. */
  connectionTimeoutMillis?: number;
  /** What a failed connect throws instead of pg's error, told whether it took the whole timeout. */
  connectFailure?: (error: unknown, timedOut: boolean) => unknown;
}

/**
 * Runs `work` on a connection to the `postgres` maintenance database of the
 * server of `url`, then closes it. Databases are created and dropped from
 * there: the one `url` names may not exist yet, and PostgreSQL drops no
 * database while connected to it.
 */
export async function withMaintenanceConnection<T>(url: string, work: (client: Client) => Promise<T>, options: MaintenanceConnectOptions = {}): Promise<T> {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const { connectionTimeoutMillis, connectFailure } = options;
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis });
  // A connection lost while idle (holding a lock while a migration runs elsewhere) must not crash the process:
  // the lock goes with it, and the next query on it fails and says so.
  client.on('error', () => undefined);
  const startedAt = Date.now();
  try {
    await client.connect();
  } catch (error) {
    if (!connectFailure) throw error;
    throw connectFailure(error, connectionTimeoutMillis !== undefined && Date.now() - startedAt >= connectionTimeoutMillis);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Advisory lock key of preparing one database (creating it, migrating it):
 * (this namespace, hashtext(database name)), taken on the server's `postgres`
 * maintenance database, which every process of every subgraph connects to.
 */
const PREPARE_LOCK_NAMESPACE = 0x636f6d6d; // "comm"

/**
 * Runs `work` holding the server-wide advisory lock of database `name`, on
 * `client` (a maintenance connection): replicas starting at once prepare a
 * database one after another, never together. The lock is a session lock, so
 * it is released when `client` closes, a crashed process's too.
 */
async function withPreparationLock<T>(client: Client, name: string, work: () => Promise<T>, logger?: Logger): Promise<T> {
  const key = [PREPARE_LOCK_NAMESPACE, name];
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int4, hashtext($2)) AS locked', key);
  if (!rows[0].locked) {
    logger?.info({ database: name }, 'another process is creating or migrating this database: waiting for it');
    await client.query('SELECT pg_advisory_lock($1::int4, hashtext($2))', key);
  }
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::int4, hashtext($2))', key).catch(() => undefined);
  }
}

/** Creates database `name` on the server of `client` unless it exists; true when this call created it. */
async function createDatabaseIfMissing(client: Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount) return false;
  try {
    await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    return true;
  } catch (error) {
    // Created by a process that does not take the lock (an older version, a person) between our check and our create:
    // duplicate_database, or unique_violation when both inserted into pg_database at once.
    if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') throw error;
    return false;
  }
}

/** A maintenance connection to the server of `url`, failing as a StartupError naming DATABASE_URL. */
function withServer<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  return withMaintenanceConnection(url, work, {
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    connectFailure: (error, timedOut) => serverConnectFailure(error, url, timedOut),
  });
}

/** Creates the database of `url` on its server if it does not exist yet (under its preparation lock); true when it did. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseOf(url);
  return withServer(url, (client) => withPreparationLock(client, name, () => createDatabaseIfMissing(client, name)));
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseOf(url);
  await withMaintenanceConnection(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  });
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
  const name = databaseOf(options.url);
  // Replicas of one subgraph starting at once: the first creates and migrates, the others wait for
  // the lock and then find the database there and no migration pending.
  return withServer(options.url, (client) =>
    withPreparationLock(
      client,
      name,
      async () => {
        const created = await createDatabaseIfMissing(client, name);
        const orm = await migratedOrm(spec, options);
        return { orm, created };
      },
      options.logger,
    ),
  );
}

/** knex's own messages as log lines of the database's service. */
function knexLog(database: string, logger: Logger | undefined) {
  const quiet = logger && quietWhileStopping(logger, processShuttingDown);
  const write = (level: 'warn' | 'debug') => (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    quiet?.[level]({ database, component: 'knex' }, text);
  };
  return { warn: write('warn'), error: write('warn'), deprecate: write('debug'), debug: write('debug') };
}

/** MikroORM on the database of `options.url`, with every committed migration applied. */
async function migratedOrm(spec: DatabaseSpec, options: OpenDatabaseOptions): Promise<MikroORM> {
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
    // Each database its own async-context name: in one process (npm start, tests) a fork or transaction of one
    // subgraph's ORM never picks up another's transaction (MikroORM's contexts are keyed by this name, 'default' otherwise).
    contextName: spec.name,
    discovery: { warnWhenNoEntities: false },
    logger: (message: string) => options.logger?.debug({ database: spec.name }, message),
    // knex writes its warnings (a pooled connection the server closed: "Connection Error: ...") to the console; here they are log lines, at debug once the process is stopping.
    driverOptions: { log: knexLog(spec.name, options.logger) },
    ...options.overrides,
  }).catch((error: unknown) => {
    throw serverConnectFailure(error, options.url);
  });
  let applied: { name: string }[];
  try {
    applied = await orm.getMigrator().up();
  } catch (error) {
    await orm.close(true);
    throw migrationFailure(error, spec, options.url);
  }
  if (applied.length > 0) {
    options.logger?.info({ database: spec.name, migrations: applied.map((m) => m.name) }, 'applied migrations');
  }
  return orm;
}

/** An error PostgreSQL reported, as the driver (`pg`) or MikroORM (which copies pg's fields) throws it. */
export function isDatabaseError(error: unknown): error is Error & Partial<Pick<DatabaseError, 'code' | 'constraint' | 'table' | 'column'>> {
  return error instanceof DriverException || error instanceof DatabaseError;
}

/**
 * What may be logged of a database error at any level: its kind, PostgreSQL's
 * own message and where it struck. Not the message as thrown, which knex
 * prefixes with the statement, every parameter value inlined (a password
 * hash, an email); not `detail`, which holds the key or the whole failing
 * row; not `where` or `internalQuery`; and no stack, whose first line repeats
 * the thrown message.
 */
export function databaseErrorFacts(error: Error & Partial<Pick<DatabaseError, 'code' | 'constraint' | 'table' | 'column'>>) {
  const { code, constraint, table, column } = error;
  // pg names its errors "error"; the class says more (as in pino's own serializer).
  return { type: error.constructor.name, code, message: postgresMessage(error), constraint, table, column };
}

/**
 * PostgreSQL's message out of a thrown one. knex throws "<statement> -
 * <PostgreSQL's message>", and MikroORM appends "\n - detail: <detail>" and
 * "\n - hint: <hint>" (the detail quotes the row): those known endings are
 * cut off, then the text after the last " - " is PostgreSQL's (the statement
 * comes first, so it is never part of it). A data exception (SQLSTATE class
 * 22) quotes the value it refused (`invalid input syntax for type uuid:
 * "..."`): what follows a colon, and anything quoted, is left out of those.
 * Other classes quote names (relations, columns, constraints), which are kept.
 */
function postgresMessage(error: Error & { code?: string; detail?: unknown; hint?: unknown }): string | undefined {
  let thrown = error.message;
  for (const [label, value] of [['hint', error.hint], ['detail', error.detail]] as const) {
    const ending = `\n - ${label}: ${String(value)}`;
    if (value != null && thrown.endsWith(ending)) thrown = thrown.slice(0, -ending.length);
  }
  const message = thrown.split(' - ').pop()!;
  // Endings in a shape not foreseen: no message rather than the row.
  if (error.detail != null && String(error.detail) !== '' && message.includes(String(error.detail))) return undefined;
  return error.code?.startsWith('22') ? message.replace(/:.*$/s, '').replace(/"[^"]*"/g, '"…"') : message;
}

/**
 * The `err` serializer of every subgraph logger: database errors as their
 * facts only, everything else as pino's standard serializer does it (which
 * appends causes' messages and stacks, so a wrapped database error is
 * reduced first).
 */
export function serializeError(error: unknown): unknown {
  if (isDatabaseError(error)) return databaseErrorFacts(error);
  if (error instanceof Error && isDatabaseError(error.cause)) {
    return { type: error.name, message: error.message, stack: error.stack, cause: databaseErrorFacts(error.cause) };
  }
  return stdSerializers.err(error as Error);
}

/** `logger`, logging database errors without their SQL, values or rows. */
export function withSafeDatabaseErrors(logger: Logger): Logger {
  return logger.child({}, { serializers: { err: serializeError } });
}

/**
 * A committed migration that did not apply, as a StartupError: the database
 * holds something the migration does not expect (e.g. a table it creates).
 * Errors that are not PostgreSQL's refusal are returned as they are.
 */
function migrationFailure(error: unknown, spec: DatabaseSpec, url: string): unknown {
  const migration = (error as { migration?: { name?: string } }).migration?.name;
  const cause = (error as { cause?: unknown }).cause;
  if (!migration || !isDatabaseError(cause)) return error;
  // MikroORM's message is "<statement> - <PostgreSQL's message>": only the latter is said.
  const reason = cause.message.split(' - ').pop();
  const database = databaseOf(url);
  return new StartupError(
    `migration ${migration} of the ${spec.name} database (${database} on ${serverOf(url)}) failed: ${reason} (PostgreSQL error ${cause.code}): ` +
      `repair that database, or set DATABASE_NAME_PREFIX or DATABASE_URL to use a database of this program's own`,
    'DATABASE_NAME_PREFIX',
    { cause: error },
  );
}

type Row = Record<string, unknown>;
const rowReaders = new WeakMap<EntityMetadata, (row: Row) => object>();

/**
 * A reader of rows of `entity`'s table (keyed by column name, as a raw query
 * returns them) into plain objects with the entity's property names and
 * JavaScript values, as `em.map` hydrates them: timestamps as Date, custom
 * types converted, a many-to-one as an object holding only the target's key
 * (`product.category.id`), columns absent from the row left out. Unlike
 * `em.map` it creates no managed entity and touches no identity map, so it
 * is for read paths whose results are only returned, never changed or
 * flushed. Built once per entity type.
 */
export function rowReader<T extends object>(em: EntityManager, entity: EntityName<T>): (row: Row) => T {
  const meta = em.getMetadata().get(entity);
  let read = rowReaders.get(meta);
  if (!read) {
    read = compileRowReader(em, meta);
    rowReaders.set(meta, read);
  }
  return read as (row: Row) => T;
}

function compileRowReader(em: EntityManager, meta: EntityMetadata): (row: Row) => object {
  const platform = em.getPlatform();
  const timezone = platform.getTimezone();
  const toDate = (value: unknown): Date => {
    if (value instanceof Date) return value;
    if (typeof value === 'number' || !timezone || timezone === 'local') return new Date(value as string | number);
    const text = value as string;
    return new Date(text.includes('+') || text.lastIndexOf('-') > 10 || text.endsWith('Z') ? text : text + timezone);
  };
  const readers: ((row: Row, target: Row) => void)[] = [];
  for (const prop of meta.props) {
    if (prop.persist === false || !prop.fieldNames || prop.fieldNames.length === 0) continue;
    const column = prop.fieldNames[0];
    const name = prop.name;
    if (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) {
      const targetKeys = prop.targetMeta?.primaryKeys ?? [];
      if (prop.fieldNames.length !== 1 || targetKeys.length !== 1) throw new Error(`rowReader: ${meta.className}.${name} has a composite key`);
      const key = targetKeys[0];
      readers.push((row, target) => {
        const value = row[column];
        if (value !== undefined) target[name] = value === null ? null : { [key]: value };
      });
      continue;
    }
    if (prop.kind !== ReferenceKind.SCALAR || prop.fieldNames.length !== 1 || prop.ref) {
      throw new Error(`rowReader: ${meta.className}.${name} is not a plain column`);
    }
    const customType = prop.customType;
    const convert: (value: unknown) => unknown = customType
      ? (value) => customType.convertToJSValue(value, platform)
      : prop.runtimeType === 'boolean'
        ? (value) => !!value
        : prop.runtimeType === 'Date' && !platform.isNumericProperty(prop)
          ? toDate
          : (value) => value;
    readers.push((row, target) => {
      const value = row[column];
      if (value !== undefined) target[name] = value === null ? null : convert(value);
    });
  }
  return (row) => {
    const target: Row = {};
    for (const read of readers) read(row, target);
    return target;
  };
}

import type { ApolloServerPlugin } from '@apollo/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CappedLabel } from './metric-labels';

/** Distinct operation names kept as label values; later ones are `other`. */
const MAX_OPERATION_LABELS = 100;

/** The gateway names a plan's fetches `<operation>__<subgraph>__<index>`: the client's operation is the label. */
const FETCH_SUFFIX = /__[a-z]+__\d+$/;

/** SQL statements by their first keyword; everything else is `other`. */
const STATEMENT_KINDS: Record<string, string> = {
  select: 'select',
  with: 'select',
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  begin: 'transaction',
  commit: 'transaction',
  rollback: 'transaction',
  savepoint: 'transaction',
  release: 'transaction',
};
const FIRST_WORD = /^\s*([a-zA-Z]+)/;

/** What knex hands its query events (the fields read here). */
interface KnexQuery {
  __knexQueryUid?: string;
  sql?: string;
}

/** The knex pool (tarn) counters read at scrape time. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/**
 * One subgraph's own metrics, on a registry of its own (several subgraphs
 * share a process under `npm start` and in tests), every series labelled
 * `subgraph`: operation timings (one observation per GraphQL request, no
 * per-field hooks), SQL timings by statement kind (from knex's query events),
 * the connection pool, and for subgraphs with an outbox the age of the
 * oldest unpublished event. Pool and outbox are read at scrape time.
 */
export class SubgraphMetrics {
  readonly registry = new Registry();
  private readonly operationNames = new CappedLabel(MAX_OPERATION_LABELS);
  private readonly operationDuration: Histogram<'operation_name' | 'operation_type'>;
  private readonly sqlDuration: Histogram<'statement'>;
  private readonly sqlErrors: Counter<'statement'>;
  /** One label object per statement kind, reused for every statement. */
  private readonly statementLabels = new Map<string, { statement: string }>();
  private readonly queryStarts = new Map<string, number>();
  private detachQueries?: () => void;

  constructor(subgraph: string, options: { orm?: MikroORM; outbox?: boolean } = {}) {
    this.registry.setDefaultLabels({ subgraph });
    const registers = [this.registry];
    this.operationDuration = new Histogram({
      name: 'subgraph_operation_duration_seconds',
      help: 'Time a subgraph took to answer one GraphQL request (parse to response), by operation name (the client operation a gateway fetch belongs to; at most 100 names, then other) and type',
      labelNames: ['operation_name', 'operation_type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.sqlDuration = new Histogram({
      name: 'subgraph_sql_duration_seconds',
      help: 'Time of each SQL statement, from sending it to its result, by kind (select, insert, update, delete, transaction, other)',
      labelNames: ['statement'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.sqlErrors = new Counter({
      name: 'subgraph_sql_errors_total',
      help: 'SQL statements that failed, by kind',
      labelNames: ['statement'] as const,
      registers,
    });
    const orm = options.orm;
    if (!orm) return;
    this.watchQueries(orm);
    const pool = () => (orm.em.getKnex().client as { pool?: TarnPool }).pool;
    new Gauge({
      name: 'subgraph_db_pool_connections',
      help: 'Connections of the database pool, by state (used: lent to a query or transaction, free: idle)',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const current = pool();
        this.set({ state: 'used' }, current?.numUsed() ?? 0);
        this.set({ state: 'free' }, current?.numFree() ?? 0);
      },
    });
    new Gauge({
      name: 'subgraph_db_pool_pending_acquires',
      help: 'Queries and transactions waiting for a connection of the database pool',
      registers,
      collect() {
        this.set(pool()?.numPendingAcquires() ?? 0);
      },
    });
    if (options.outbox) this.watchOutbox(orm);
  }

  /** An Apollo Server plugin timing each request; one timer per request, nothing per field. */
  readonly plugin: ApolloServerPlugin = {
    requestDidStart: async () => {
      const startedAt = performance.now();
      return {
        willSendResponse: async ({ operationName, operation }) => {
          const name = this.operationNames.value(operationName?.replace(FETCH_SUFFIX, ''), 'anonymous');
          this.operationDuration.observe({ operation_name: name, operation_type: operation?.operation ?? 'unknown' }, (performance.now() - startedAt) / 1000);
        },
      };
    },
  };

  /** Stops listening to the ORM's queries. */
  close(): void {
    this.detachQueries?.();
    this.queryStarts.clear();
  }

  private statementOf(sql: string | undefined): { statement: string } {
    const word = (sql && FIRST_WORD.exec(sql)?.[1]?.toLowerCase()) || '';
    const kind = STATEMENT_KINDS[word] ?? 'other';
    let labels = this.statementLabels.get(kind);
    if (!labels) this.statementLabels.set(kind, (labels = { statement: kind }));
    return labels;
  }

  private watchQueries(orm: MikroORM): void {
    const knex = orm.em.getKnex();
    const starts = this.queryStarts;
    const onQuery = (query: KnexQuery) => {
      if (query.__knexQueryUid === undefined) return;
      // A statement that never settles (a pool torn down) must not grow the map for ever.
      if (starts.size > 10_000) starts.clear();
      starts.set(query.__knexQueryUid, performance.now());
    };
    const settle = (query: KnexQuery | undefined, failed: boolean) => {
      const uid = query?.__knexQueryUid;
      if (uid === undefined) return;
      const startedAt = starts.get(uid);
      if (startedAt === undefined) return;
      starts.delete(uid);
      const labels = this.statementOf(query!.sql);
      this.sqlDuration.observe(labels, (performance.now() - startedAt) / 1000);
      if (failed) this.sqlErrors.inc(labels);
    };
    const onResponse = (_response: unknown, query: KnexQuery) => settle(query, false);
    const onError = (_error: unknown, query: KnexQuery) => settle(query, true);
    knex.on('query', onQuery);
    knex.on('query-response', onResponse);
    knex.on('query-error', onError);
    this.detachQueries = () => {
      knex.removeListener('query', onQuery);
      knex.removeListener('query-response', onResponse);
      knex.removeListener('query-error', onError);
    };
  }

  private watchOutbox(orm: MikroORM): void {
    let reading: Promise<void> | undefined;
    const lag = new Gauge({
      name: 'outbox_lag_seconds',
      help: 'Age of the oldest outbox event not yet published to the event bus (0 when none waits), read at scrape time',
      registers: [this.registry],
      // Several scrapes at once share one query.
      collect: () => (reading ??= readOutbox().finally(() => (reading = undefined))),
    });
    const unpublished = new Gauge({
      name: 'outbox_unpublished_events',
      help: 'Outbox events not yet published to the event bus, read at scrape time',
      registers: [this.registry],
    });
    const readOutbox = async () => {
      try {
        const [row] = await orm.em
          .getConnection()
          .execute<{ waiting: number; age: number | null }[]>(
            'select count(*)::int as waiting, extract(epoch from now() - min(created_at))::float8 as age from outbox_event where published_at is null',
          );
        lag.set(Math.max(0, row?.age ?? 0));
        unpublished.set(row?.waiting ?? 0);
      } catch {
        // The database is away: the scrape still answers, with the last values (health checks report the database).
      }
    };
  }
}

import type { MikroORM } from '@mikro-orm/postgresql';
import type { GraphQLFormattedError } from 'graphql';
import { databaseName, databaseUrl, dropDatabase } from '../lib/database';
import type { EventBus } from '../lib/event-bus';
import { internalHeaders, type Viewer } from '../lib/identity';
import { createLogger, type Logger } from '../lib/logger';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition, type SubgraphName } from '../lib/subgraph';

/** Long enough for production mode (test/split-deployment.ts runs the processes with NODE_ENV=production). */
export const TEST_INTERNAL_SECRET = 'test-internal-secret-at-least-32-characters';
export const TEST_JWT_SECRET = 'test-jwt-secret-at-least-32-characters-long';

/** Databases of this run and Jest worker: `test_r<run>_w<worker>_<subgraph>`, so neither workers nor concurrent runs share rows. */
export function testDatabasePrefix(): string {
  return `test_r${process.env.TEST_RUN_ID ?? process.ppid}_w${process.env.JEST_WORKER_ID ?? '0'}`;
}

export function testServerUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through jest so the global setup provides one');
  return url;
}

export async function dropTestDatabase(name: SubgraphName): Promise<void> {
  await dropDatabase(databaseUrl(testServerUrl(), databaseName(testDatabasePrefix(), name)));
}

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

export interface TestSubgraph {
  url: string;
  orm: MikroORM;
  running: RunningSubgraph;
  /** Calls the subgraph as the gateway would: with the internal credential and the viewer. */
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, viewer?: Viewer | null): Promise<GraphQLResult<T>>;
  stop(): Promise<void>;
}

/** Starts one subgraph on a fresh database of this worker, listening on a free port. */
export interface TestSubgraphOptions {
  seed?: boolean;
  /** URLs of sibling test subgraphs this one calls (e.g. cart -> catalog). */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
  /** Start the subgraph's sweepers and relays (default off: tests run them explicitly). */
  backgroundTasks?: boolean;
  /** Production mode: no stack traces, internal errors masked. */
  production?: boolean;
  /** Where the subgraph logs (default: silent unless LOG_LEVEL says otherwise). */
  logger?: Logger;
  /** The event bus its relay publishes to (default: a private in-process one); the caller closes it. */
  events?: EventBus;
  /** Start on the database another test subgraph of this worker uses, as a second replica would (default: a fresh one). */
  sharedDatabase?: boolean;
  /** Settings of the subgraph's own (its definition's `env`), as the environment would give them. */
  env?: Record<string, string>;
}

export async function startTestSubgraph(definition: SubgraphDefinition<any, any>, options: TestSubgraphOptions = {}): Promise<TestSubgraph> {
  if (!options.sharedDatabase) await dropTestDatabase(definition.name);
  const logger = options.logger ?? createLogger(definition.name, process.env.LOG_LEVEL ?? 'silent');
  const running = await startSubgraph(definition, {
    serverUrl: testServerUrl(),
    databasePrefix: testDatabasePrefix(),
    port: 0,
    host: '127.0.0.1',
    internalSecret: TEST_INTERNAL_SECRET,
    production: options.production ?? false,
    // Users signs access tokens with the key the tests verify them with.
    env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET, ...options.env },
    subgraphUrls: options.subgraphUrls,
    backgroundTasks: options.backgroundTasks ?? false,
    logger,
    events: options.events,
  });
  if (options.seed && definition.seed) await definition.seed(running.orm.em.fork(), logger);
  return {
    url: `${running.url}/graphql`,
    orm: running.orm,
    running,
    query: (query, variables = {}, viewer = null) => postGraphQL(`${running.url}/graphql`, query, variables, internalHeaders(TEST_INTERNAL_SECRET, viewer)),
    stop: () => running.stop(),
  };
}

export async function postGraphQL<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>;
  return { status: response.status, ...body };
}

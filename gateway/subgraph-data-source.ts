import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher } from '@apollo/utils.fetcher';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Kind, OperationTypeNode, parse, type DocumentNode, type FragmentDefinitionNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram, type Registry } from 'prom-client';
import { Agent, Response } from 'undici';
import { breakerScopeOf, CircuitBreakers, QUERIES_SCOPE, SubgraphCallError } from '../lib/circuit-breaker';
import { internalHeaders, REQUEST_START_HEADER } from '../lib/identity';
import { callSubgraph, jsonObject, type SubgraphAnswer } from '../lib/subgraph-client';
import { recordSpanError, trace } from '../lib/tracing';
import type { Logger } from '../lib/logger';
import { canonicalJson, InFlightFetches } from './fetch-deduplication';
import type { GatewayContext } from './gateway.context';

/** Errors one failed fetch adds at most (one per field it could not resolve, for each entity). */
const MAX_ERRORS_PER_FAILED_FETCH = 100;

export interface SubgraphDataSourceOptions {
  /** The subgraph's name in the supergraph (its breaker, logs and `serviceName`). */
  name: string;
  url: string;
  internalSecret: string;
  /** Connections to the subgraph for query fetches (64). */
  connections?: number;
  /** Connections of its own for mutation fetches (256): a crowd of slow checkouts never takes the queries' sockets. */
  mutationConnections?: number;
  /** Longest wait for one fetch. */
  timeoutMs: number;
  /** Longest a whole gateway request may take (from `context.operation.startedAt`); no fetch waits past it. */
  requestDeadlineMs: number;
  /** The gateway's breakers, one per subgraph. */
  breakers: CircuitBreakers;
  logger?: Logger;
  /** Identical query fetches in flight at once share one HTTP call (SUBGRAPH_DEDUPLICATION); on unless false. */
  deduplicate?: boolean;
  /** Where the fetch counters are registered (none without): the gateway's registry. */
  registry?: Registry;
}

type FetchInit = { method?: string; headers?: Record<string, string>; body?: string };

/** The fetch under way in this async context (process() sets it, the shared fetcher reads it). */
interface FetchScope {
  timeoutMs: number;
  /** Identifies the request (query, variables, ...) when it may share an identical fetch's call; the viewer's headers are added to it. */
  shareKey?: string;
  /** Set when it joined another fetch's call. */
  joined: boolean;
  /** Its breaker's scope (breakerScopeOf): `queries`, or the mutation's. */
  breakerScope: string;
}

/**
 * Calls one subgraph with the internal credential and the authenticated
 * viewer. Connections are kept alive and capped per subgraph: the default
 * fetcher opens sockets without limit, which swamps the event loop under load.
 *
 * Every fetch has a timeout (the subgraph's, cut short by the request's
 * deadline) and goes through the subgraph's circuit breaker. A fetch that
 * gets no answer does not fail the request: it answers as the subgraph's
 * errors, one per field the fetch owned (for each entity of an entity fetch),
 * so @apollo/gateway places them at those fields' paths, adds `serviceName`,
 * leaves the fields null and keeps the rest of the data (partial results).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly name: string;
  private readonly dispatcher: Agent;
  /** Mutations' own connections (a bulkhead): queries never wait behind a crowd of them. */
  private readonly mutationDispatcher: Agent;
  private readonly internalSecret: string;
  private readonly timeoutMs: number;
  private readonly requestDeadlineMs: number;
  private readonly breakers: CircuitBreakers;
  private readonly logger?: Logger;
  private readonly documents = new LRUCache<string, DocumentNode>({ max: 500 });
  /** The fetch under way, set per process() call (the fetcher is shared by all). */
  private readonly fetchScope = new AsyncLocalStorage<FetchScope>();
  /** Identical fetches in flight, by key; undefined when deduplication is off. */
  private readonly inFlight?: InFlightFetches<SubgraphAnswer>;
  /** The parsed body of each response the fetcher handed out, for parseBody. */
  private readonly parsedBodies = new WeakMap<object, object>();
  private readonly metrics?: ReturnType<typeof fetchMetrics>;
  /** The one label set of this data source's metrics. */
  private readonly labels: { subgraph: string };

  constructor(options: SubgraphDataSourceOptions) {
    super({ url: options.url });
    this.fetcher = ((url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => this.fetchOnce(url, init)) as unknown as Fetcher;
    this.name = options.name;
    this.dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: options.connections ?? 64 });
    this.mutationDispatcher = new Agent({ keepAliveTimeout: 30_000, connections: options.mutationConnections ?? 256 });
    this.internalSecret = options.internalSecret;
    this.timeoutMs = options.timeoutMs;
    this.requestDeadlineMs = options.requestDeadlineMs;
    this.breakers = options.breakers;
    this.logger = options.logger;
    if (options.deduplicate ?? true) this.inFlight = new InFlightFetches();
    if (options.registry) this.metrics = fetchMetrics(options.registry);
    this.labels = { subgraph: this.name };
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = internalHeaders(this.internalSecret, context?.viewer ?? null, context?.operation?.receivedAt);
    for (const [name, value] of Object.entries(headers)) request.http?.headers.set(name, value);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const scope: FetchScope = {
      timeoutMs: this.timeoutFor(options.context as GatewayContext | undefined),
      shareKey: this.shareKey(options),
      joined: false,
      breakerScope: this.breakerScope(options),
    };
    try {
      return await this.fetchScope.run(scope, () => super.process(options));
    } catch (error) {
      if (!(error instanceof SubgraphCallError) || !('incomingRequestContext' in options)) throw error;
      // The fetch's span (@apollo/gateway's gateway.fetch) is marked failed, though the request goes on with partial data.
      recordSpanError(trace.getActiveSpan(), error);
      // A fetch that joined another's call: that call's fetch has logged the failure.
      if (error.reason === 'circuit-open' || scope.joined) this.logger?.debug({ subgraph: this.name, reason: error.reason, joined: scope.joined }, `fetch from ${this.name} failed: ${error.message}`);
      else this.logger?.warn({ subgraph: this.name, reason: error.reason, err: error.detail }, `fetch from ${this.name} failed: ${error.message}`);
      return { errors: this.errorsAtOwnedFields(options, error) };
    }
  }

  /** Hands @apollo/gateway the body the fetcher parsed (once per fetch: its own copy). */
  override parseBody(response: Parameters<RemoteGraphQLDataSource['parseBody']>[0], ...rest: unknown[]): Promise<object | string> {
    const body = this.parsedBodies.get(response);
    if (body) return Promise.resolve(body);
    return super.parseBody(response, ...(rest as []));
  }

  /**
   * What makes a fetch identical to another one in flight, besides the
   * headers the subgraph receives (the viewer's): query, operation name,
   * variables and extensions, as canonical JSON (key order does not count).
   * None (never shared) for anything but a query fetch of a query operation:
   * never a mutation, nor the entity fetches that follow one (they must see
   * its writes).
   */
  private shareKey(options: GraphQLDataSourceProcessOptions<GatewayContext>): string | undefined {
    if (!this.inFlight || !('incomingRequestContext' in options)) return undefined;
    const incoming = options.incomingRequestContext.operation?.operation ?? (options.context as GatewayContext | undefined)?.operation?.operationType;
    if (incoming !== undefined && incoming !== OperationTypeNode.QUERY) return undefined;
    const { query, operationName, variables, extensions } = options.request;
    const document = options.document ?? this.parsed(query);
    const operations = document?.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION) ?? [];
    if (operations.length !== 1 || operations[0].operation !== OperationTypeNode.QUERY) return undefined;
    return `${operationName ?? ''}\n${canonicalJson(variables ?? {})}\n${canonicalJson(extensions ?? {})}\n${query}`;
  }

  /** The fetch's breaker scope: its own document's operation (a mutation's root fields), whatever the client's operation. */
  private breakerScope(options: GraphQLDataSourceProcessOptions<GatewayContext>): string {
    const document = ('document' in options ? options.document : undefined) ?? this.parsed(options.request.query);
    return document ? breakerScopeOf(document) : QUERIES_SCOPE;
  }

  /**
   * One fetch: the subgraph's answer (a JSON GraphQL response), or a
   * SubgraphCallError, which process() turns into errors at the fields. An
   * identical fetch already in flight is joined instead of calling again
   * (the subgraph sees one call, the breaker every fetch's outcome); every
   * fetch gets its own parsed body.
   */
  private async fetchOnce(url: string, init: FetchInit): Promise<Response> {
    const scope = this.fetchScope.getStore();
    const timeoutMs = scope?.timeoutMs ?? this.timeoutMs;
    this.metrics?.fetches.inc(this.labels);
    const stopTimer = this.metrics?.duration.startTimer(this.labels);
    try {
      return await this.fetchAnswer(url, init, scope, timeoutMs);
    } finally {
      stopTimer?.();
    }
  }

  private async fetchAnswer(url: string, init: FetchInit, scope: FetchScope | undefined, timeoutMs: number): Promise<Response> {
    let exchange: SubgraphAnswer;
    // The fetch that made the call reads its parsed body; a joiner parses its own copy (the gateway mutates what it gets).
    let body: Record<string, unknown> | undefined;
    // Past its deadline, a fetch fails at once (breakers.call) and joins nothing.
    if (!this.inFlight || scope?.shareKey === undefined || timeoutMs <= 0) {
      exchange = await this.exchange(url, init, timeoutMs, scope?.breakerScope ?? QUERIES_SCOPE);
      body = exchange.body;
    } else {
      const key = `${headersKey(init.headers)}\n${scope.shareKey}`;
      const flight = this.inFlight.join(key, timeoutMs);
      if (flight) {
        scope.joined = true;
        this.metrics?.deduplicated.inc(this.labels);
        // Waiting goes through the breaker too, under this fetch's own timeout: the breaker judges
        // every fetch (N identical fetches to a frozen subgraph are N timeouts, so it opens as it
        // would without deduplication, and an open breaker fails a joiner at once), while the
        // subgraph sees one call.
        exchange = await this.breakers.call(this.name, timeoutMs, () => flight.promise);
        // Its own copy: parsing the shared text is about twice as fast as structuredClone of the parsed body.
        body = exchange.body === undefined ? undefined : jsonObject(exchange.text);
      } else {
        exchange = await this.inFlight.lead(key, timeoutMs, timeoutMs >= this.timeoutMs, () => this.exchange(url, init, timeoutMs, QUERIES_SCOPE));
        body = exchange.body;
      }
    }
    // What parseBody hands the gateway is the body parsed here, so the response carries none.
    const handOn = (status: number, parsed: Record<string, unknown>) => {
      const handed = new Response(null, { status, headers: exchange.headers });
      this.parsedBodies.set(handed, parsed);
      return handed;
    };
    if (exchange.status < 300 && body) return handOn(exchange.status, body);
    // A subgraph answers a client's bad input it refused (e.g. a NUL byte: BAD_USER_INPUT) with
    // 400 and GraphQL errors. @apollo/gateway would turn any non-2xx into an opaque
    // "400: Bad Request" internal error, so the errors are handed on as the subgraph's own,
    // with their codes and paths, as the GraphQL-over-HTTP spec's 200 answer would carry them.
    if (exchange.status === 400 && body && Array.isArray(body.errors)) return handOn(200, body);
    // Another refusal (401 with a wrong internal secret, 413 ...): the subgraph is there but cannot serve us.
    throw new SubgraphCallError(this.name, 'unreachable', { detail: `HTTP ${exchange.status}` });
  }

  /** One HTTP call, body included, under the subgraph's timeout and the scope's breaker, on the scope's connections. */
  private exchange(url: string, init: FetchInit, timeoutMs: number, breakerScope: string): Promise<SubgraphAnswer> {
    const dispatcher = breakerScope === QUERIES_SCOPE ? this.dispatcher : this.mutationDispatcher;
    return callSubgraph(this.breakers, this.name, timeoutMs, { url, headers: init.headers, body: init.body, dispatcher, scope: breakerScope });
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.mutationDispatcher.close()]);
  }

  /** The subgraph's timeout, cut to what is left of the request's deadline. */
  private timeoutFor(context: GatewayContext | undefined): number {
    const startedAt = context?.operation?.startedAt;
    if (startedAt === undefined) return this.timeoutMs;
    const left = this.requestDeadlineMs - Number(process.hrtime.bigint() - startedAt) / 1e6;
    return Math.min(this.timeoutMs, Math.floor(left));
  }

  /**
   * The failure as errors at the paths @apollo/gateway maps into the client's
   * answer: `[field]` for each root field of a root fetch; `['_entities', i,
   * field]` for each field of an entity fetch, which the gateway turns into
   * that entity's field in the answer (e.g. `products.nodes.3.inStock`).
   */
  private errorsAtOwnedFields(options: GraphQLDataSourceProcessOptions<GatewayContext>, failure: SubgraphCallError): GraphQLFormattedError[] {
    const error = (path?: (string | number)[]): GraphQLFormattedError => ({ message: failure.message, ...(path ? { path } : {}), extensions: { ...failure.extensions } });
    const document = this.parsed(options.request.query);
    const operation = document?.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    if (!document || !operation) return [error()];
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    const entities = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD && s.name.value === '_entities');
    const representations = options.request.variables?.representations;
    if (entities?.kind === Kind.FIELD && entities.selectionSet && Array.isArray(representations)) {
      const errors: GraphQLFormattedError[] = [];
      representations.forEach((representation: { __typename?: string } | null, index) => {
        const fields = responseNames(entities.selectionSet!, fragments, representation?.__typename);
        for (const field of fields.length > 0 ? fields : [undefined]) {
          if (errors.length < MAX_ERRORS_PER_FAILED_FETCH) errors.push(error(field === undefined ? ['_entities', index] : ['_entities', index, field]));
        }
      });
      return errors.length > 0 ? errors : [error()];
    }
    const fields = responseNames(operation.selectionSet, fragments, undefined);
    return fields.length > 0 ? fields.slice(0, MAX_ERRORS_PER_FAILED_FETCH).map((field) => error([field])) : [error()];
  }

  private parsed(query: string | undefined): DocumentNode | undefined {
    if (!query) return undefined;
    let document = this.documents.get(query);
    if (!document) {
      try {
        document = parse(query);
      } catch {
        return undefined;
      }
      this.documents.set(query, document);
    }
    return document;
  }
}

/**
 * The response names a selection set puts on its object (`__typename`
 * aside), through inline fragments and fragment spreads; with a `typename`,
 * only fragments on that type (or on none). Falls back to all fragments when
 * none is on that type (an interface's representation, say).
 */
function responseNames(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, typename: string | undefined): string[] {
  const collect = (set: SelectionSetNode, matches: (type: string | undefined) => boolean, seen: Set<string>, into: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.alias?.value ?? selection.name.value;
        if (name !== '__typename') into.add(name);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (matches(selection.typeCondition?.name.value)) collect(selection.selectionSet, matches, seen, into);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value) && matches(fragment.typeCondition.name.value)) {
          collect(fragment.selectionSet, matches, new Set([...seen, fragment.name.value]), into);
        }
      }
    }
    return into;
  };
  if (typename !== undefined) {
    const typed = collect(selectionSet, (type) => type === undefined || type === typename, new Set(), new Set());
    if (typed.size > 0) return [...typed];
  }
  return [...collect(selectionSet, () => true, new Set(), new Set())];
}

/** The headers a subgraph receives (the viewer's among them), in a fixed order. */
function headersKey(headers: Record<string, string> | undefined): string {
  if (!headers) return '';
  return Object.entries(headers)
    // When each request arrived differs, and does not change what an identical query answers.
    .filter(([name]) => name.toLowerCase() !== REQUEST_START_HEADER)
    .map(([name, value]) => `${name.toLowerCase()}:${value}`)
    .sort()
    .join('\n');
}

/** Fetches counted on the gateway's registry (shared by the data sources of every subgraph). */
function fetchMetrics(registry: Registry) {
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<'subgraph'> | undefined) ?? new Counter({ name, help, labelNames: ['subgraph'] as const, registers: [registry] });
  return {
    fetches: counter('subgraph_fetches_total', 'Fetches of the query plans from each subgraph (HTTP calls = this minus subgraph_fetches_deduplicated_total)'),
    deduplicated: counter('subgraph_fetches_deduplicated_total', 'Fetches that joined an identical fetch in flight instead of calling the subgraph themselves'),
    // Failures and timeouts: subgraph_call_failures_total{reason} of the circuit breakers (lib/circuit-breaker.ts).
    duration:
      (registry.getSingleMetric('subgraph_fetch_duration_seconds') as Histogram<'subgraph'> | undefined) ??
      new Histogram({
        name: 'subgraph_fetch_duration_seconds',
        help: 'Time of each fetch of a query plan from a subgraph, answered or failed (a deduplicated fetch waits for the call it joined)',
        labelNames: ['subgraph'] as const,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  };
}

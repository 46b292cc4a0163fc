import DataLoader from 'dataloader';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Registry } from 'prom-client';
import { Agent, fetch, type Headers } from 'undici';
import { breakerScopeOfText, CircuitBreakers, SubgraphCallError } from './circuit-breaker';
import { internalHeaders, type Viewer } from './identity';
import type { Logger } from './logger';
import { defaultResilienceConfig, siblingTimeoutMs, type ResilienceConfig } from './resilience';
import { SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';
import { inSpan, isTracing, SpanKind, traceHeaders } from './tracing';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/** What a subgraph answered to one call. */
export interface SubgraphAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The text parsed, when it is a JSON object. */
  body: Record<string, unknown> | undefined;
}

export interface SubgraphCall {
  url: string;
  headers?: Record<string, string>;
  body?: string;
  dispatcher: Agent;
  /** The breaker the call counts with (breakerScopeOf): the subgraph's queries' unless it is a mutation. */
  scope?: string;
}

/**
 * One HTTP call to a subgraph under its timeout and circuit breaker, for the
 * gateway's data sources and the sibling clients alike. No answer, a 5xx (or
 * a proxy's page in front of a dead subgraph), or a 2xx that is not a JSON
 * object is the subgraph failing: a SubgraphCallError, counted by its breaker.
 * Any other answer (a 4xx included) is the caller's to read. When tracing,
 * the call is a client span and carries its `traceparent`.
 */
export function callSubgraph(
  breakers: CircuitBreakers,
  service: string,
  timeoutMs: number,
  call: SubgraphCall,
): Promise<SubgraphAnswer> {
  if (!isTracing()) return send(breakers, service, timeoutMs, call, call.headers);
  // The client span of the call (failures, timeouts and an open breaker included); the callee's spans are its children.
  return inSpan(`POST ${service}`, { kind: SpanKind.CLIENT, attributes: { 'peer.service': service, 'url.full': call.url, 'http.request.method': 'POST' } }, async (span) => {
    const answer = await send(breakers, service, timeoutMs, call, { ...call.headers, ...traceHeaders() });
    span.setAttribute('http.response.status_code', answer.status);
    return answer;
  });
}

function send(breakers: CircuitBreakers, service: string, timeoutMs: number, call: SubgraphCall, headers: Record<string, string> | undefined): Promise<SubgraphAnswer> {
  return breakers.call(service, timeoutMs, async (signal) => {
    const response = await fetch(call.url, { method: 'POST', headers, body: call.body, dispatcher: call.dispatcher, signal });
    const text = await response.text();
    if (response.status >= 500) throw new SubgraphCallError(service, 'unreachable', { detail: `HTTP ${response.status}` });
    const body = response.headers.get('content-type')?.includes('json') ? jsonObject(text) : undefined;
    if (response.ok && !body) throw new SubgraphCallError(service, 'unreachable', { detail: `HTTP ${response.status} without a JSON body` });
    return { status: response.status, headers: response.headers, text, body };
  }, call.scope);
}

/** `text` parsed when it is a JSON object; undefined otherwise. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** How a client calls its callee: the timeout of one call and the process's breakers. */
export interface SubgraphClientOptions {
  timeoutMs: number;
  breakers: CircuitBreakers;
}

/**
 * Service-to-service GraphQL calls (orders -> cart, catalog, inventory;
 * cart -> catalog) with the internal credential and the caller's identity,
 * over a keep-alive connection pool. Every call has a timeout and goes
 * through the callee's circuit breaker (lib/circuit-breaker.ts): no answer is
 * a GraphQLError coded SUBGRAPH_TIMEOUT or SUBGRAPH_UNAVAILABLE with the
 * callee's `serviceName`.
 */
export class SubgraphClient {
  private readonly dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 32 });

  constructor(
    readonly serviceName: string,
    /** Reads the callee's address at each call (a sibling that starts later gets its address then). */
    private readonly url: () => string,
    private readonly internalSecret: string,
    private readonly options: SubgraphClientOptions,
  ) {}

  /**
   * Runs an operation; GraphQL errors from the callee are rethrown as
   * GraphQLErrors with their code, so a callee's OUT_OF_STOCK stays one.
   */
  async request<T>(query: string, variables: Record<string, unknown>, viewer: Viewer | null = null): Promise<T> {
    const url = this.url();
    const answer = await callSubgraph(this.options.breakers, this.serviceName, this.options.timeoutMs, {
      url: `${url.replace(/\/$/, '')}${url.endsWith('/graphql') ? '' : '/graphql'}`,
      headers: { 'content-type': 'application/json', ...internalHeaders(this.internalSecret, viewer) },
      body: JSON.stringify({ query, variables }),
      dispatcher: this.dispatcher,
      scope: breakerScopeOfText(query),
    });
    // Not a GraphQL answer at all (a refusal's text page): the callee cannot serve us.
    if (!answer.body) throw new SubgraphCallError(this.serviceName, 'unreachable', { detail: `HTTP ${answer.status} without a JSON body` });
    const status = answer.status;
    const body = answer.body as GraphQLResponse<T>;
    if (body.errors?.length) {
      const [first] = body.errors;
      throw new GraphQLError(first.message, { extensions: { ...first.extensions, serviceName: this.serviceName } });
    }
    if (status >= 300 || !body.data) throw new Error(`${this.serviceName} answered HTTP ${status} without data`);
    return body.data;
  }

  /**
   * A request-scoped loader over the federation `_entities` field: all keys
   * asked for in one tick become one call. `selection` is the fragment body
   * on `typename`, e.g. `id price { amount currency }`.
   */
  entityLoader<T>(typename: string, selection: string, viewer: Viewer | null = null): DataLoader<string, T | null> {
    return new DataLoader<string, T | null>((ids) => this.entities<T>(typename, selection, ids, viewer));
  }

  /** Entities by id through the federation `_entities` field, in one call; null for those the callee does not know. */
  async entities<T>(typename: string, selection: string, ids: readonly string[], viewer: Viewer | null = null): Promise<(T | null)[]> {
    const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
    const data = await this.request<{ _entities: (T | null)[] }>(query, { representations: ids.map((id) => ({ __typename: typename, id })) }, viewer);
    return data._entities;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** One client per sibling subgraph, shared by all requests of a process. */
export type SubgraphClients = Record<SubgraphName, SubgraphClient>;

export interface SubgraphClientsOptions {
  /** Timeouts (`siblingTimeoutMs`) and breaker settings; the defaults when absent. */
  resilience?: ResilienceConfig;
  /** Where breaker state changes are logged. */
  logger?: Logger;
  /** Where breaker metrics are registered. */
  registry?: Registry;
  /** The calling service, as the `caller` label of those metrics. */
  caller?: string;
}

const breakersOfClients = new WeakMap<SubgraphClients, CircuitBreakers>();

/** The clients share one breaker per callee, so every call of the process to it counts. */
export function createSubgraphClients(urls: Record<SubgraphName, string> | ((name: SubgraphName) => string), internalSecret: string, options: SubgraphClientsOptions = {}): SubgraphClients {
  const resilience = options.resilience ?? defaultResilienceConfig();
  const breakers = new CircuitBreakers({
    settings: resilience.breaker,
    services: SUBGRAPH_NAMES,
    logger: options.logger,
    registry: options.registry,
    caller: options.caller,
  });
  const urlOf = typeof urls === 'function' ? urls : (name: SubgraphName) => urls[name];
  const clients = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, new SubgraphClient(name, () => urlOf(name), internalSecret, { timeoutMs: siblingTimeoutMs(resilience, name), breakers })]),
  ) as SubgraphClients;
  breakersOfClients.set(clients, breakers);
  return clients;
}

export async function closeSubgraphClients(clients: SubgraphClients): Promise<void> {
  breakersOfClients.get(clients)?.shutdown();
  await Promise.all(Object.values(clients).map((client) => client.close()));
}

import DataLoader from 'dataloader';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Registry } from 'prom-client';
import { Agent, fetch } from 'undici';
import { CircuitBreakers, SubgraphCallError } from './circuit-breaker';
import { internalHeaders, type Viewer } from './identity';
import type { Logger } from './logger';
import { defaultResilienceConfig, siblingTimeoutMs, type ResilienceConfig } from './resilience';
import { SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
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
    private readonly url: string,
    private readonly internalSecret: string,
    private readonly options: SubgraphClientOptions,
  ) {}

  /**
   * Runs an operation; GraphQL errors from the callee are rethrown as
   * GraphQLErrors with their code, so a callee's OUT_OF_STOCK stays one.
   */
  async request<T>(query: string, variables: Record<string, unknown>, viewer: Viewer | null = null): Promise<T> {
    const { status, body } = await this.options.breakers.call(this.serviceName, this.options.timeoutMs, async (signal) => {
      const response = await fetch(`${this.url.replace(/\/$/, '')}${this.url.endsWith('/graphql') ? '' : '/graphql'}`, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { 'content-type': 'application/json', ...internalHeaders(this.internalSecret, viewer) },
        body: JSON.stringify({ query, variables }),
        signal,
      });
      const text = await response.text();
      // No GraphQL answer (a 5xx, a proxy's page): the callee is failing, which counts against its breaker.
      let parsed: GraphQLResponse<T> | undefined;
      try {
        parsed = JSON.parse(text) as GraphQLResponse<T>;
      } catch {
        parsed = undefined;
      }
      if (response.status >= 500 || typeof parsed !== 'object' || parsed === null) {
        throw new SubgraphCallError(this.serviceName, 'unreachable', { detail: `HTTP ${response.status}` });
      }
      return { status: response.status, body: parsed };
    });
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
export function createSubgraphClients(urls: Record<SubgraphName, string>, internalSecret: string, options: SubgraphClientsOptions = {}): SubgraphClients {
  const resilience = options.resilience ?? defaultResilienceConfig();
  const breakers = new CircuitBreakers({
    settings: resilience.breaker,
    services: SUBGRAPH_NAMES,
    logger: options.logger,
    registry: options.registry,
    caller: options.caller,
  });
  const clients = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, new SubgraphClient(name, urls[name], internalSecret, { timeoutMs: siblingTimeoutMs(resilience, name), breakers })]),
  ) as SubgraphClients;
  breakersOfClients.set(clients, breakers);
  return clients;
}

export async function closeSubgraphClients(clients: SubgraphClients): Promise<void> {
  breakersOfClients.get(clients)?.shutdown();
  await Promise.all(Object.values(clients).map((client) => client.close()));
}

import DataLoader from 'dataloader';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { Agent, fetch } from 'undici';
import { internalHeaders, type Viewer } from './identity';
import { SUBGRAPH_NAMES, type SubgraphName } from './subgraph-names';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/**
 * Service-to-service GraphQL calls (orders -> cart, catalog, inventory;
 * cart -> catalog) with the internal credential and the caller's identity,
 * over a keep-alive connection pool.
 */
export class SubgraphClient {
  private readonly dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 32 });

  constructor(
    readonly serviceName: string,
    private readonly url: string,
    private readonly internalSecret: string,
  ) {}

  /**
   * Runs an operation; GraphQL errors from the callee are rethrown as
   * GraphQLErrors with their code, so a callee's OUT_OF_STOCK stays one.
   */
  async request<T>(query: string, variables: Record<string, unknown>, viewer: Viewer | null = null): Promise<T> {
    const response = await fetch(`${this.url.replace(/\/$/, '')}${this.url.endsWith('/graphql') ? '' : '/graphql'}`, {
      method: 'POST',
      dispatcher: this.dispatcher,
      headers: { 'content-type': 'application/json', ...internalHeaders(this.internalSecret, viewer) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as GraphQLResponse<T>;
    if (body.errors?.length) {
      const [first] = body.errors;
      throw new GraphQLError(first.message, { extensions: { ...first.extensions, serviceName: this.serviceName } });
    }
    if (!response.ok || !body.data) throw new Error(`${this.serviceName} answered HTTP ${response.status} without data`);
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

export function createSubgraphClients(urls: Record<SubgraphName, string>, internalSecret: string): SubgraphClients {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, new SubgraphClient(name, urls[name], internalSecret)])) as SubgraphClients;
}

export async function closeSubgraphClients(clients: SubgraphClients): Promise<void> {
  await Promise.all(Object.values(clients).map((client) => client.close()));
}

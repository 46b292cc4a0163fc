export type SubgraphName = 'users' | 'catalog' | 'inventory' | 'cart' | 'orders';

export const SUBGRAPH_NAMES: readonly SubgraphName[] = ['users', 'catalog', 'inventory', 'cart', 'orders'];

export const DEFAULT_SUBGRAPH_PORTS: Record<SubgraphName, number> = {
  users: 4001,
  catalog: 4002,
  inventory: 4003,
  cart: 4004,
  orders: 4005,
};

export const DEFAULT_GATEWAY_PORT = 4000;

export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://localhost:${DEFAULT_SUBGRAPH_PORTS[name]}/graphql`;
}

/** Subgraph URLs from `<NAME>_URL` variables, defaulting to localhost ports. */
export function subgraphUrlsFromEnv(env: Readonly<Record<string, unknown>>): Record<SubgraphName, string> {
  return Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, (env[`${name.toUpperCase()}_URL`] as string | undefined) || defaultSubgraphUrl(name)]),
  ) as Record<SubgraphName, string>;
}

import type { SubgraphDefinition, SubgraphName } from '../lib/subgraph';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import { inventorySubgraph } from '../subgraphs/inventory/inventory.server';
import { usersSubgraph } from '../subgraphs/users/users.server';
import { cartSubgraph } from '../subgraphs/cart/cart.server';
import { ordersSubgraph } from '../subgraphs/orders/orders.server';

/** Every subgraph, in start order. */
export const subgraphDefinitions: Partial<Record<SubgraphName, SubgraphDefinition<any, any>>> = {
  users: usersSubgraph,
  catalog: catalogSubgraph,
  inventory: inventorySubgraph,
  cart: cartSubgraph,
  orders: ordersSubgraph,
};

import type { SubgraphContext } from '../../lib/subgraph';
import type { OrdersConfig } from './orders.config';
import type { OrdersLoaders } from './orders.loaders';

export type OrdersContext = SubgraphContext<OrdersLoaders, OrdersConfig>;

/**
 * What the checkout saga and its recovery need: a request provides it, and so
 * does the background sweeper, which has no request (and no loaders).
 */
export type OrdersWorkContext = Pick<OrdersContext, 'em' | 'clients' | 'log'>;

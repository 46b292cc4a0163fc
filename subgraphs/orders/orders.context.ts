import type { SubgraphContext } from '../../lib/subgraph';
import type { OrdersLoaders } from './orders.loaders';

export type OrdersContext = SubgraphContext<OrdersLoaders>;

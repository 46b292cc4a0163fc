import type { SubgraphContext } from '../../lib/subgraph';
import type { CartConfig } from './cart.config';
import type { CartLoaders } from './cart.loaders';

export type CartContext = SubgraphContext<CartLoaders, CartConfig>;

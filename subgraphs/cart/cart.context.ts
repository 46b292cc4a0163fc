import type { SubgraphContext } from '../../lib/subgraph';
import type { CartLoaders } from './cart.loaders';

export type CartContext = SubgraphContext<CartLoaders>;

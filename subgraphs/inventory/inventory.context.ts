import type { SubgraphContext } from '../../lib/subgraph';
import type { InventoryLoaders } from './inventory.loaders';

export type InventoryContext = SubgraphContext<InventoryLoaders>;

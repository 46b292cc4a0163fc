import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps } from '../../lib/subgraph';
import { createInventoryLoaders, type InventoryLoaders } from './inventory.loaders';
import { seedInventory } from './inventory.seed';
import { inventoryMigrations } from './migrations';
import { productStock } from './product/product-stock';
import { ProductStockResolver } from './product/product-stock.resolver';
import { StockChangeResolver } from './stock/stock-change.resolver';
import { StockLevel } from './stock/stock-level.entity';
import { StockLevelResolver } from './stock/stock-level.resolver';
import { Warehouse } from './warehouse/warehouse.entity';
import { WarehouseResolver } from './warehouse/warehouse.resolver';

export const inventorySubgraph: SubgraphDefinition<InventoryLoaders> = {
  name: 'inventory',
  database: { name: 'inventory', entities: [Warehouse, StockLevel], migrations: inventoryMigrations },
  resolvers: [WarehouseResolver, StockLevelResolver, ProductStockResolver, StockChangeResolver],
  referenceResolvers: {
    // Every product id is answerable: a product never stocked here simply has nothing available.
    Product: (reference) => productStock(reference.id),
  },
  createLoaders: createInventoryLoaders,
  seed: seedInventory,
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(inventorySubgraph, deps);
}

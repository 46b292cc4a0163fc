import { entityReference } from '../../lib/entity-references';
import { OutboxEvent } from '../../lib/outbox';
import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps } from '../../lib/subgraph';
import { inventorySettings, type InventoryConfig } from './inventory.config';
import { createInventoryLoaders, type InventoryLoaders } from './inventory.loaders';
import { seedInventory } from './inventory.seed';
import { inventoryMigrations } from './migrations';
import { ProductStock } from './product/product-stock';
import { ProductStockResolver } from './product/product-stock.resolver';
import { ProductVariantStock } from './product/product-variant-stock';
import { ProductVariantStockResolver } from './product/product-variant-stock.resolver';
import { ReservationLine } from './reservation/reservation-line.entity';
import { Reservation } from './reservation/reservation.entity';
import { ReservationResolver } from './reservation/reservation.resolver';
import { startReservationSweeper } from './reservation/reservation-sweeper';
import { StockChangeResolver } from './stock/stock-change.resolver';
import { StockLevel } from './stock/stock-level.entity';
import { StockLevelResolver } from './stock/stock-level.resolver';
import { StockMovement } from './stock/stock-movement.entity';
import { Warehouse } from './warehouse/warehouse.entity';
import { WarehouseResolver } from './warehouse/warehouse.resolver';

export const inventorySubgraph: SubgraphDefinition<InventoryLoaders, InventoryConfig> = {
  name: 'inventory',
  env: inventorySettings,
  database: { name: 'inventory', entities: [Warehouse, StockLevel, StockMovement, Reservation, ReservationLine, OutboxEvent], migrations: inventoryMigrations },
  resolvers: [WarehouseResolver, StockLevelResolver, ProductStockResolver, ProductVariantStockResolver, StockChangeResolver, ReservationResolver],
  referenceResolvers: {
    // Every product id is answerable: a product never stocked here simply has nothing available.
    Product: (reference) => entityReference(ProductStock, reference.id),
    // Likewise every variant id: a variant never stocked has nothing available (a default variant's id is its product's).
    ProductVariant: (reference) => entityReference(ProductVariantStock, reference.id),
  },
  createLoaders: createInventoryLoaders,
  seed: seedInventory,
  publishesEvents: true,
  startBackgroundTasks: ({ orm, logger, config }) => [startReservationSweeper(orm.em, config.reservationSweepIntervalMs, logger)],
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(inventorySubgraph, deps);
}

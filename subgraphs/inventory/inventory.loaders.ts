import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader, uuidKeyedLoader } from '../../lib/loaders';
import { StockLevel } from './stock/stock-level.entity';
import { Warehouse } from './warehouse/warehouse.entity';

/**
 * Units available (on hand minus reserved, over all warehouses) per product
 * id: one grouped statement per tick; 0 for products without stock rows and
 * for ids that cannot exist.
 */
function availabilityLoader(em: EntityManager) {
  return uuidKeyedLoader<number>(async (productIds) => {
    // Plain SQL: building it with knex's query builder cost more CPU than the rest of the loader.
    const rows = await em
      .getConnection()
      .execute<{ product_id: string; available: string | number }[]>(
        `select product_id, sum(on_hand - reserved) as available from stock_level where product_id in (${productIds.map(() => '?').join(', ')}) group by product_id`,
        productIds,
      );
    return new Map(rows.map((row) => [row.product_id, Number(row.available)]));
  }, 0);
}

export function createInventoryLoaders(em: EntityManager) {
  return {
    warehouseById: entityLoader(em, Warehouse),
    availabilityByProductId: availabilityLoader(em),
    stockLevelsByProductId: groupLoader(
      (productIds) => em.find(StockLevel, { productId: { $in: [...productIds] } }, { orderBy: { warehouse: { code: 'asc' } } }),
      (level) => level.productId,
    ),
  };
}

export type InventoryLoaders = ReturnType<typeof createInventoryLoaders>;

import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader, uuidKeyedLoader } from '../../lib/loaders';
import { StockLevel } from './stock/stock-level.entity';
import { Warehouse } from './warehouse/warehouse.entity';

/**
 * Units available (on hand minus reserved, over all warehouses) per product
 * id (over all its variants) or per variant id: one grouped statement per
 * tick; 0 for ids without stock rows and for ids that cannot exist.
 */
function availabilityLoader(em: EntityManager, column: 'product_id' | 'variant_id') {
  return uuidKeyedLoader<number>(async (ids) => {
    // Plain SQL: building it with knex's query builder cost more CPU than the rest of the loader.
    const rows = await em
      .getConnection()
      .execute<{ id: string; available: string | number }[]>(
        `select ${column} as id, sum(on_hand - reserved) as available from stock_level where ${column} in (${ids.map(() => '?').join(', ')}) group by ${column}`,
        ids,
      );
    return new Map(rows.map((row) => [row.id, Number(row.available)]));
  }, 0);
}

/**
 * The stock levels per product id (one per variant and warehouse) or per
 * variant id (one per warehouse): one statement per tick, by warehouse code,
 * then variant id.
 */
function stockLevelsLoader(em: EntityManager, key: 'productId' | 'variantId') {
  return groupLoader(
    (ids) => em.find(StockLevel, { [key]: { $in: [...ids] } }, { orderBy: [{ warehouse: { code: 'asc' } }, { variantId: 'asc' }] }),
    (level) => level[key],
  );
}

export function createInventoryLoaders(em: EntityManager) {
  return {
    warehouseById: entityLoader(em, Warehouse),
    availabilityByProductId: availabilityLoader(em, 'product_id'),
    availabilityByVariantId: availabilityLoader(em, 'variant_id'),
    stockLevelsByProductId: stockLevelsLoader(em, 'productId'),
    stockLevelsByVariantId: stockLevelsLoader(em, 'variantId'),
  };
}

export type InventoryLoaders = ReturnType<typeof createInventoryLoaders>;

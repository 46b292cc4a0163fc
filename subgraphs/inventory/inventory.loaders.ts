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
    const query = em
      .getKnex()
      .select('product_id')
      .sum({ available: em.getKnex().raw('on_hand - reserved') })
      .from('stock_level')
      .whereIn('product_id', productIds)
      .groupBy('product_id');
    const rows = await em.getConnection().execute<{ product_id: string; available: string | number }[]>(query);
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

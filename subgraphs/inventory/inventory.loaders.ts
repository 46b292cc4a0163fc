import DataLoader from 'dataloader';
import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader, isUuid } from '../../lib/loaders';
import { StockLevel } from './stock/stock-level.entity';
import { Warehouse } from './warehouse/warehouse.entity';

/**
 * Units available (on hand minus reserved, over all warehouses) per product
 * id: one grouped statement per tick; 0 for products without stock rows and
 * for ids that cannot exist.
 */
function availabilityLoader(em: EntityManager): DataLoader<string, number> {
  return new DataLoader<string, number>(async (productIds) => {
    const valid = [...new Set(productIds.filter(isUuid).map((id) => id.toLowerCase()))];
    if (valid.length === 0) return productIds.map(() => 0);
    const query = em
      .getKnex()
      .select('product_id')
      .sum({ available: em.getKnex().raw('on_hand - reserved') })
      .from('stock_level')
      .whereIn('product_id', valid)
      .groupBy('product_id');
    const rows = await em.getConnection().execute<{ product_id: string; available: string | number }[]>(query);
    const byId = new Map(rows.map((row) => [row.product_id, Number(row.available)]));
    return productIds.map((id) => byId.get(id.toLowerCase()) ?? 0);
  });
}

export function createInventoryLoaders(em: EntityManager) {
  return {
    warehouseById: entityLoader(em, Warehouse),
    availabilityByProductId: availabilityLoader(em),
    /** Keys must be lowercase (see ProductStockService): rows come back that way. */
    stockLevelsByProductId: groupLoader(
      async (productIds: readonly string[]) => {
        const valid = productIds.filter(isUuid);
        if (valid.length === 0) return [];
        return em.find(StockLevel, { productId: { $in: valid } }, { orderBy: { warehouse: { code: 'asc' } } });
      },
      (level) => level.productId,
    ),
  };
}

export type InventoryLoaders = ReturnType<typeof createInventoryLoaders>;

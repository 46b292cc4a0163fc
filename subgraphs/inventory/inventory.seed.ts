import type { EntityManager } from '../../lib/database';
import { DEMO_WAREHOUSES, demoCatalog } from '../../lib/demo-data';
import type { Logger } from '../../lib/logger';
import { StockLevel } from './stock/stock-level.entity';
import { Warehouse } from './warehouse/warehouse.entity';

/** Inserts the demo warehouses and stock levels (per variant) that are missing; existing rows (and their counts) are left alone. */
export async function seedInventory(em: EntityManager, log: Logger): Promise<void> {
  const { stock } = demoCatalog();
  await em.transactional(async (tx) => {
    const existing = await tx.find(Warehouse, {}, { fields: ['id', 'code'] });
    const warehouseIds = new Set(existing.map((w) => w.id));
    const codes = new Set(existing.map((w) => w.code));
    let warehouses = 0;
    for (const demo of DEMO_WAREHOUSES) {
      if (warehouseIds.has(demo.id) || codes.has(demo.code)) continue;
      tx.create(Warehouse, { ...demo, createdAt: new Date(Date.UTC(2026, 0, 1)) });
      warehouseIds.add(demo.id);
      warehouses += 1;
    }
    // Keyed by variant: a database seeded before variants has the default variants' rows already (variant_id = product_id).
    const known = new Set(
      (await tx.find(StockLevel, {}, { fields: ['variantId', 'warehouse'] })).map((level) => `${level.variantId}/${level.warehouse.id}`),
    );
    let levels = 0;
    for (const demo of stock) {
      // A warehouse whose code was taken by a different row is not ours to fill.
      if (!warehouseIds.has(demo.warehouseId) || known.has(`${demo.variantId}/${demo.warehouseId}`)) continue;
      tx.create(StockLevel, {
        productId: demo.productId,
        variantId: demo.variantId,
        warehouse: tx.getReference(Warehouse, demo.warehouseId),
        onHand: demo.onHand,
        reserved: 0,
        updatedAt: new Date(),
      });
      levels += 1;
    }
    log.info({ warehouses, stockLevels: levels }, 'seeded inventory demo data');
  });
}

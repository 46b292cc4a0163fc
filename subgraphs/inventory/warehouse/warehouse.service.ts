import type { InventoryContext } from '../inventory.context';
import { Warehouse } from './warehouse.entity';

export class WarehouseService {
  async all(ctx: InventoryContext): Promise<Warehouse[]> {
    return ctx.em.find(Warehouse, {}, { orderBy: { code: 'asc' } });
  }
}

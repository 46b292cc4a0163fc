import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../../lib/identity';
import type { InventoryContext } from '../inventory.context';
import { Warehouse } from './warehouse.entity';
import { WarehouseService } from './warehouse.service';

@Resolver(() => Warehouse)
export class WarehouseResolver {
  private readonly warehouseService = new WarehouseService();

  @Authorized(Role.ADMIN)
  @Query(() => [Warehouse], { description: 'All warehouses, by code. ADMIN only.' })
  async warehouses(@Ctx() ctx: InventoryContext): Promise<Warehouse[]> {
    return this.warehouseService.all(ctx);
  }
}

import { Authorized, Ctx, Directive, Query, Resolver } from 'type-graphql';
import { Role } from '../../../lib/identity';
import type { InventoryContext } from '../inventory.context';
import { Warehouse } from './warehouse.entity';
import { WarehouseService } from './warehouse.service';

@Resolver(() => Warehouse)
export class WarehouseResolver {
  private readonly warehouseService = new WarehouseService();

  /*
   * Demand control (docs/demand-control.md): the demo shop ships from 3
   * fulfilment centres, one per continent; a shop of its size ships from a
   * handful, and 10 is a network with a centre in every region.
   * ProductVariant.stockLevels (one per warehouse) uses the same size.
   */
  @Directive('@listSize(assumedSize: 10)')
  @Directive('@cacheControl(scope: PRIVATE)')
  @Authorized(Role.ADMIN)
  @Query(() => [Warehouse], { description: 'All warehouses, by code. ADMIN only.' })
  async warehouses(@Ctx() ctx: InventoryContext): Promise<Warehouse[]> {
    return this.warehouseService.all(ctx);
  }
}

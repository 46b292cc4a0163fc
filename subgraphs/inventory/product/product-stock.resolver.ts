import { Authorized, Ctx, Directive, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { Role } from '../../../lib/identity';
import type { InventoryContext } from '../inventory.context';
import { StockLevel } from '../stock/stock-level.entity';
import { ProductStock } from './product-stock';
import { ProductStockService } from './product-stock.service';

@Resolver(() => ProductStock)
export class ProductStockResolver {
  private readonly productStockService = new ProductStockService();

  /*
   * Stock changes with every order: cacheable only by a cache that drops it on
   * stock.changed (lib/events.ts), hence onlyWithInvalidation.
   */
  @Directive('@cacheControl(maxAge: 60, onlyWithInvalidation: true)')
  @FieldResolver(() => Boolean, { description: 'Whether at least one unit of some variant is available in some warehouse' })
  async inStock(@Root() product: ProductStock, @Ctx() ctx: InventoryContext): Promise<boolean> {
    return this.productStockService.inStock(ctx, product.id);
  }

  @Directive('@cacheControl(maxAge: 60, onlyWithInvalidation: true)')
  @FieldResolver(() => Int, { description: 'Units that can be ordered now: on hand minus reserved, over all variants and warehouses' })
  async availableQuantity(@Root() product: ProductStock, @Ctx() ctx: InventoryContext): Promise<number> {
    return this.productStockService.availableQuantity(ctx, product.id);
  }

  /**
   * Demand control (docs/demand-control.md): one level per variant and
   * warehouse that stocks it: Product.variants' 20 times the 2 warehouses a
   * variant is typically held in (the demo's: 1 to 3), so 40. Most products
   * have one variant and cost less.
   */
  @Directive('@listSize(assumedSize: 40)')
  @Directive('@cacheControl(scope: PRIVATE)')
  @Authorized(Role.ADMIN)
  @FieldResolver(() => [StockLevel], { description: 'Stock per variant and warehouse, by warehouse code, then variant id. ADMIN only.' })
  async stockLevels(@Root() product: ProductStock, @Ctx() ctx: InventoryContext): Promise<StockLevel[]> {
    return this.productStockService.stockLevels(ctx, product.id);
  }
}

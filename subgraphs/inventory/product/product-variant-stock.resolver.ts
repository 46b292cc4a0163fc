import { Authorized, Ctx, Directive, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { Role } from '../../../lib/identity';
import type { InventoryContext } from '../inventory.context';
import { StockLevel } from '../stock/stock-level.entity';
import { ProductStockService } from './product-stock.service';
import { ProductVariantStock } from './product-variant-stock';

/** The stock fields of one variant; Product's (product-wide) are in ProductStockResolver. */
@Resolver(() => ProductVariantStock)
export class ProductVariantStockResolver {
  private readonly productStockService = new ProductStockService();

  /*
   * As Product's stock fields: cacheable only by a cache that drops them on
   * stock.changed (one per product, naming the variants), hence onlyWithInvalidation.
   */
  @Directive('@cacheControl(maxAge: 60, onlyWithInvalidation: true)')
  @FieldResolver(() => Boolean, { description: 'Whether at least one unit of this variant is available in some warehouse' })
  async inStock(@Root() variant: ProductVariantStock, @Ctx() ctx: InventoryContext): Promise<boolean> {
    return this.productStockService.variantInStock(ctx, variant.id);
  }

  @Directive('@cacheControl(maxAge: 60, onlyWithInvalidation: true)')
  @FieldResolver(() => Int, { description: 'Units of this variant that can be ordered now: on hand minus reserved, over all warehouses' })
  async availableQuantity(@Root() variant: ProductVariantStock, @Ctx() ctx: InventoryContext): Promise<number> {
    return this.productStockService.variantAvailableQuantity(ctx, variant.id);
  }

  /** Demand control (docs/demand-control.md): at most one level per warehouse, so the size of Query.warehouses (10). */
  @Directive('@listSize(assumedSize: 10)')
  @Directive('@cacheControl(scope: PRIVATE)')
  @Authorized(Role.ADMIN)
  @FieldResolver(() => [StockLevel], { description: 'Stock of this variant per warehouse, by warehouse code. ADMIN only.' })
  async stockLevels(@Root() variant: ProductVariantStock, @Ctx() ctx: InventoryContext): Promise<StockLevel[]> {
    return this.productStockService.variantStockLevels(ctx, variant.id);
  }
}

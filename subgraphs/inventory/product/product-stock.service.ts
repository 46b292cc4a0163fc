import type { InventoryContext } from '../inventory.context';
import type { StockLevel } from '../stock/stock-level.entity';

/** Stock figures of products (over all their variants) and of single variants, always through the request's loaders. */
export class ProductStockService {
  async availableQuantity(ctx: InventoryContext, productId: string): Promise<number> {
    return ctx.loaders.availabilityByProductId.load(productId);
  }

  async inStock(ctx: InventoryContext, productId: string): Promise<boolean> {
    return (await this.availableQuantity(ctx, productId)) > 0;
  }

  async stockLevels(ctx: InventoryContext, productId: string): Promise<StockLevel[]> {
    return ctx.loaders.stockLevelsByProductId.load(productId);
  }

  async variantAvailableQuantity(ctx: InventoryContext, variantId: string): Promise<number> {
    return ctx.loaders.availabilityByVariantId.load(variantId);
  }

  async variantInStock(ctx: InventoryContext, variantId: string): Promise<boolean> {
    return (await this.variantAvailableQuantity(ctx, variantId)) > 0;
  }

  async variantStockLevels(ctx: InventoryContext, variantId: string): Promise<StockLevel[]> {
    return ctx.loaders.stockLevelsByVariantId.load(variantId);
  }
}

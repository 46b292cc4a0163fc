import { Args, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Role } from '../../../lib/identity';
import { entityReference } from '../../../lib/entity-references';
import type { InventoryContext } from '../inventory.context';
import { ProductVariantStock } from '../product/product-variant-stock';
import { Warehouse } from '../warehouse/warehouse.entity';
import { StockLevel } from './stock-level.entity';
import { AdjustStockArgs } from './stock-level.inputs';
import { StockLevelService } from './stock-level.service';

@Resolver(() => StockLevel)
export class StockLevelResolver {
  private readonly stockLevelService = new StockLevelService();

  @Authorized(Role.ADMIN)
  @Mutation(() => StockLevel, {
    description:
      "Adds (positive delta) or removes (negative delta) units of a product variant (the product's default variant unless variantId says otherwise) in a warehouse; on hand never drops below reserved. ADMIN only.",
  })
  async adjustStock(@Ctx() ctx: InventoryContext, @Args(() => AdjustStockArgs) args: AdjustStockArgs): Promise<StockLevel> {
    return this.stockLevelService.adjust(ctx, args);
  }

  /** A reference: the gateway fetches the variant's other fields from catalog (and its stock from here). */
  @FieldResolver(() => ProductVariantStock, { description: 'The product variant this stock is of' })
  variant(@Root() level: StockLevel): ProductVariantStock {
    return entityReference(ProductVariantStock, level.variantId);
  }

  @FieldResolver(() => Warehouse)
  async warehouse(@Root() level: StockLevel, @Ctx() ctx: InventoryContext): Promise<Warehouse> {
    const warehouse = await ctx.loaders.warehouseById.load(level.warehouse.id);
    if (!warehouse) throw new Error(`Stock level ${level.id} references missing warehouse ${level.warehouse.id}`);
    return warehouse;
  }

  @FieldResolver(() => Int, { description: 'Units that can be ordered now: onHand minus reserved' })
  available(@Root() level: StockLevel): number {
    return level.onHand - level.reserved;
  }
}

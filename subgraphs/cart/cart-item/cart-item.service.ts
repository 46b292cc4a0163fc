import { money, type Money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import type { CartItem } from './cart-item.entity';

export class CartItemService {
  /**
   * The variant's current catalog price, from the request's variant loader
   * (already filled when the line was listed, so no further call).
   */
  async unitPrice(ctx: CartContext, item: CartItem): Promise<Money> {
    const variant = await ctx.loaders.variantById.load(item.variantId);
    // Lines of unknown variants are never listed, so this means catalog changed its answer mid-request.
    if (!variant) throw new Error(`Variant ${item.variantId} of cart line ${item.id} is not in the catalog`);
    return money(variant.price.amount, variant.price.currency);
  }

  async lineTotal(ctx: CartContext, item: CartItem): Promise<Money> {
    const unit = await this.unitPrice(ctx, item);
    return money(unit.amount * item.quantity, unit.currency);
  }
}

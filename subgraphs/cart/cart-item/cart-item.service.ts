import { money, type Money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import type { CartItem } from './cart-item.entity';

export class CartItemService {
  /**
   * The product's current catalog price, from the request's price loader
   * (already filled when the line was listed, so no further call).
   */
  async unitPrice(ctx: CartContext, item: CartItem): Promise<Money> {
    const product = await ctx.loaders.productPriceById.load(item.productId);
    // Lines of unknown products are never listed, so this means catalog changed its answer mid-request.
    if (!product) throw new Error(`Product ${item.productId} of cart line ${item.id} is not in the catalog`);
    return money(product.price.amount, product.price.currency);
  }

  async lineTotal(ctx: CartContext, item: CartItem): Promise<Money> {
    const unit = await this.unitPrice(ctx, item);
    return money(unit.amount * item.quantity, unit.currency);
  }
}

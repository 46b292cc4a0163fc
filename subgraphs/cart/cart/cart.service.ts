import { actsFor, type Viewer } from '../../../lib/identity';
import { money, type Money } from '../../../lib/money';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import type { CatalogVariant } from '../cart.loaders';
import type { CartItem } from '../cart-item/cart-item.entity';
import { Cart, CartStatus } from './cart.entity';

/** The currency of an empty cart's subtotal: the shop's, since there is no line to take it from. */
export const DEFAULT_CURRENCY = 'USD';

/** A cart line together with its variant's current catalog price and weight. */
export interface PricedLine {
  item: CartItem;
  price: CatalogVariant['price'];
  weightGrams: number;
}

export class CartService {
  /** A guest cart is open to whoever has its id; a user's cart only to that user or an ADMIN. */
  canSee(viewer: Viewer | null, cart: Cart): boolean {
    return cart.userId == null || actsFor(viewer, cart.userId);
  }

  /**
   * An ACTIVE cart the viewer may see, or null. Unknown, malformed, finished
   * and other users' carts all look the same from outside: null.
   */
  async visibleById(ctx: CartContext, id: string): Promise<Cart | null> {
    if (!isUuid(id)) return null;
    const cart = await ctx.loaders.cartById.load(id);
    if (!cart || cart.status !== CartStatus.ACTIVE || !this.canSee(ctx.viewer, cart)) return null;
    return cart;
  }

  /** The signed-in viewer's ACTIVE cart; null when anonymous or when there is none. */
  async viewerCart(ctx: CartContext): Promise<Cart | null> {
    return ctx.viewer ? ctx.loaders.activeCartByUserId.load(ctx.viewer.id) : null;
  }

  /** A user's ACTIVE cart, shown only to that user or an ADMIN. */
  async activeCartOfUser(ctx: CartContext, userId: string): Promise<Cart | null> {
    const viewer = ctx.viewer;
    if (!actsFor(viewer, userId)) return null;
    return ctx.loaders.activeCartByUserId.load(userId);
  }

  /**
   * The cart's lines priced at their variants' current catalog prices, oldest
   * first. A line whose variant catalog no longer knows (or no longer lists
   * under the line's product) cannot be priced or bought, so it is left out of
   * the items, the item count and the subtotal alike; its row is kept, and it
   * shows again if the variant comes back.
   */
  async pricedLines(ctx: CartContext, cart: Cart): Promise<PricedLine[]> {
    return (await this.linesWithVariants(ctx, cart)).priced;
  }

  /** Every line of the cart, split into those catalog prices and those it no longer sells. */
  async linesWithVariants(ctx: CartContext, cart: Cart): Promise<{ priced: PricedLine[]; unsold: CartItem[] }> {
    const items = await ctx.loaders.itemsByCartId.load(cart.id);
    const variants = await Promise.all(items.map((item) => ctx.loaders.variantById.load(item.variantId)));
    const priced: PricedLine[] = [];
    const unsold: CartItem[] = [];
    items.forEach((item, index) => {
      const variant = variants[index];
      if (variant && variant.product.id.toLowerCase() === item.productId) priced.push({ item, price: variant.price, weightGrams: variant.weightGrams });
      else unsold.push(item);
    });
    return { priced, unsold };
  }

  /**
   * The one currency of the cart's priced lines: the first line's, or the
   * shop's for an empty cart. A cart holds one currency (adding a product in
   * another currency is refused), so a mix is a broken invariant: failed
   * loudly (and logged) rather than summed into a meaningless number.
   */
  currencyOf(cart: Cart, lines: readonly PricedLine[]): string {
    const currency = lines[0]?.price.currency ?? DEFAULT_CURRENCY;
    const foreign = lines.find((line) => line.price.currency !== currency);
    if (foreign) throw new Error(`Cart ${cart.id} mixes ${currency} and ${foreign.price.currency} prices`);
    return currency;
  }

  async items(ctx: CartContext, cart: Cart): Promise<CartItem[]> {
    return (await this.pricedLines(ctx, cart)).map((line) => line.item);
  }

  async itemCount(ctx: CartContext, cart: Cart): Promise<number> {
    return (await this.pricedLines(ctx, cart)).reduce((sum, line) => sum + line.item.quantity, 0);
  }

  /** Sum of the line totals, in the cart's one currency (currencyOf). */
  async subtotal(ctx: CartContext, cart: Cart): Promise<Money> {
    const lines = await this.pricedLines(ctx, cart);
    const currency = this.currencyOf(cart, lines);
    return money(lines.reduce((sum, line) => sum + line.price.amount * line.item.quantity, 0), currency);
  }
}

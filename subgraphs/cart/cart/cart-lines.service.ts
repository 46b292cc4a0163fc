import { graphQLError, ErrorCode } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import { CartItem } from '../cart-item/cart-item.entity';
import { cartNotFound, inCartTransaction, lockCartToChange, type Transaction } from './cart.access';
import { CartStatus, type Cart } from './cart.entity';
import type { AddToCartArgs, RemoveCartItemArgs, UpdateCartItemArgs } from './cart.inputs';
import {
  availableQuantity,
  cartCurrency,
  currencyMismatch,
  outOfStock,
  productKey,
  productNotFound,
  requireQuantity,
  requireVariant,
  variantNotOfProduct,
} from './cart.products';

const itemNotFound = (id: string) => graphQLError(ErrorCode.NOT_FOUND, `Cart item ${id} does not exist in this cart`, { id, argumentName: 'itemId' });

/**
 * Adding, changing and removing cart lines. The sibling lookups a change
 * needs (prices, stock) are made before its transaction, from a look at the
 * cart without a lock, so the cart row is locked only for the few statements
 * of the change itself; inside, the lines are read again under the lock and
 * only a variant that appeared in between costs another lookup.
 */
export class CartLinesService {
  async addToCart(ctx: CartContext, args: AddToCartArgs): Promise<Cart> {
    const quantity = requireQuantity(args.quantity, 1);
    const productId = productKey(args.productId);
    if (!productId) throw productNotFound(args.productId);
    let requestedVariant: string | null = null;
    if (args.variantId != null) {
      requestedVariant = productKey(args.variantId);
      if (!requestedVariant) throw variantNotOfProduct(args.variantId, productId);
    }
    const variantId = requestedVariant ?? productId;
    if (args.cartId != null && !isUuid(args.cartId)) throw cartNotFound(args.cartId);

    const present = await this.variantIdsInCart(ctx, args.cartId);
    const [variant, available] = await Promise.all([
      requireVariant(ctx, productId, requestedVariant),
      availableQuantity(ctx, variantId),
      // Same tick as the variant's own price: one catalog call for all.
      ctx.loaders.variantById.loadMany(present),
    ]);
    // Nothing in the cart can make this pass, so skip the transaction.
    if (quantity > available) throw outOfStock(productId, variantId, quantity, available);

    return inCartTransaction(
      ctx,
      async (tx) => {
        const { cart, created } = await lockCartToChange(ctx, tx, args.cartId, true);
        const items = created ? [] : await this.lines(tx, cart);
        const line = items.find((item) => item.variantId === variantId);
        const wanted = (line?.quantity ?? 0) + quantity;
        if (wanted > available) throw outOfStock(productId, variantId, wanted, available);
        const currency = await cartCurrency(ctx, items.map((item) => item.variantId));
        if (currency && currency !== variant.price.currency) throw currencyMismatch(currency, variant.price.currency, [productId]);
        if (line) line.quantity = wanted;
        else tx.create(CartItem, { cart, productId, variantId, quantity: wanted });
        cart.updatedAt = new Date();
        return cart;
      },
      (cart) => [cart],
    );
  }

  /**
   * Sets a line's quantity; 0 removes it. Only growth is checked against
   * stock: lowering a quantity is always allowed, even below what was there
   * when stock has since run short, since it only brings the cart closer to
   * what can be bought.
   */
  async updateCartItem(ctx: CartContext, args: UpdateCartItemArgs): Promise<Cart> {
    const quantity = requireQuantity(args.quantity, 0);
    if (quantity === 0) return this.removeCartItem(ctx, args);
    this.checkLineArgs(ctx, args);
    const before = await this.peekLine(ctx, args.itemId);
    // Ask inventory before the lock when the line looks like it grows.
    if (before && quantity > before.quantity) await availableQuantity(ctx, before.variantId);

    return inCartTransaction(
      ctx,
      async (tx) => {
        const { cart, line } = await lockLine(ctx, tx, args);
        if (quantity > line.quantity) {
          const available = await availableQuantity(ctx, line.variantId);
          if (quantity > available) throw outOfStock(line.productId, line.variantId, quantity, available);
        }
        line.quantity = quantity;
        cart.updatedAt = new Date();
        return cart;
      },
      (cart) => [cart],
    );
  }

  async removeCartItem(ctx: CartContext, args: RemoveCartItemArgs): Promise<Cart> {
    this.checkLineArgs(ctx, args);
    return inCartTransaction(
      ctx,
      async (tx) => {
        const { cart, line } = await lockLine(ctx, tx, args);
        tx.remove(line);
        cart.updatedAt = new Date();
        return cart;
      },
      (cart) => [cart],
    );
  }

  /** Shape checks that need no database; which cart and line they name is settled under the lock. */
  private checkLineArgs(ctx: CartContext, args: { cartId?: string | null; itemId: string }): void {
    if (args.cartId != null && !isUuid(args.cartId)) throw cartNotFound(args.cartId);
    if (args.cartId == null && !ctx.viewer) {
      // Same answer as inside the transaction, without opening one.
      throw graphQLError(ErrorCode.BAD_USER_INPUT, '"cartId" is required when not signed in: pass the guest cart\'s id', { argumentName: 'cartId' });
    }
    if (!isUuid(args.itemId)) throw itemNotFound(args.itemId);
  }

  /** The lines of a locked cart, oldest first. */
  private lines(tx: Transaction, cart: Cart): Promise<CartItem[]> {
    return tx.find(CartItem, { cart }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /**
   * The variants in the cart a change will apply to, read without a lock or
   * any access check: only used to ask catalog for their prices early.
   */
  private async variantIdsInCart(ctx: CartContext, cartId: string | null | undefined): Promise<string[]> {
    const knex = ctx.em.getKnex();
    let query;
    if (cartId != null) query = knex('cart_item').select('variant_id').where('cart_id', cartId);
    else if (ctx.viewer && isUuid(ctx.viewer.id)) {
      query = knex('cart_item as i')
        .select('i.variant_id')
        .join('cart as c', 'c.id', 'i.cart_id')
        .where({ 'c.user_id': ctx.viewer.id, 'c.status': CartStatus.ACTIVE });
    } else return [];
    const rows = await ctx.em.getConnection().execute<{ variant_id: string }[]>(query);
    return rows.map((row) => row.variant_id);
  }

  /** A line as it is now, without a lock: only used to ask inventory early. */
  private async peekLine(ctx: CartContext, itemId: string): Promise<{ variantId: string; quantity: number } | null> {
    const query = ctx.em.getKnex()('cart_item').select('variant_id', 'quantity').where('id', itemId);
    const [row] = await ctx.em.getConnection().execute<{ variant_id: string; quantity: number }[]>(query);
    return row ? { variantId: row.variant_id, quantity: row.quantity } : null;
  }
}

/** Locks the cart for a change and finds one of its lines (NOT_FOUND when the cart has no such line). */
async function lockLine(ctx: CartContext, tx: Transaction, args: { cartId?: string | null; itemId: string }) {
  const { cart } = await lockCartToChange(ctx, tx, args.cartId, false);
  const line = await tx.findOne(CartItem, { id: args.itemId, cart });
  if (!line) throw itemNotFound(args.itemId);
  return { cart, line };
}

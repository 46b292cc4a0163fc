import { unauthenticated } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import { CartItem } from '../cart-item/cart-item.entity';
import { cartNotFound, inCartTransaction, lockActiveUserCart, lockCart } from './cart.access';
import { CartStatus, type Cart } from './cart.entity';
import { currencyMismatch } from './cart.products';

export class CartMergeService {
  /**
   * Folds an ACTIVE guest cart into the signed-in viewer's ACTIVE cart
   * (created if there is none), in one transaction, and returns that cart.
   *
   * - A product in both carts gets the sum of both quantities.
   * - Stock caps, it does not fail: a merged line never holds more than
   *   inventory's availableQuantity, and never less than the user's cart
   *   already held. A guest line of a sold-out product is therefore left out.
   * - Guest lines catalog no longer prices are left out (they are not shown
   *   either).
   * - A guest line priced in another currency than the user's cart is
   *   BAD_USER_INPUT for the whole merge (a cart holds one currency), and
   *   nothing changes.
   * - The guest cart becomes MERGED (kept, with its lines, for history), so its
   *   id stops working. Unknown, already merged or checked-out carts, and
   *   carts that belong to a user, are NOT_FOUND.
   */
  async mergeGuestCart(ctx: CartContext, guestCartId: string): Promise<Cart> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    if (!isUuid(guestCartId)) throw cartNotFound(guestCartId);

    // Ask catalog and inventory before the locks, from an unlocked look at both carts.
    const peeked = await this.peekProducts(ctx, guestCartId, viewer.id);
    await Promise.all([
      ctx.loaders.productPriceById.loadMany([...peeked.guest, ...peeked.user]),
      ctx.loaders.productStockById.loadMany(peeked.guest),
    ]);

    return inCartTransaction(
      ctx,
      async (tx) => {
        // Guest cart first, then the user's: the one lock order of the subgraph (see cart.access).
        const guest = await lockCart(tx, guestCartId);
        if (!guest || guest.status !== CartStatus.ACTIVE || guest.userId != null) throw cartNotFound(guestCartId);
        const target = (await lockActiveUserCart(tx, viewer.id, true))!;

        const items = await tx.find(CartItem, { cart: { $in: [guest.id, target.id] } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
        const guestLines = items.filter((item) => item.cart.id === guest.id);
        const userLines = new Map(items.filter((item) => item.cart.id === target.id).map((item) => [item.productId, item]));

        const productIds = items.map((item) => item.productId);
        const prices = new Map(
          (await ctx.loaders.productPriceById.loadMany(productIds)).map((price, index) => {
            if (price instanceof Error) throw price;
            return [productIds[index], price] as const;
          }),
        );
        const currencyOf = (productId: string) => prices.get(productId)?.price.currency;
        const priced = guestLines.filter((line) => currencyOf(line.productId));
        // The user's cart keeps its currency; an empty one takes the guest's.
        const currency = [...userLines.keys()].map(currencyOf).find(Boolean) ?? (priced.length > 0 ? currencyOf(priced[0].productId) : undefined);
        const foreign = priced.filter((line) => currencyOf(line.productId) !== currency);
        if (currency && foreign.length > 0) {
          throw currencyMismatch(currency, currencyOf(foreign[0].productId)!, foreign.map((line) => line.productId));
        }

        const stock = await ctx.loaders.productStockById.loadMany(priced.map((line) => line.productId));
        const now = Date.now();
        priced.forEach((line, index) => {
          const entry = stock[index];
          if (entry instanceof Error) throw entry;
          const available = entry?.availableQuantity ?? 0;
          const own = userLines.get(line.productId);
          const had = own?.quantity ?? 0;
          const merged = Math.max(had, Math.min(had + line.quantity, available));
          if (merged === had) return;
          if (own) own.quantity = merged;
          // Moved lines come after the user's own, in the guest's order.
          else tx.create(CartItem, { cart: target, productId: line.productId, quantity: merged, createdAt: new Date(now + index) });
        });

        guest.status = CartStatus.MERGED;
        guest.updatedAt = new Date(now);
        target.updatedAt = new Date(now);
        return { guest, target };
      },
      ({ guest, target }) => [guest, target],
    ).then(({ target }) => target);
  }

  /** The products of both carts as they are now, without locks: only used to ask siblings early. */
  private async peekProducts(ctx: CartContext, guestCartId: string, userId: string): Promise<{ guest: string[]; user: string[] }> {
    const knex = ctx.em.getKnex();
    const query = knex('cart_item as i')
      .select('i.product_id', 'c.user_id')
      .join('cart as c', 'c.id', 'i.cart_id')
      .where('c.status', CartStatus.ACTIVE)
      .andWhere((where) => {
        where.where({ 'c.id': guestCartId }).whereNull('c.user_id');
        if (isUuid(userId)) where.orWhere('c.user_id', userId);
      });
    const rows = await ctx.em.getConnection().execute<{ product_id: string; user_id: string | null }[]>(query);
    return {
      guest: rows.filter((row) => row.user_id == null).map((row) => row.product_id),
      user: rows.filter((row) => row.user_id != null).map((row) => row.product_id),
    };
  }
}

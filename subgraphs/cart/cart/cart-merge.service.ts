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
   * - A variant in both carts gets the sum of both quantities.
   * - Stock caps, it does not fail: a merged line never holds more than
   *   inventory's availableQuantity, and never less than the user's cart
   *   already held. A guest line of a sold-out product is therefore left out.
   * - Guest lines catalog no longer prices are left out (they are not shown
   *   either).
   * - A guest line priced in another currency than the user's cart is
   *   BAD_USER_INPUT for the whole merge (a cart holds one currency), and
   *   nothing changes.
   * - The guest cart's discount code comes along when the user's cart has none.
   * - The guest cart becomes MERGED (kept, with its lines, for history), so its
   *   id stops working. Unknown, already merged or checked-out carts, and
   *   carts that belong to a user, are NOT_FOUND.
   */
  async mergeGuestCart(ctx: CartContext, guestCartId: string): Promise<Cart> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    if (!isUuid(guestCartId)) throw cartNotFound(guestCartId);

    // Ask catalog and inventory before the locks, from an unlocked look at both carts.
    const peeked = await this.peekVariants(ctx, guestCartId, viewer.id);
    await Promise.all([
      ctx.loaders.variantById.loadMany([...peeked.guest, ...peeked.user]),
      ctx.loaders.variantStockById.loadMany(peeked.guest),
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
        const userLines = new Map(items.filter((item) => item.cart.id === target.id).map((item) => [item.variantId, item]));

        const variantIds = items.map((item) => item.variantId);
        const prices = new Map(
          (await ctx.loaders.variantById.loadMany(variantIds)).map((variant, index) => {
            if (variant instanceof Error) throw variant;
            return [variantIds[index], variant] as const;
          }),
        );
        const currencyOf = (variantId: string) => prices.get(variantId)?.price.currency;
        const priced = guestLines.filter((line) => currencyOf(line.variantId));
        // The user's cart keeps its currency; an empty one takes the guest's.
        const currency = [...userLines.keys()].map(currencyOf).find(Boolean) ?? (priced.length > 0 ? currencyOf(priced[0].variantId) : undefined);
        const foreign = priced.filter((line) => currencyOf(line.variantId) !== currency);
        if (currency && foreign.length > 0) {
          throw currencyMismatch(currency, currencyOf(foreign[0].variantId)!, foreign.map((line) => line.productId));
        }

        const stock = await ctx.loaders.variantStockById.loadMany(priced.map((line) => line.variantId));
        const now = Date.now();
        priced.forEach((line, index) => {
          const entry = stock[index];
          if (entry instanceof Error) throw entry;
          const available = entry?.availableQuantity ?? 0;
          const own = userLines.get(line.variantId);
          const had = own?.quantity ?? 0;
          const merged = Math.max(had, Math.min(had + line.quantity, available));
          if (merged === had) return;
          if (own) own.quantity = merged;
          // Moved lines come after the user's own, in the guest's order.
          else tx.create(CartItem, { cart: target, productId: line.productId, variantId: line.variantId, quantity: merged, createdAt: new Date(now + index) });
        });

        // A code the shopper applied as a guest comes along, unless their own cart has one (theirs is kept).
        if (target.discountCodeId == null && guest.discountCodeId != null) target.discountCodeId = guest.discountCodeId;
        guest.status = CartStatus.MERGED;
        guest.updatedAt = new Date(now);
        target.updatedAt = new Date(now);
        return { guest, target };
      },
      ({ guest, target }) => [guest, target],
    ).then(({ target }) => target);
  }

  /** The variants of both carts as they are now, without locks: only used to ask siblings early. */
  private async peekVariants(ctx: CartContext, guestCartId: string, userId: string): Promise<{ guest: string[]; user: string[] }> {
    const knex = ctx.em.getKnex();
    const query = knex('cart_item as i')
      .select('i.variant_id', 'c.user_id')
      .join('cart as c', 'c.id', 'i.cart_id')
      .where('c.status', CartStatus.ACTIVE)
      .andWhere((where) => {
        where.where({ 'c.id': guestCartId }).whereNull('c.user_id');
        if (isUuid(userId)) where.orWhere('c.user_id', userId);
      });
    const rows = await ctx.em.getConnection().execute<{ variant_id: string; user_id: string | null }[]>(query);
    return {
      guest: rows.filter((row) => row.user_id == null).map((row) => row.variant_id),
      user: rows.filter((row) => row.user_id != null).map((row) => row.variant_id),
    };
  }
}

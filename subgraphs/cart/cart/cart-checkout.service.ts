import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { badUserInput, forbidden, unauthenticated } from '../../../lib/errors';
import { isUuid } from '../../../lib/loaders';
import type { CartContext } from '../cart.context';
import { cartNotFound, inCartTransaction, lockCart } from './cart.access';
import { CartStatus } from './cart.entity';

export class CartCheckoutService {
  /**
   * The last step of a checkout in orders: the cart becomes CHECKED_OUT by
   * `orderId`, so it stops being the user's active cart (their next addToCart
   * starts a new one); its lines stay, as history. Called by orders with the
   * buyer forwarded as viewer:
   * - only the cart's owner may do it (FORBIDDEN otherwise, ADMIN included);
   *   a guest cart, which any holder of its id may use, becomes the buyer's;
   * - the same orderId again is true without change, so a retried saga step
   *   is harmless; another orderId on a CHECKED_OUT cart, or a MERGED cart,
   *   is BAD_USER_INPUT;
   * - an order checks out one cart: an orderId already used for another cart
   *   is BAD_USER_INPUT.
   */
  async completeCheckout(ctx: CartContext, cartId: string, orderId: string): Promise<boolean> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    if (!isUuid(cartId)) throw cartNotFound(cartId);
    if (!isUuid(orderId)) throw badUserInput(`"orderId" must be an order id (a UUID), got ${orderId}`, { argumentName: 'orderId' });
    const order = orderId.toLowerCase();
    try {
      return await inCartTransaction(
        ctx,
        async (tx) => {
          const cart = await lockCart(tx, cartId);
          if (!cart) throw cartNotFound(cartId);
          if (cart.userId != null && cart.userId !== viewer.id) throw forbidden('Only the owner of a cart may check it out');
          if (cart.status === CartStatus.CHECKED_OUT) {
            if (cart.orderId === order) return { cart, done: true };
            throw badUserInput(`Cart ${cartId} was already checked out by order ${cart.orderId}`, { argumentName: 'cartId', orderId: cart.orderId });
          }
          if (cart.status === CartStatus.MERGED) throw badUserInput(`Cart ${cartId} was merged into another cart`, { argumentName: 'cartId' });
          cart.userId = viewer.id;
          cart.status = CartStatus.CHECKED_OUT;
          cart.orderId = order;
          cart.updatedAt = new Date();
          // Written now, inside the transaction, so a reused orderId is caught below.
          await tx.flush();
          return { cart, done: true };
        },
        ({ cart }) => [cart],
      ).then(({ done }) => done);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && error.message.includes('cart_order_id_unique')) {
        throw badUserInput(`Order ${orderId} already checked out another cart`, { argumentName: 'orderId' });
      }
      throw error;
    }
  }
}

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { badUserInput, forbidden, unauthenticated } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import { CartItem } from '../cart-item/cart-item.entity';
import { cartNotFound, inCartTransaction, lockActiveUserCart, lockCart, type Transaction } from './cart.access';
import { CartStatus, type Cart } from './cart.entity';
import type { CheckoutLineInput } from './cart.inputs';

/** Units bought of one variant, and its product. */
interface Bought {
  productId: string;
  quantity: number;
}

/**
 * The units bought per variant (lowercase id, as PostgreSQL prints uuids;
 * a line without variantId is the product's default variant, whose id is the
 * product's), lines of one variant summed.
 */
function boughtQuantities(lines: readonly CheckoutLineInput[]): Map<string, Bought> {
  if (lines.length === 0) throw badUserInput('"lines" must name what the order bought: at least one line', { argumentName: 'lines' });
  const bought = new Map<string, Bought>();
  lines.forEach((line, index) => {
    if (!isUuid(line.productId)) throw badUserInput(`lines[${index}].productId "${line.productId}" is not a product id`, { argumentName: `lines.${index}.productId` });
    if (line.variantId != null && !isUuid(line.variantId)) {
      throw badUserInput(`lines[${index}].variantId "${line.variantId}" is not a variant id`, { argumentName: `lines.${index}.variantId` });
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw badUserInput(`lines[${index}].quantity must be a positive integer, got ${line.quantity}`, { argumentName: `lines.${index}.quantity` });
    }
    const productId = line.productId.toLowerCase();
    const variantId = (line.variantId ?? line.productId).toLowerCase();
    bought.set(variantId, { productId, quantity: (bought.get(variantId)?.quantity ?? 0) + line.quantity });
  });
  return bought;
}

export class CartCheckoutService {
  /**
   * The last step of a checkout in orders: the cart becomes CHECKED_OUT by
   * `orderId`, so it stops being the user's active cart; its lines stay, as
   * history. Called by orders with the buyer forwarded as viewer:
   * - only the cart's owner may do it (FORBIDDEN otherwise, ADMIN included);
   *   a guest cart, which any holder of its id may use, becomes the buyer's;
   * - with `lines` (what the order bought), exactly those are checked out:
   *   the checked-out cart is left holding the bought lines, and whatever the
   *   cart held beyond them (a line or units added after orders read the cart,
   *   while payment ran) moves to the buyer's active cart: a new one, or the
   *   one they already have (a guest cart was checked out), quantities of a
   *   variant in both adding up. Moved lines keep their ids. Nothing the
   *   shopper added is lost, and nothing is checked out unpaid;
   * - the same orderId again is true without change, so a retried saga step
   *   is harmless (the split happened once, with the first call); another
   *   orderId on a CHECKED_OUT cart, or a MERGED cart, is BAD_USER_INPUT;
   * - an order checks out one cart: an orderId already used for another cart
   *   is BAD_USER_INPUT.
   */
  async completeCheckout(ctx: CartContext, cartId: string, orderId: string, lines?: readonly CheckoutLineInput[] | null): Promise<boolean> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    if (!isUuid(cartId)) throw cartNotFound(cartId);
    if (!isUuid(orderId)) throw badUserInput(`"orderId" must be an order id (a UUID), got ${orderId}`, { argumentName: 'orderId' });
    const bought = lines != null ? boughtQuantities(lines) : null;
    const order = orderId.toLowerCase();
    try {
      const { done } = await inCartTransaction(
        ctx,
        async (tx) => {
          const cart = await lockCart(tx, cartId);
          if (!cart) throw cartNotFound(cartId);
          if (cart.userId != null && cart.userId !== viewer.id) throw forbidden('Only the owner of a cart may check it out');
          if (cart.status === CartStatus.CHECKED_OUT) {
            if (cart.orderId === order) return { cart, rest: null, done: true };
            throw badUserInput(`Cart ${cartId} was already checked out by order ${cart.orderId}`, { argumentName: 'cartId', orderId: cart.orderId });
          }
          if (cart.status === CartStatus.MERGED) throw badUserInput(`Cart ${cartId} was merged into another cart`, { argumentName: 'cartId' });
          const now = new Date();
          cart.userId = viewer.id;
          cart.status = CartStatus.CHECKED_OUT;
          cart.orderId = order;
          cart.updatedAt = now;
          // Written now, inside the transaction, so a reused orderId is caught below, and the owner's active cart is free.
          await tx.flush();
          const rest = bought ? await this.keepOnlyBought(tx, cart, bought, now) : null;
          return { cart, rest, done: true };
        },
        ({ cart, rest }) => (rest ? [cart, rest] : [cart]),
      );
      return done;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && error.message.includes('cart_order_id_unique')) {
        throw badUserInput(`Order ${orderId} already checked out another cart`, { argumentName: 'orderId' });
      }
      throw error;
    }
  }

  /**
   * Leaves the checked-out cart (locked) holding exactly the bought lines and
   * moves what it held beyond them to the owner's active cart, which is
   * locked second (checked-out cart first, as a merge locks the guest cart
   * first), and created only when there is something to move. Returns that
   * cart, or null when everything in the cart was bought.
   */
  private async keepOnlyBought(tx: Transaction, cart: Cart, bought: ReadonlyMap<string, Bought>, now: Date): Promise<Cart | null> {
    const items = await tx.find(CartItem, { cart }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    // Units beyond what was bought, per line; a line of a variant the order did not buy goes whole.
    const extra = items
      .map((item) => ({ item, units: item.quantity - (bought.get(item.variantId)?.quantity ?? 0), wholeLine: !bought.has(item.variantId) }))
      .filter(({ units }) => units > 0);

    // The checked-out cart records the purchase: a line removed or lowered while the checkout ran was still bought.
    const present = new Set(items.map((item) => item.variantId));
    for (const item of items) {
      const quantity = bought.get(item.variantId)?.quantity ?? 0;
      if (quantity > 0) item.quantity = quantity;
    }
    for (const [variantId, { productId, quantity }] of bought) {
      if (!present.has(variantId)) tx.create(CartItem, { cart, productId, variantId, quantity, createdAt: now });
    }
    if (extra.length === 0) return null;

    const target = (await lockActiveUserCart(tx, cart.userId!, true))!;
    const targetLines = new Map((await tx.find(CartItem, { cart: target })).map((line) => [line.variantId, line]));
    for (const { item, units, wholeLine } of extra) {
      const own = targetLines.get(item.variantId);
      if (own) {
        own.quantity += units;
        if (wholeLine) tx.remove(item);
      } else if (wholeLine) {
        // The very line the shopper added: same id, same place in the order of lines.
        item.cart = target;
      } else {
        tx.create(CartItem, { cart: target, productId: item.productId, variantId: item.variantId, quantity: units, createdAt: now });
      }
    }
    target.updatedAt = now;
    return target;
  }
}

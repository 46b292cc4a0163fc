import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../../../lib/connection';
import { forbidden, notFound, unauthenticated } from '../../../lib/errors';
import { actsFor } from '../../../lib/identity';
import { isUuid } from '../../../lib/uuid';
import { CheckoutSteps } from '../checkout/checkout-steps';
import { OrderStatus } from '../order-status/order-status.enum';
import { invalidTransition } from '../order-status/order-status.machine';
import type { OrdersContext } from '../orders.context';
import type { OrderPageKey } from '../orders.loaders';
import { Order } from './order.entity';

/** Cursor ordering name of a user's orders: newest first, over (createdAt, id). */
const NEWEST = 'ORDERS_NEWEST';

export interface OrderPageArgs {
  first?: number | null;
  after?: string | null;
}

function cursorOf(order: Order): string {
  return encodeCursor(NEWEST, [order.createdAt.toISOString(), order.id]);
}

function decodeAfter(after: string): NonNullable<OrderPageKey['after']> {
  // The types of the keyset comparison in orders.loaders.ts.
  const [createdAt, id] = decodeCursor(after, NEWEST, ['timestamptz', 'uuid']);
  return { createdAt, id };
}

/** The note on the CANCELLED event, by who cancelled. */
export const CANCELLED_BY_CUSTOMER_NOTE = 'Cancelled by the customer';
export const CANCELLED_BY_ADMIN_NOTE = 'Cancelled by an administrator';

export class OrderService {
  constructor(private readonly steps = new CheckoutSteps()) {}

  /** The order if the viewer may see it; null for unknown or malformed ids and for other people's orders. */
  async visibleOrder(ctx: OrdersContext, id: string): Promise<Order | null> {
    const order = await ctx.loaders.orderById.load(id);
    return order && actsFor(ctx.viewer, order.userId) ? order : null;
  }

  /**
   * A user's orders, newest first, with keyset pagination. Pages and counts
   * go through loaders, so many users' pages in one request share statements.
   */
  async pageForUser(ctx: OrdersContext, userId: string, args: OrderPageArgs): Promise<Connection<Order>> {
    if (!ctx.viewer) throw unauthenticated();
    if (!actsFor(ctx.viewer, userId)) throw forbidden("Only the user themself or an ADMIN may see a user's orders");
    const size = pageSize(args.first);
    const after = args.after ? decodeAfter(args.after) : null;
    const [rows, totalCount] = await Promise.all([
      // Even for `first: 0` the one extra row tells whether anything follows the position.
      ctx.loaders.orderPageByUser.load({ userId, limit: size + 1, after }),
      ctx.loaders.orderCountByUserId.load(userId),
    ]);
    return toConnection(rows, size, cursorOf, totalCount);
  }

  /**
   * Cancels a PENDING or PAID order (INVALID_STATUS_TRANSITION otherwise),
   * gives its stock back and refunds a captured payment in full (the refund
   * owed is recorded with the status change, so recovery finishes it if this
   * stops half-way). Someone else's order is NOT_FOUND, as for
   * `order(id)`: an order id reveals nothing to whoever may not see it.
   */
  async cancel(ctx: OrdersContext, id: string): Promise<Order> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    const result = isUuid(id)
      ? await this.steps.statuses.transition(ctx.em, id, (order, tx) => {
          if (!actsFor(viewer, order.userId)) throw notFound('Order', id);
          return this.steps.cancellation(tx, order, viewer.id === order.userId ? CANCELLED_BY_CUSTOMER_NOTE : CANCELLED_BY_ADMIN_NOTE);
        })
      : null;
    if (!result) throw notFound('Order', id);
    // A failed release or refund is retried by recovery; the cancellation itself stands.
    await this.steps.followUp(ctx, result.order);
    return result.order;
  }

  /**
   * An ADMIN moves an order along: PAID -> SHIPPED -> DELIVERED, or cancels
   * it (PENDING|PAID -> CANCELLED, stock released, a captured payment refunded). PAID comes only from a
   * captured payment and PENDING only from checkout, so neither can be set.
   */
  async updateStatus(ctx: OrdersContext, id: string, status: OrderStatus): Promise<Order> {
    const result = isUuid(id)
      ? await this.steps.statuses.transition(ctx.em, id, (order, tx) => {
          if (status === OrderStatus.PAID || status === OrderStatus.PENDING) throw invalidTransition(order.status, status, { orderId: order.id });
          return status === OrderStatus.CANCELLED ? this.steps.cancellation(tx, order, CANCELLED_BY_ADMIN_NOTE) : { to: status, note: null };
        })
      : null;
    if (!result) throw notFound('Order', id);
    await this.steps.followUp(ctx, result.order);
    return result.order;
  }
}

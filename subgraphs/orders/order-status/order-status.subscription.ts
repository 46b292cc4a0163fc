import { filter, pipe } from '@graphql-yoga/subscription';
import { forbidden, unauthenticated } from '../../../lib/errors';
import { Topics, type OrderStatusChangedEvent } from '../../../lib/events';
import { actsFor } from '../../../lib/identity';
import { isUuid } from '../../../lib/uuid';
import { Order } from '../order/order.entity';
import type { OrdersContext } from '../orders.context';

/**
 * orderStatusChanged: authorized when subscribing (only the buyer or an
 * ADMIN; the same answer for unknown ids, so nothing leaks) and again on
 * every event, then answered with the order as it is now.
 */
export class OrderStatusSubscriptions {
  async subscribe(ctx: OrdersContext, orderId: string): Promise<AsyncIterable<OrderStatusChangedEvent>> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated('Sign in to follow an order');
    const order = isUuid(orderId) ? await ctx.em.findOne(Order, { id: orderId.toLowerCase() }) : null;
    if (!order || !actsFor(viewer, order.userId)) throw forbidden("Only the order's buyer or an ADMIN may follow it");
    const events = ctx.events.pubSub.subscribe(Topics.ORDER_STATUS_CHANGED) as AsyncIterable<OrderStatusChangedEvent>;
    return pipe(
      events,
      filter((event: OrderStatusChangedEvent) => event.orderId === order.id && actsFor(viewer, event.userId)),
    );
  }

  async orderFor(ctx: OrdersContext, event: OrderStatusChangedEvent): Promise<Order> {
    return ctx.em.findOneOrFail(Order, { id: event.orderId });
  }
}

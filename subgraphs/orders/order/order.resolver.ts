import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Address, toAddress } from '../../../lib/address';
import { notImplemented } from '../../../lib/errors';
import { Role } from '../../../lib/identity';
import { money, Money } from '../../../lib/money';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatusEvent } from '../order-status/order-status-event.entity';
import type { OrdersContext } from '../orders.context';
import { UserOrders, userOrders } from '../user/user.type';
import { Order } from './order.entity';
import { CheckoutInput, UpdateOrderStatusArgs } from './order.inputs';
import { OrderService } from './order.service';

@Resolver(() => Order)
export class OrderResolver {
  private readonly orderService = new OrderService();

  @Query(() => Order, { nullable: true, description: 'One order, for its buyer or an ADMIN; null when it does not exist or is not visible to the caller' })
  async order(@Ctx() ctx: OrdersContext, @Arg('id', () => ID, { description: 'The order id' }) id: string): Promise<Order | null> {
    return this.orderService.visibleOrder(ctx, id);
  }

  @Authorized()
  @Mutation(() => Order, { description: "Places an order from a cart: reserves stock, charges the payment token and empties the cart. Signed in; retries with the same idempotencyKey return the first order" })
  async checkout(@Arg('input', () => CheckoutInput, { description: 'Cart, shipping address, payment and idempotency key' }) _input: CheckoutInput): Promise<Order> {
    throw notImplemented('checkout');
  }

  @Authorized()
  @Mutation(() => Order, { description: "Cancels a PENDING or PAID order and releases its stock. The order's buyer or an ADMIN" })
  async cancelOrder(@Arg('id', () => ID, { description: 'The order to cancel' }) _id: string): Promise<Order> {
    throw notImplemented('cancelOrder');
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Order, { description: 'Moves an order along its lifecycle (PAID -> SHIPPED -> DELIVERED). ADMIN only' })
  async updateOrderStatus(@Args(() => UpdateOrderStatusArgs) _args: UpdateOrderStatusArgs): Promise<Order> {
    throw notImplemented('updateOrderStatus');
  }

  @Subscription(() => Order, {
    description: "The order each time its status changes. The order's buyer or an ADMIN",
    subscribe: () => {
      throw notImplemented('orderStatusChanged');
    },
  })
  orderStatusChanged(@Root() order: Order, @Arg('orderId', () => ID, { description: 'The order to follow' }) _orderId: string): Order {
    return order;
  }

  @FieldResolver(() => UserOrders, { description: 'Who placed the order' })
  user(@Root() order: Order): UserOrders {
    return userOrders(order.userId);
  }

  @FieldResolver(() => [OrderItem], { description: 'What was bought, one line per product' })
  async items(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderItem[]> {
    return ctx.loaders.itemsByOrderId.load(order.id);
  }

  @FieldResolver(() => Money, { description: 'What the order cost: the sum of its line totals' })
  total(@Root() order: Order): Money {
    return money(order.totalAmount, order.currency);
  }

  @FieldResolver(() => Address, { description: 'Where the order ships to, as given at checkout' })
  shippingAddress(@Root() order: Order): Address {
    return toAddress(order.id, order.shippingAddress);
  }

  @FieldResolver(() => [OrderStatusEvent], { description: 'Every status the order entered, oldest first, starting with PENDING' })
  async statusHistory(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderStatusEvent[]> {
    return ctx.loaders.statusHistoryByOrderId.load(order.id);
  }
}

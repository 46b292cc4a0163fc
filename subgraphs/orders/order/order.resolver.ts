import { Arg, Args, Authorized, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Address, toAddress } from '../../../lib/address';
import { entityReference } from '../../../lib/entity-references';
import { Role } from '../../../lib/identity';
import { money, Money } from '../../../lib/money';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatusEvent } from '../order-status/order-status-event.entity';
import { OrderStatus } from '../order-status/order-status.enum';
import type { OrdersContext } from '../orders.context';
import { UserOrders } from '../user/user.type';
import { OrderAttentionReason } from './order-attention';
import { OrderRefundStatus } from './order-refund';
import { Order } from './order.entity';
import { OrderCost } from './order-cost.type';
import { ShippingMethod } from '../../../lib/shipping-method';
import { CheckoutInput, UpdateOrderStatusArgs } from './order.inputs';
import { OrderService } from './order.service';
import { CheckoutService } from '../checkout/checkout.service';
import type { OrderStatusChangedEvent } from '../../../lib/events';
import { OrderStatusSubscriptions } from '../order-status/order-status.subscription';

const orderStatusSubscriptions = new OrderStatusSubscriptions();

/** A cancelled order has nothing left to fulfil, whatever it was marked with before. */
const attentionOf = (order: Order): OrderAttentionReason | null => (order.status === OrderStatus.CANCELLED ? null : (order.attentionReason ?? null));

@Resolver(() => Order)
export class OrderResolver {
  private readonly orderService = new OrderService();
  private readonly checkoutService = new CheckoutService();

  @Directive('@cacheControl(scope: PRIVATE)')
  @Query(() => Order, { nullable: true, description: 'One order, for its buyer or an ADMIN; null when it does not exist or is not visible to the caller' })
  async order(@Ctx() ctx: OrdersContext, @Arg('id', () => ID, { description: 'The order id' }) id: string): Promise<Order | null> {
    return this.orderService.visibleOrder(ctx, id);
  }

  /*
   * Demand control (docs/demand-control.md): a mutation root field weighs 10;
   * checkout weighs 40, the default for each of the four writes it makes
   * (its own order, and through sibling subgraphs reserveStock,
   * commitReservation or releaseReservation, completeCheckout), besides
   * reading the cart with cart's quote of it and charging the payment provider.
   */
  @Directive('@cost(weight: 40)')
  @Authorized()
  @Mutation(() => Order, {
    description:
      "Places an order from the signed-in user's cart at catalog's current prices, with the cart's discount code, shipped by the chosen method (default: the cheapest to the address's country) and taxed at that country's rate, exactly as Cart.cost says: reserves the stock, charges the total and empties the cart. Answered within about 2 s: the order PAID, or PENDING when paying takes longer (it finishes on its own: orderStatusChanged and order(id) tell PAID or CANCELLED), or one of the errors below; never an error for an order that is then placed. A retry with the same idempotencyKey returns the first order. Errors: NOT_FOUND (no such cart), EMPTY_CART, BAD_USER_INPUT (e.g. a shipping method that does not ship there), OUT_OF_STOCK (nothing reserved), DISCOUNT_CODE_LIMIT_REACHED (the cart's discount code was used as often as it may be, in all or by this customer: extensions.limit TOTAL or PER_CUSTOMER, extensions.discountCode; nothing is charged and the stock is given back), PAYMENT_DECLINED (the order is cancelled and its stock released), IDEMPOTENCY_KEY_REUSED (the key was used for another request: another cart, items or codes, another address, shipping method or payment token; HTTP 422, nothing charged), CHECKOUT_BUSY (too many buyers of the product, extensions.productIds, or of the shop at once, or a service checkout needs did not answer: no order, nothing reserved or charged; send the same checkout again, same idempotencyKey, after extensions.retryAfterSeconds)",
  })
  async checkout(@Ctx() ctx: OrdersContext, @Arg('input', () => CheckoutInput, { description: 'Cart, shipping address, payment and idempotency key' }) input: CheckoutInput): Promise<Order> {
    return this.checkoutService.checkout(ctx, input);
  }

  @Authorized()
  @Mutation(() => Order, {
    description:
      "Cancels a PENDING or PAID order and releases its stock; a payment already taken is refunded in full (refundStatus, refundedAmount). The order's buyer or an ADMIN; another user's order is NOT_FOUND, any other status INVALID_STATUS_TRANSITION",
  })
  async cancelOrder(@Ctx() ctx: OrdersContext, @Arg('id', () => ID, { description: 'The order to cancel' }) id: string): Promise<Order> {
    return this.orderService.cancel(ctx, id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Order, {
    description:
      'Moves an order along its lifecycle: PAID -> SHIPPED -> DELIVERED, or PENDING|PAID -> CANCELLED (stock released, a payment already taken refunded in full). Any other change is INVALID_STATUS_TRANSITION. ADMIN only',
  })
  async updateOrderStatus(@Ctx() ctx: OrdersContext, @Args(() => UpdateOrderStatusArgs) args: UpdateOrderStatusArgs): Promise<Order> {
    return this.orderService.updateStatus(ctx, args.id, args.status);
  }

  @Subscription(() => Order, {
    description: "The order each time its status changes. The order's buyer or an ADMIN",
    subscribe: ({ args, context }) => orderStatusSubscriptions.subscribe(context as OrdersContext, (args as { orderId: string }).orderId),
  })
  async orderStatusChanged(
    @Root() event: OrderStatusChangedEvent,
    @Ctx() ctx: OrdersContext,
    @Arg('orderId', () => ID, { description: 'The order to follow' }) _orderId: string,
  ): Promise<Order> {
    return orderStatusSubscriptions.orderFor(ctx, event);
  }

  @FieldResolver(() => UserOrders, { description: 'Who placed the order' })
  user(@Root() order: Order): UserOrders {
    return entityReference(UserOrders, order.userId);
  }

  /**
   * Demand control (docs/demand-control.md): one line per variant of the cart
   * checked out, so the size of Cart.items (12): an order averages 3 to 5
   * lines and rarely has more than a dozen.
   */
  @Directive('@listSize(assumedSize: 12)')
  @FieldResolver(() => [OrderItem], { description: 'What was bought, one line per variant (per product for orders placed before variants)' })
  async items(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderItem[]> {
    return ctx.loaders.itemsByOrderId.load(order.id);
  }

  @FieldResolver(() => Boolean, {
    description:
      'True while the order is paid but cannot be fulfilled as it stands, so a person has to look (attentionReason says why); the shop keeps trying to settle it by itself and sets this back to false once it has. Always false for a cancelled order',
  })
  needsAttention(@Root() order: Order): boolean {
    return attentionOf(order) != null;
  }

  @FieldResolver(() => OrderAttentionReason, { nullable: true, description: 'Why the order needs attention; null when needsAttention is false' })
  attentionReason(@Root() order: Order): OrderAttentionReason | null {
    return attentionOf(order);
  }

  @FieldResolver(() => OrderRefundStatus, {
    nullable: true,
    description: 'Where the refund of the payment is, for an order cancelled after its payment was taken; null when nothing is to be paid back',
  })
  refundStatus(@Root() order: Order): OrderRefundStatus | null {
    return order.refundStatus ?? null;
  }

  @FieldResolver(() => Money, { description: "What was paid back to the buyer, in the order's currency: the whole total once a cancelled paid order is refunded, else zero" })
  refundedAmount(@Root() order: Order): Money {
    return money(order.refundedAmount, order.currency);
  }

  @FieldResolver(() => Money, { description: 'What the order cost and was charged: cost.total (subtotal - discounts + shipping + tax)' })
  total(@Root() order: Order): Money {
    return money(order.totalAmount, order.currency);
  }

  @FieldResolver(() => OrderCost, {
    description: "The cart's breakdown at checkout, never recomputed; total == Order.total. Orders placed before the breakdown: subtotal = total, the rest zero",
  })
  cost(@Root() order: Order): OrderCost {
    const cost = new OrderCost();
    cost.subtotal = money(order.subtotalAmount, order.currency);
    cost.discounts = money(order.discountsAmount, order.currency);
    cost.shipping = money(order.shippingAmount, order.currency);
    cost.tax = money(order.taxAmount, order.currency);
    cost.total = money(order.totalAmount, order.currency);
    return cost;
  }

  @FieldResolver(() => ShippingMethod, { nullable: true, description: 'How the order ships, as the method was named at checkout; null for orders placed before shipping methods' })
  shippingMethod(@Root() order: Order): ShippingMethod | null {
    if (order.shippingMethodId == null) return null;
    const method = new ShippingMethod();
    method.id = order.shippingMethodId;
    method.name = order.shippingMethodName ?? order.shippingMethodId;
    method.description = order.shippingMethodDescription ?? '';
    return method;
  }

  /** Demand control (docs/demand-control.md): at most one code per cart for now (strings: they cost nothing either way). */
  @Directive('@listSize(assumedSize: 1)')
  @FieldResolver(() => [String], { description: 'The discount codes the order was placed with (upper case); empty without one' })
  discountCodes(@Root() order: Order): string[] {
    return order.discountCodes ?? [];
  }

  @FieldResolver(() => Address, { description: 'Where the order ships to, as given at checkout' })
  shippingAddress(@Root() order: Order): Address {
    return toAddress(order.id, order.shippingAddress);
  }

  /**
   * Demand control: a hard bound. The state machine passes each status at most
   * once, and its longest path is PENDING -> PAID -> SHIPPED -> DELIVERED.
   */
  @Directive('@listSize(assumedSize: 4)')
  @FieldResolver(() => [OrderStatusEvent], { description: 'Every status the order entered, oldest first, starting with PENDING' })
  async statusHistory(@Root() order: Order, @Ctx() ctx: OrdersContext): Promise<OrderStatusEvent[]> {
    return ctx.loaders.statusHistoryByOrderId.load(order.id);
  }
}

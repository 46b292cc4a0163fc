import { LockMode } from '@mikro-orm/core';
import type { AddressInput } from '../../../lib/address';
import type { EntityManager } from '../../../lib/database';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatus } from '../order-status/order-status.enum';
import { SOLD_STATUSES } from '../order-status/order-status.machine';
import { OrderStatusService, type TransitionResult } from '../order-status/order-status.service';
import { Order } from '../order/order.entity';
import type { OrdersWorkContext } from '../orders.context';
import { PaymentOutcome, type Payment } from '../payment/payment.entity';
import { PaymentService } from '../payment/payment.service';
import { commitStock, completeCart, linesFingerprint, ownerOf, releaseStock, type StockLine, type UnitPrice } from './checkout.operations';

/** The note on the CANCELLED event of an order whose payment the provider declined. */
export const PAYMENT_DECLINED_NOTE = 'Payment declined';
/** The note on the CANCELLED event of an order whose checkout stopped before the charge. */
export const CHECKOUT_ABANDONED_NOTE = 'Checkout did not complete: no payment was taken';

/** A new order as checkout has put it together: every line priced by catalog, in one currency. */
export interface PlaceOrder {
  id: string;
  userId: string;
  cartId: string;
  lines: StockLine[];
  prices: ReadonlyMap<string, UnitPrice>;
  shippingAddress: AddressInput;
  idempotencyKey: string;
}

type FollowUpFlag = 'stockCommitted' | 'stockReleased' | 'cartCompleted';

export interface FollowUpOutcome {
  done: FollowUpFlag[];
  /** Steps that failed this time (a sibling down, say); recovery retries them. */
  failed: { step: FollowUpFlag; error: unknown }[];
}

/**
 * The steps of the checkout saga after stock is reserved and the order is
 * placed, shared by checkout, its retries, cancellation and recovery. Each is
 * idempotent and keyed by the order, and each reads the order's state before
 * acting, so whoever runs a step second (a retry, the sweeper) finds it done.
 */
export class CheckoutSteps {
  constructor(
    readonly statuses = new OrderStatusService(),
    readonly payments = new PaymentService(),
  ) {}

  /**
   * Places the order PENDING: the order with its lines at catalog's prices,
   * its first history event and that event in the outbox, all or nothing.
   * The id is the one its stock was reserved under.
   */
  async place(em: EntityManager, placing: PlaceOrder): Promise<Order> {
    const { lines, prices } = placing;
    return em.transactional(async (tx) => {
      const order = tx.create(Order, {
        id: placing.id,
        userId: placing.userId,
        status: OrderStatus.PENDING,
        totalAmount: lines.reduce((sum, line) => sum + prices.get(line.productId)!.amount * line.quantity, 0),
        currency: prices.get(lines[0].productId)!.currency,
        shippingAddress: {
          line1: placing.shippingAddress.line1,
          line2: placing.shippingAddress.line2 ?? null,
          city: placing.shippingAddress.city,
          postalCode: placing.shippingAddress.postalCode,
          country: placing.shippingAddress.country,
        },
        idempotencyKey: placing.idempotencyKey,
        cartId: placing.cartId,
        linesFingerprint: linesFingerprint(lines),
      });
      for (const line of lines) {
        const price = prices.get(line.productId)!;
        tx.create(OrderItem, { order, productId: line.productId, quantity: line.quantity, unitPriceAmount: price.amount, currency: price.currency });
      }
      this.statuses.recordPlaced(tx, order);
      return order;
    });
  }

  /**
   * Charges the order's total once, while it is PENDING. The order row stays
   * locked during the charge, so recovery (which cancels a PENDING order it
   * finds unpaid, under the same lock) can never cancel an order whose charge
   * is under way. Null when the order is no longer PENDING: nothing charged.
   */
  async chargeIfPending(em: EntityManager, orderId: string, token: string): Promise<Payment | null> {
    return em.transactional(async (tx) => {
      const order = await tx.findOne(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!order || order.status !== OrderStatus.PENDING) return null;
      return this.payments.charge(tx, order.id, token, { amount: order.totalAmount, currency: order.currency });
    });
  }

  /**
   * Moves a PENDING order on by what the provider recorded: APPROVED -> PAID,
   * DECLINED -> CANCELLED. Without a charge it stays PENDING, unless
   * `cancelUnpaid` (recovery of a checkout that stopped before charging).
   */
  async settlePending(em: EntityManager, orderId: string, options: { cancelUnpaid: boolean }): Promise<TransitionResult | null> {
    return this.statuses.transition(em, orderId, async (order, tx) => {
      if (order.status !== OrderStatus.PENDING) return null;
      const payment = await this.payments.forOrder(tx, order.id);
      if (payment?.outcome === PaymentOutcome.APPROVED) return { to: OrderStatus.PAID };
      if (payment?.outcome === PaymentOutcome.DECLINED) return { to: OrderStatus.CANCELLED, note: PAYMENT_DECLINED_NOTE };
      return options.cancelUnpaid ? { to: OrderStatus.CANCELLED, note: CHECKOUT_ABANDONED_NOTE } : null;
    });
  }

  /**
   * Runs what the order's status still calls for in other subgraphs, in
   * order: a sold order commits its stock and then completes its cart; a
   * cancelled one releases its stock. Each step, once answered, is recorded
   * on the order; a failing step is logged and left for recovery.
   */
  async followUp(work: OrdersWorkContext, order: Order): Promise<FollowUpOutcome> {
    const outcome: FollowUpOutcome = { done: [], failed: [] };
    const viewer = ownerOf(order);
    const step = async (flag: FollowUpFlag, run: () => Promise<void>) => {
      try {
        await run();
        await work.em.nativeUpdate(Order, { id: order.id }, { [flag]: true });
        order[flag] = true;
        outcome.done.push(flag);
      } catch (error) {
        work.log.warn({ err: error, orderId: order.id, step: flag }, 'order follow-up step failed; recovery will retry it');
        outcome.failed.push({ step: flag, error });
      }
    };
    if (SOLD_STATUSES.includes(order.status)) {
      if (!order.stockCommitted) await step('stockCommitted', () => commitStock(work.clients, viewer, order.id));
      if (!order.cartCompleted) {
        // Orders from before carts were completed by checkout have no cart to complete.
        await step('cartCompleted', async () => {
          if (order.cartId) await completeCart(work.clients, viewer, order.cartId, order.id);
        });
      }
    } else if (order.status === OrderStatus.CANCELLED && !order.stockReleased) {
      await step('stockReleased', () => releaseStock(work.clients, viewer, order.id));
    }
    return outcome;
  }
}

import { LockMode } from '@mikro-orm/core';
import type { AddressInput } from '../../../lib/address';
import type { EntityManager } from '../../../lib/database';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatus } from '../order-status/order-status.enum';
import { SOLD_STATUSES } from '../order-status/order-status.machine';
import { OrderStatusService, type StatusChange, type TransitionResult } from '../order-status/order-status.service';
import { Order } from '../order/order.entity';
import type { OrdersWorkContext } from '../orders.context';
import { PaymentOutcome, type Payment } from '../payment/payment.entity';
import { PaymentService } from '../payment/payment.service';
import { ordersNeedingAttention, ordersStockRenewed, NEEDS_ATTENTION_LOG } from '../orders.metrics';
import { OrderAttentionReason } from '../order/order-attention';
import { cancellationRefundKey, OrderRefundStatus } from '../order/order-refund';
import {
  commitStock,
  completeCart,
  isOutOfStock,
  isReservationLapsed,
  linesFingerprint,
  ownerOf,
  releaseStock,
  renewStock,
  shortProducts,
  type CheckoutQuote,
  type StockLine,
} from './checkout.operations';
import { DiscountRedemptions } from '../discount/discount-redemption.service';

/** The note on the CANCELLED event of an order whose payment the provider declined. */
export const PAYMENT_DECLINED_NOTE = 'Payment declined';
/** The note on the CANCELLED event of an order whose checkout stopped before the charge. */
export const CHECKOUT_ABANDONED_NOTE = 'Checkout did not complete: no payment was taken';
/** Added to the note on the CANCELLED event of an order whose captured payment is refunded. */
export const PAYMENT_REFUNDED_NOTE = 'the payment is refunded in full';

/** A new order as checkout has put it together: cart's quote (lines at catalog's prices, the breakdown, the shipping method and the discount). */
export interface PlaceOrder {
  id: string;
  userId: string;
  cartId: string;
  quote: CheckoutQuote;
  shippingAddress: AddressInput;
  idempotencyKey: string;
  /** requestFingerprint of the checkout request: what a retry under the key must ask for again (none: compared by cart and lines only). */
  requestFingerprint?: string;
}

type FollowUpFlag = 'stockCommitted' | 'stockReleased' | 'cartCompleted';
/** A follow-up step: a flag set on the order once done, or the refund a cancellation owes (`refundStatus`). */
type FollowUpStep = FollowUpFlag | 'refunded';

export interface FollowUpOutcome {
  done: FollowUpStep[];
  /** Steps that failed this time (a sibling down, say); recovery retries them. */
  failed: { step: FollowUpStep; error: unknown }[];
  /** The order's stock had lapsed and was taken again (then committed). */
  stockRenewed: boolean;
  /**
   * Set when the order needs attention after this run (marked now, or still):
   * its stock step is not done, and not counted as failed either, since
   * retrying soon will not help; recovery retries it at its own pace.
   */
  needsAttention: OrderAttentionReason | null;
}

/**
 * The sold order's lapsed stock could not be taken again: the step is not
 * done, and the order is marked for attention instead of failing silently.
 */
class StockUnavailable extends Error {
  constructor(
    readonly orderId: string,
    readonly productIds: string[],
  ) {
    super(`The stock of order ${orderId} lapsed and is no longer available: ${productIds.join(', ')}`);
  }
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
    readonly payments: PaymentService = new PaymentService(),
    readonly discounts = new DiscountRedemptions(),
  ) {}

  /**
   * The cancellation of a PENDING or PAID order, decided on its locked row
   * inside the status transition: when the provider captured its payment
   * (a PAID order, or a PENDING one whose charge went through just before),
   * the full refund is recorded as owed (refundStatus PENDING) in the same
   * transaction, so that it is done by `followUp` now or by recovery later.
   * Without a capture there is nothing to give back: the mock provider
   * authorizes and captures in one step, so no authorization is left open to
   * void either; and the order gives its discount code's use back in the same
   * transaction, since it was never paid. A paid order keeps the use.
   */
  async cancellation(tx: EntityManager, order: Order, note: string): Promise<StatusChange> {
    if (order.status !== OrderStatus.PENDING && order.status !== OrderStatus.PAID) return { to: OrderStatus.CANCELLED, note };
    const payment = await this.payments.forOrder(tx, order.id);
    if (!payment?.capturedAt) {
      await this.discounts.release(tx, order.id);
      return { to: OrderStatus.CANCELLED, note };
    }
    // A paid order that cost nothing (a code and free shipping can make it so) has nothing to pay back: no refund is owed, or it would never finish.
    if (payment.amount === 0) return { to: OrderStatus.CANCELLED, note };
    order.refundStatus = OrderRefundStatus.PENDING;
    return { to: OrderStatus.CANCELLED, note: `${note}; ${PAYMENT_REFUNDED_NOTE}` };
  }

  /**
   * Places the order PENDING: the order with its lines at the quote's prices,
   * the quote's breakdown and shipping method, its discount code's use, its
   * first history event and that event in the outbox, all or nothing. The id
   * is the one its stock was reserved under. Throws
   * DISCOUNT_CODE_LIMIT_REACHED, writing nothing, when the quote's code has
   * been used as often as it may.
   */
  async place(em: EntityManager, placing: PlaceOrder, beforeCommit?: () => void): Promise<Order> {
    const { quote } = placing;
    const method = quote.shippingMethod;
    return em.transactional(async (tx) => {
      const order = tx.create(Order, {
        id: placing.id,
        userId: placing.userId,
        status: OrderStatus.PENDING,
        totalAmount: quote.total,
        subtotalAmount: quote.subtotal,
        discountsAmount: quote.discounts,
        shippingAmount: quote.shipping,
        taxAmount: quote.tax,
        currency: quote.currency,
        shippingMethodId: method.id,
        shippingMethodName: method.name,
        shippingMethodDescription: method.description,
        discountCodes: quote.discount ? [quote.discount.code] : [],
        shippingAddress: {
          line1: placing.shippingAddress.line1,
          line2: placing.shippingAddress.line2 ?? null,
          city: placing.shippingAddress.city,
          postalCode: placing.shippingAddress.postalCode,
          country: placing.shippingAddress.country,
        },
        idempotencyKey: placing.idempotencyKey,
        cartId: placing.cartId,
        linesFingerprint: linesFingerprint(quote.lines),
        requestFingerprint: placing.requestFingerprint ?? null,
      });
      for (const line of quote.lines) {
        tx.create(OrderItem, {
          order,
          productId: line.productId,
          variantId: line.variantId,
          quantity: line.quantity,
          unitPriceAmount: line.unitPriceAmount,
          currency: quote.currency,
        });
      }
      // Counted and recorded under the code's lock before anything is written: the order's insert comes at commit.
      if (quote.discount) {
        await this.discounts.redeem(tx, quote.discount, { order, userId: placing.userId, amount: quote.discounts, currency: quote.currency });
      }
      this.statuses.recordPlaced(tx, order);
      // Last before the commit: may still refuse (throwing rolls everything back).
      beforeCommit?.();
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
      if (payment?.outcome === PaymentOutcome.APPROVED) {
        // checkout's charge captures at once; an authorization alone is captured here (a no-op when it is).
        if (!payment.capturedAt) await this.payments.capture(tx, order.id);
        return { to: OrderStatus.PAID };
      }
      // Cancelled unpaid: the discount code's use goes with the change, in its transaction.
      if (payment?.outcome === PaymentOutcome.DECLINED) {
        await this.discounts.release(tx, order.id);
        return { to: OrderStatus.CANCELLED, note: PAYMENT_DECLINED_NOTE };
      }
      if (!options.cancelUnpaid) return null;
      await this.discounts.release(tx, order.id);
      return { to: OrderStatus.CANCELLED, note: CHECKOUT_ABANDONED_NOTE };
    });
  }

  /**
   * Runs what the order's status still calls for in other subgraphs, in
   * order: a sold order commits its stock and then completes its cart (only
   * the bought lines: `lines` when the caller has them, else the order's
   * items); a cancelled one releases its stock and refunds the payment when
   * its cancellation recorded a refund as owed. Each step, once answered, is
   * recorded on the order; a failing step is logged and left for recovery.
   */
  async followUp(work: OrdersWorkContext, order: Order, lines?: StockLine[]): Promise<FollowUpOutcome> {
    const outcome: FollowUpOutcome = { done: [], failed: [], stockRenewed: false, needsAttention: null };
    const viewer = ownerOf(order);
    let bought = lines;
    const boughtLines = async () => (bought ??= await this.boughtLines(work.em, order.id));
    const step = async (flag: FollowUpStep, run: () => Promise<Partial<Order> | void>, alsoWrite: Partial<Order> = {}) => {
      try {
        const written = { ...(flag === 'refunded' ? {} : { [flag]: true }), ...alsoWrite, ...(await run()) };
        await work.em.nativeUpdate(Order, { id: order.id }, written);
        Object.assign(order, written);
        outcome.done.push(flag);
      } catch (error) {
        if (error instanceof StockUnavailable) {
          outcome.needsAttention = OrderAttentionReason.STOCK_UNAVAILABLE;
          work.log.debug({ orderId: order.id, step: flag, productIds: error.productIds }, 'order still needs attention: its stock is still unavailable');
          return;
        }
        work.log.warn({ err: error, orderId: order.id, step: flag }, 'order follow-up step failed; recovery will retry it');
        outcome.failed.push({ step: flag, error });
      }
    };
    if (SOLD_STATUSES.includes(order.status)) {
      if (!order.stockCommitted) {
        // A mark set earlier goes once the stock is committed after all.
        await step('stockCommitted', () => this.commitOrRenew(work, order, boughtLines, outcome), { attentionReason: null });
      }
      if (!order.cartCompleted) {
        // Orders from before carts were completed by checkout have no cart to complete.
        await step('cartCompleted', async () => {
          if (order.cartId) await completeCart(work.clients, viewer, order.cartId, order.id, await boughtLines());
        });
      }
    } else if (order.status === OrderStatus.CANCELLED) {
      if (!order.stockReleased) await step('stockReleased', () => releaseStock(work.clients, viewer, order.id));
      if (order.refundStatus === OrderRefundStatus.PENDING) await step('refunded', () => this.refund(work.em, order.id));
    }
    return outcome;
  }

  /**
   * The full refund a cancellation owes, under a key derived from the order:
   * a retry (the caller's, or recovery's after a crash) gets the refund
   * already recorded instead of a second one.
   */
  private async refund(em: EntityManager, orderId: string): Promise<Partial<Order>> {
    const payment = await this.payments.forOrder(em, orderId);
    if (!payment) throw new Error(`Order ${orderId} owes a refund but has no payment`);
    const refund = await this.payments.refund(em, cancellationRefundKey(orderId), orderId, { amount: payment.amount, currency: payment.currency });
    return { refundStatus: OrderRefundStatus.REFUNDED, refundedAmount: refund.amount };
  }

  /** What the order bought, one line per variant, as cart and inventory take it. */
  private async boughtLines(em: EntityManager, orderId: string): Promise<StockLine[]> {
    const items = await em.find(OrderItem, { order: orderId }, { orderBy: { variantId: 'asc' } });
    return items.map((item) => ({ productId: item.productId, variantId: item.variantId, quantity: item.quantity }));
  }

  /**
   * Commits the sold order's reservation. When inventory no longer holds the
   * stock (the reservation expired before it could be committed, say orders
   * was down longer than its lifetime), takes it again and commits it, under
   * the order's lock so the order cannot be cancelled in between (a
   * cancellation waits, then releases what was committed). When there is not
   * enough stock any more, the order is marked STOCK_UNAVAILABLE (once:
   * counted and logged), and StockUnavailable is thrown: the step stays
   * undone and recovery tries again later, when stock may be back.
   */
  private async commitOrRenew(work: OrdersWorkContext, order: Order, lines: () => Promise<StockLine[]>, outcome: FollowUpOutcome): Promise<void> {
    const viewer = ownerOf(order);
    try {
      await commitStock(work.clients, viewer, order.id);
      return;
    } catch (error) {
      if (!isReservationLapsed(error)) throw error;
    }
    const bought = await lines();
    const result = await work.em.fork().transactional(async (tx) => {
      const locked = await tx.findOne(Order, { id: order.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!locked || !SOLD_STATUSES.includes(locked.status)) throw new Error(`Order ${order.id} is no longer sold: its stock is not taken again`);
      if (locked.stockCommitted) return { kind: 'committed' } as const;
      const now = new Date();
      try {
        await renewStock(work.clients, viewer, order.id, bought);
      } catch (error) {
        if (!isOutOfStock(error)) throw error;
        const marked = locked.attentionReason == null;
        await tx.nativeUpdate(
          Order,
          { id: order.id },
          marked ? { attentionReason: OrderAttentionReason.STOCK_UNAVAILABLE, attentionCheckedAt: now, updatedAt: now } : { attentionCheckedAt: now },
        );
        return { kind: 'unavailable', productIds: shortProducts(error), marked, now } as const;
      }
      await commitStock(work.clients, viewer, order.id);
      return { kind: 'renewed' } as const;
    });
    if (result.kind === 'unavailable') {
      order.attentionReason = OrderAttentionReason.STOCK_UNAVAILABLE;
      order.attentionCheckedAt = result.now;
      if (result.marked) {
        order.updatedAt = result.now;
        ordersNeedingAttention.inc({ reason: OrderAttentionReason.STOCK_UNAVAILABLE });
        work.log.error(
          { orderId: order.id, needsAttention: true, reason: OrderAttentionReason.STOCK_UNAVAILABLE, productIds: result.productIds },
          NEEDS_ATTENTION_LOG,
        );
      }
      throw new StockUnavailable(order.id, result.productIds);
    }
    if (result.kind === 'renewed') {
      outcome.stockRenewed = true;
      ordersStockRenewed.inc();
      work.log.info({ orderId: order.id, needsAttention: false, wasMarked: order.attentionReason != null }, 'lapsed stock of a paid order taken again and committed');
    }
  }
}

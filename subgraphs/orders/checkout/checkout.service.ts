import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '../../../lib/database';
import { badUserInput, ErrorCode, graphQLError, notFound, unauthenticated } from '../../../lib/errors';
import { Role, type Viewer } from '../../../lib/identity';
import { isUuid } from '../../../lib/uuid';
import { OrderStatus } from '../order-status/order-status.enum';
import { Order } from '../order/order.entity';
import type { CheckoutInput } from '../order/order.inputs';
import type { OrdersContext } from '../orders.context';
import { PaymentOutcome } from '../payment/payment.entity';
import { assertKnownPaymentToken } from '../payment/payment.service';
import { checkoutAnsweredPending } from '../orders.metrics';
import { CheckoutSteps } from './checkout-steps';
import type { CheckoutTurns } from './checkout-admission';
import { CheckoutAttempt, isSiblingFailure, serviceBusy, type SagaOutcome } from './checkout-attempt';
import { checkoutRuntime } from './checkout-runtime';
import { attemptOrderId, errorCode, isOutOfStock, linesFingerprint, readCart, readQuotedCart, releaseStock, requestFingerprint, reserveStock, type QuotedCart, type StockLine } from './checkout.operations';

const paymentDeclined = (orderId: string) =>
  graphQLError(ErrorCode.PAYMENT_DECLINED, 'The payment was declined: nothing was charged, the order was cancelled and its stock released', { orderId });

const keyReused = (orderId: string) =>
  graphQLError(
    ErrorCode.IDEMPOTENCY_KEY_REUSED,
    'This idempotencyKey was already used for a different checkout (another cart, other items or codes, another address, shipping method or payment token): nothing was charged for this one; use a new key for a new checkout',
    { orderId },
  );

const CART_TAKEN_CONSTRAINT = 'customer_order_cart_id_live_unique';

const cartTaken = (cartId: string) =>
  badUserInput('This cart is already being checked out by another order; wait for it, or retry that checkout with its idempotencyKey', {
    argumentName: 'input.cartId',
    cartId,
  });

/**
 * The viewer as a shopper: checkout buys the viewer's own cart or a guest
 * cart, never another user's (which an ADMIN could otherwise read), since
 * only its owner may complete a cart.
 */
function shopper(viewer: Viewer): Viewer {
  return { id: viewer.id, role: Role.CUSTOMER };
}

/**
 * checkout as a saga whose every step is idempotent and keyed by the order:
 * validate -> find an earlier attempt by idempotency key -> read the cart
 * with cart's quote of it (prices, discount, shipping to the address's
 * country by the chosen method, tax) -> reserve stock per variant for a new
 * order id -> place the order PENDING, redeeming its discount code within
 * the code's limits -> charge the quote's total -> PAID (commit stock,
 * complete the cart) or CANCELLED (release stock, and the code's use). A
 * crash after any step leaves a state that a retry with the same key, or
 * recovery, carries on from.
 */
export class CheckoutService {
  constructor(private readonly steps = new CheckoutSteps()) {}

  /**
   * The checkout saga, answered within the checkout's answer time
   * (CHECKOUT_ANSWER_MS, from the start): the finished order (PAID), or a
   * refusal that took nothing (OUT_OF_STOCK, CHECKOUT_BUSY, ...), or,
   * when paying and finishing take longer, the placed order as it stands
   * (PENDING) while the saga finishes in the background, on its own entity
   * manager; `order(id)` and `orderStatusChanged` tell the outcome, and a
   * retry with the same idempotency key gets the same order; or, when the
   * order is not being placed by CHECKOUT_PLACE_BY_MS, CHECKOUT_BUSY,
   * the saga stopped short of placing it (CheckoutAttempt). An order that
   * was placed is never answered with an error that would make the buyer
   * think nothing happened, except PAYMENT_DECLINED (it is CANCELLED).
   */
  async checkout(ctx: OrdersContext, input: CheckoutInput): Promise<Order> {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    assertKnownPaymentToken(input.paymentToken);
    if (input.cartId != null && !isUuid(input.cartId)) throw notFound('Cart', input.cartId);

    const runtime = checkoutRuntime(ctx.config.checkout);
    const { answerMs, placeByMs } = runtime.settings;
    // Budgets count from when the gateway received the request: time spent getting here under load is the buyer's time too.
    const startedAt = ctx.requestStartedAt;
    const attempt = new CheckoutAttempt(startedAt + answerMs, startedAt + placeByMs, placeByMs);
    // Its own entity manager: the saga may go on after the answer, beside this request's field resolvers.
    const saga = this.run({ ...ctx, em: ctx.em.fork() }, viewer, input, attempt, startedAt + runtime.settings.queueWaitMs);
    const outcome: Promise<SagaOutcome> = saga.then(
      (order) => ({ order }),
      (error: unknown) => ({ error }),
    );
    const answer = await attempt.answer(outcome);
    if ('order' in answer) return answer.order;
    if ('error' in answer) {
      // Given up before placing: the saga stops short of the order and gives back what it reserved.
      if (attempt.gaveUp) runtime.finishInBackground(outcome.then(() => undefined));
      // A service it needed did not answer before anything was placed: busy, not broken, and nothing was charged.
      if (isSiblingFailure(answer.error)) throw serviceBusy(answer.error);
      throw answer.error;
    }
    const orderId = answer.placedOrderId;
    const settled = await Promise.race([outcome, Promise.resolve(undefined)]);
    if (settled && 'error' in settled) {
      ctx.log.warn({ err: settled.error, orderId }, 'checkout failed after placing its order: answering the order as it stands');
    } else if (!settled) {
      checkoutAnsweredPending.inc();
      runtime.finishInBackground(
        outcome.then((result) => {
          if ('error' in result && errorCode(result.error) !== ErrorCode.PAYMENT_DECLINED) {
            ctx.log.warn({ err: result.error, orderId }, 'checkout answered PENDING failed to finish; recovery settles the order');
          }
        }),
      );
    }
    return this.asItStands(ctx, orderId);
  }

  /** The order as committed now (a fresh read, not the saga's entity, which it may still change). */
  private async asItStands(ctx: OrdersContext, orderId: string): Promise<Order> {
    return ctx.em.fork().findOneOrFail(Order, { id: orderId }, { refresh: true });
  }

  /** The saga itself; `onPlaced` hears the order id once the order exists (PENDING). */
  private async run(ctx: OrdersContext, viewer: Viewer, input: CheckoutInput, attempt: CheckoutAttempt, admitBy: number): Promise<Order> {
    const earlier = await this.orderByKey(ctx.em, viewer.id, input.idempotencyKey);
    if (earlier) return this.retry(ctx, earlier, input, attempt);

    const { admission } = checkoutRuntime(ctx.config.checkout);
    // Its wait for a turn was over before it got here: refused before any work (a retry of a placed order, above, costs little).
    if (Date.now() >= admitBy) throw admission.late();
    // What the cart holds, cheaply (no prices): enough to refuse an empty cart and to queue by product.
    const lines = await readCart(ctx.clients, shopper(viewer), input.cartId ?? null);
    if (!lines && input.cartId) throw notFound('Cart', input.cartId);
    // No active cart holds no items: to the shopper that is an empty cart, not a missing thing they named.
    if (!lines) throw graphQLError(ErrorCode.EMPTY_CART, 'You have nothing in your cart: add something before checking out', {});
    if (lines.lines.length === 0) throw graphQLError(ErrorCode.EMPTY_CART, 'The cart is empty: add something before checking out', { cartId: lines.id });

    // A turn at each of its products (until its order is placed) and one of all (until it ends): a crowd waits here, in order, not in the services.
    const turns = await admission.admit(
      lines.lines.map((line) => line.productId),
      admitBy,
    );
    try {
      // The buyer may have been answered while it waited: then the turn goes to the next one at once.
      attempt.assertGoingOn();
      return await this.placeAndPay(ctx, viewer, input, attempt, turns);
    } finally {
      turns.leave();
    }
  }

  /** The saga once admitted: the quote, stock, the order, the payment and the follow-ups. */
  private async placeAndPay(ctx: OrdersContext, viewer: Viewer, input: CheckoutInput, attempt: CheckoutAttempt, turns: CheckoutTurns): Promise<Order> {
    const cart = await readQuotedCart(ctx.clients, shopper(viewer), input.cartId ?? null, {
      countryCode: input.shippingAddress.country,
      shippingMethodId: input.shippingMethodId ?? null,
    });
    // Emptied or gone since it was read (another checkout of it finished meanwhile).
    if (!cart && input.cartId) throw notFound('Cart', input.cartId);
    if (!cart) throw graphQLError(ErrorCode.EMPTY_CART, 'You have nothing in your cart: add something before checking out', {});
    if (cart.lines.length === 0) throw graphQLError(ErrorCode.EMPTY_CART, 'The cart is empty: add something before checking out', { cartId: cart.id });

    attempt.assertGoingOn();
    let order: Order;
    try {
      // The order id exists before the order does: inventory keys the reservation by it.
      const orderId = await this.reserve(ctx, viewer, input, attemptOrderId(viewer.id, input.idempotencyKey, cart.id, cart.lines), cart.lines, attempt);
      if (typeof orderId !== 'string') return orderId.winner;
      const placed = await this.place(ctx, viewer, input, attempt, cart, orderId);
      if ('winner' in placed) return placed.winner;
      order = placed;
    } finally {
      // Its stock is taken and its order placed, or never will be: the next buyer of these products may go.
      turns.leaveProducts();
    }
    attempt.placed(order.id);
    return this.payAndFinish(ctx, order, input.paymentToken, cart.lines);
  }

  /**
   * Places the order PENDING under its reservation. On failure gives the
   * reservation back, unless a duplicate of this request placed the order:
   * an order under the key is then the answer (`winner`, carried on).
   */
  private async place(ctx: OrdersContext, viewer: Viewer, input: CheckoutInput, attempt: CheckoutAttempt, cart: QuotedCart, orderId: string): Promise<Order | { winner: Order }> {
    try {
      return await this.steps.place(
        ctx.em,
        {
          id: orderId,
          userId: viewer.id,
          cartId: cart.id,
          quote: cart.quote,
          shippingAddress: input.shippingAddress,
          idempotencyKey: input.idempotencyKey,
          requestFingerprint: requestFingerprint(input),
        },
        // Last, inside its transaction: a checkout that has given up on the buyer places nothing (the reservation is given back below).
        () => attempt.beforePlacing(),
      );
    } catch (error) {
      const unique = error instanceof UniqueConstraintViolationException;
      // Whatever refused it (the key placed by a concurrent attempt, say, or a discount code's limit), an order under the key is the answer; a failing lookup leaves the error as it was.
      const winner = await this.orderByKey(ctx.em, viewer.id, input.idempotencyKey).catch(() => null);
      // A duplicate of this very request shares its order id and so its reservation: that one must stay.
      if (winner?.id !== orderId) {
        // Nothing refers to this reservation any more; if releasing fails too, inventory's expiry frees it.
        await releaseStock(ctx.clients, viewer, orderId).catch((releaseError) =>
          ctx.log.warn({ err: releaseError, orderId }, 'could not release the reservation of an order that was not placed'),
        );
      }
      if (winner) return { winner: await this.retry(ctx, winner, input, attempt) };
      if (unique && error.message.includes(CART_TAKEN_CONSTRAINT)) throw cartTaken(cart.id);
      throw error;
    }
  }

  /**
   * Reserves the lines under the attempt's order id. Its stock may have been
   * given back already (an attempt that stopped before placing its order,
   * then expired): then under a fresh id. OUT_OF_STOCK may mean a concurrent
   * attempt with this key took the last units: its order is then the answer.
   */
  private async reserve(
    ctx: OrdersContext,
    viewer: Viewer,
    input: CheckoutInput,
    orderId: string,
    lines: StockLine[],
    attempt: CheckoutAttempt,
  ): Promise<string | { winner: Order }> {
    for (const id of [orderId, randomUUID()]) {
      try {
        await reserveStock(ctx.clients, viewer, id, lines);
        return id;
      } catch (error) {
        if (isOutOfStock(error)) {
          const winner = await this.orderByKey(ctx.em, viewer.id, input.idempotencyKey);
          if (winner) return { winner: await this.retry(ctx, winner, input, attempt) };
        }
        if (isSiblingFailure(error)) {
          // No answer: inventory may have reserved all the same. Give it back (else its expiry does), so "nothing is held" stays true.
          await releaseStock(ctx.clients, viewer, id).catch((releaseError) =>
            ctx.log.warn({ err: releaseError, orderId: id }, 'could not release a reservation whose reserveStock got no answer'),
          );
        }
        if (id !== orderId || errorCode(error) !== ErrorCode.BAD_USER_INPUT) throw error;
      }
    }
    throw new Error('unreachable');
  }

  private async orderByKey(em: EntityManager, userId: string, idempotencyKey: string): Promise<Order | null> {
    return em.findOne(Order, { userId, idempotencyKey }, { refresh: true });
  }

  /**
   * Charge, then PAID with its follow-ups, or CANCELLED with its stock
   * released and PAYMENT_DECLINED. `lines` are what the order bought, when
   * the caller has them at hand (else the follow-ups read the order's items).
   */
  private async payAndFinish(ctx: OrdersContext, placed: Order, paymentToken: string, lines?: StockLine[]): Promise<Order> {
    await this.steps.chargeIfPending(ctx.em, placed.id, paymentToken);
    const settled = await this.steps.settlePending(ctx.em, placed.id, { cancelUnpaid: false });
    const order = settled?.order ?? placed;
    // Follow-up failures do not fail the checkout: the payment stands and recovery finishes the rest.
    await this.steps.followUp(ctx, order, lines);
    await this.failIfDeclined(ctx.em, order);
    return order;
  }

  private async failIfDeclined(em: EntityManager, order: Order): Promise<void> {
    if (order.status !== OrderStatus.CANCELLED) return;
    const payment = await this.steps.payments.forOrder(em, order.id);
    if (payment?.outcome === PaymentOutcome.DECLINED) throw paymentDeclined(order.id);
  }

  /**
   * A checkout whose key names an earlier order: the same request again gets
   * that order (carried on if it stopped half-way), never a second one;
   * another cart or other lines under the same key are refused (before
   * `attempt.placed`: that refusal is the answer, whatever the time).
   */
  private async retry(ctx: OrdersContext, earlier: Order, input: CheckoutInput, attempt: CheckoutAttempt): Promise<Order> {
    await this.assertSameRequest(ctx, earlier, input);
    attempt.placed(earlier.id);
    if (earlier.status === OrderStatus.PENDING) return this.payAndFinish(ctx, earlier, input.paymentToken);
    await this.steps.followUp(ctx, earlier);
    await this.failIfDeclined(ctx.em, earlier);
    return earlier;
  }

  /**
   * The request is the same when it asks for the same: the same cart with
   * the same lines and discount codes, shipped to the same address by the
   * same method, paid with the same token (requestFingerprint; orders placed
   * before it was kept are compared by cart and lines). Once the order
   * completed its cart, that cart is no longer visible (and the user's
   * active cart, if any, is a new one): a retry that names no other cart
   * with items is still the same request as far as the cart goes.
   */
  private async assertSameRequest(ctx: OrdersContext, earlier: Order, input: CheckoutInput): Promise<void> {
    if (earlier.requestFingerprint != null && earlier.requestFingerprint !== requestFingerprint(input)) throw keyReused(earlier.id);
    if (input.cartId != null && input.cartId !== earlier.cartId) throw keyReused(earlier.id);
    if (input.cartId != null && earlier.cartCompleted) return;
    const cart = await readCart(ctx.clients, shopper(ctx.viewer!), input.cartId ?? null, { withCodes: true });
    if (!cart || cart.lines.length === 0) return;
    if (cart.id !== earlier.cartId || linesFingerprint(cart.lines) !== earlier.linesFingerprint) throw keyReused(earlier.id);
    if (earlier.requestFingerprint != null && (cart.discountCodes ?? []).join(',') !== [...earlier.discountCodes].sort().join(',')) throw keyReused(earlier.id);
  }
}

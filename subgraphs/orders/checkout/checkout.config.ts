import { milliseconds, wholeNumber } from '../../../lib/config';

/**
 * Settings of checkout's admission (per orders process) and of its answer.
 *
 * - `CHECKOUT_CONCURRENCY` (16): checkouts under way at once in this
 *   process, over all products: about what the services' CPU finishes
 *   without each checkout slowing down (measured with bench:flash-sale on 2
 *   cores). Past it, a checkout waits its turn (first come, first served)
 *   instead of slowing every checkout under way until all of them time out.
 * - `CHECKOUT_CONCURRENCY_PER_PRODUCT` (8): checkouts of one product taking
 *   its stock and placing their orders at once. Its stock rows are taken
 *   one checkout after another anyway, so more would only wait on them (each
 *   holding a database session); and a crowd for one product has at most
 *   this many checkouts competing for the turns above with everyone else's.
 * - `CHECKOUT_QUEUE_LENGTH` (1000): checkouts that may wait in one queue (a
 *   product's, or the one for all); one more is refused at once
 *   (CHECKOUT_BUSY).
 * - `CHECKOUT_QUEUE_WAIT_MS` (750): the longest a checkout waits for its
 *   turns (its products', then one of all); then it is refused
 *   (CHECKOUT_BUSY, with when to come back), nothing reserved or charged.
 * - `CHECKOUT_ANSWER_MS` (1000): how long after its start a checkout may
 *   keep the buyer waiting for the payment and follow-ups: past it, a placed
 *   order is answered as it stands (PENDING) and finished in the
 *   background; `order(id)` and `orderStatusChanged` tell the outcome.
 * - `CHECKOUT_PLACE_BY_MS` (2500): a checkout that has not begun placing its
 *   order this long after it started gives up before placing it:
 *   CHECKOUT_BUSY, whatever it reserved given back, nothing charged.
 *   Below the gateway's SUBGRAPH_TIMEOUT_MS (5 s), so the buyer hears from
 *   orders, not a timeout for an order that may then be placed.
 *
 * Together: a buyer hears within about 2 s (the cart read, at most 750 ms in
 * the queue, then the order PAID or PENDING from 1 s on). A turn at a
 * product lasts until the checkout's order is placed (or will not be); the
 * turn of all lasts the whole checkout, background finishing included: it is
 * the work under way that is bounded. One orders process keeps its own
 * queues: with R replicas, R times as many checkouts run at once.
 */
export const checkoutEnv = {
  CHECKOUT_CONCURRENCY: wholeNumber('checkouts')({ default: 16, desc: 'checkouts under way at once over all products (per orders process); more wait their turn' }),
  CHECKOUT_CONCURRENCY_PER_PRODUCT: wholeNumber('checkouts')({ default: 8, desc: 'checkouts of one product under way at once (per orders process); more wait their turn' }),
  CHECKOUT_QUEUE_LENGTH: wholeNumber('checkouts', 0)({ default: 1_000, desc: 'checkouts that may wait in one queue (a product\'s, or the one for all); more are refused with CHECKOUT_BUSY' }),
  CHECKOUT_QUEUE_WAIT_MS: milliseconds({ default: 750, desc: 'longest a checkout waits for its turns before it is refused with CHECKOUT_BUSY' }),
  CHECKOUT_ANSWER_MS: milliseconds({ default: 1_000, desc: 'time from the start of a checkout after which a placed order still paying is answered PENDING and finished in the background' }),
  CHECKOUT_PLACE_BY_MS: milliseconds({ default: 2_500, desc: 'time from the start of a checkout by which it must have begun placing its order; else CHECKOUT_BUSY, nothing kept or charged' }),
};

export interface CheckoutSettings {
  concurrency: number;
  concurrencyPerProduct: number;
  queueLength: number;
  queueWaitMs: number;
  answerMs: number;
  placeByMs: number;
}

export function checkoutSettings(values: {
  CHECKOUT_CONCURRENCY: number;
  CHECKOUT_CONCURRENCY_PER_PRODUCT: number;
  CHECKOUT_QUEUE_LENGTH: number;
  CHECKOUT_QUEUE_WAIT_MS: number;
  CHECKOUT_ANSWER_MS: number;
  CHECKOUT_PLACE_BY_MS: number;
}): CheckoutSettings {
  return {
    concurrency: values.CHECKOUT_CONCURRENCY,
    concurrencyPerProduct: values.CHECKOUT_CONCURRENCY_PER_PRODUCT,
    queueLength: values.CHECKOUT_QUEUE_LENGTH,
    queueWaitMs: values.CHECKOUT_QUEUE_WAIT_MS,
    answerMs: values.CHECKOUT_ANSWER_MS,
    placeByMs: values.CHECKOUT_PLACE_BY_MS,
  };
}

export const DEFAULT_CHECKOUT_SETTINGS: CheckoutSettings = { concurrency: 16, concurrencyPerProduct: 8, queueLength: 1_000, queueWaitMs: 750, answerMs: 1_000, placeByMs: 2_500 };

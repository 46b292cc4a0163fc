import { ErrorCode, graphQLError } from '../../../lib/errors';
import type { Order } from '../order/order.entity';
import { errorCode } from './checkout.operations';

/** How a checkout's saga ended, as its answer race sees it. */
export type SagaOutcome = { order: Order } | { error: unknown };

/** What the buyer is told: the saga's own outcome, or the placed order as it stands (PENDING, still paying). */
export type CheckoutAnswer = SagaOutcome | { placedOrderId: string };

/** The checkout gave up before placing its order: nothing is reserved (what was is given back) or charged. */
export function notPlacedInTime(placeByMs: number) {
  return graphQLError(ErrorCode.CHECKOUT_BUSY, `Checkout is busy: your order could not be placed within ${placeByMs} ms, so nothing was reserved or charged; try again in 1 s`, {
    productIds: [],
    retryAfterSeconds: 1,
  });
}

/** A sibling service gave no answer (timeout, unreachable, circuit open): the call's outcome is unknown, not refused. */
export function isSiblingFailure(error: unknown): boolean {
  const code = errorCode(error);
  return code === ErrorCode.SUBGRAPH_TIMEOUT || code === ErrorCode.SUBGRAPH_UNAVAILABLE;
}

/** CHECKOUT_BUSY for a checkout stopped, before its order was placed, by a service that did not answer. */
export function serviceBusy(cause: unknown) {
  const serviceName = (cause as { extensions?: { serviceName?: unknown } } | null)?.extensions?.serviceName;
  return graphQLError(ErrorCode.CHECKOUT_BUSY, 'Checkout is busy: a service it needs did not answer in time, so no order was placed and nothing was charged; try again in 2 s', {
    productIds: [],
    retryAfterSeconds: 2,
    ...(typeof serviceName === 'string' ? { serviceName } : {}),
  });
}

const after = (at: number) => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, at - Date.now()))));
  return { promise, cancel: () => clearTimeout(timer) };
};

/**
 * One checkout's race between its saga and the buyer's patience. The saga
 * tells it when it is about to place its order (`beforePlacing`, inside the
 * order's transaction, before its commit) and once it has (`placed`). The
 * answer is:
 * - the saga's outcome, if it ends by `answerAt`;
 * - else the placed order as it stands (PENDING), as soon as it is placed;
 * - else, at `placeByAt`, if the saga is not placing its order by then, a
 *   refusal that took nothing (CHECKOUT_BUSY): the saga is stopped
 *   before it places the order (`beforePlacing` throws) and gives back what
 *   it reserved, so the buyer is never told "no" for an order that is then
 *   placed, nor left waiting past the gateway's timeout;
 * - a saga that fails after placing its order is answered with the order as
 *   it stands, except PAYMENT_DECLINED (the order is CANCELLED).
 */
export class CheckoutAttempt {
  private state: 'running' | 'gave-up' | 'placing' | 'placed' = 'running';
  private placedOrderId: string | undefined;
  private onPlaced!: () => void;
  private readonly placedSignal = new Promise<'placed'>((resolve) => (this.onPlaced = () => resolve('placed')));

  constructor(
    private readonly answerAt: number,
    private readonly placeByAt: number,
    private readonly placeByMs: number,
  ) {}

  /** True once the checkout answered without waiting for its saga, which stops short of placing an order. */
  get gaveUp(): boolean {
    return this.state === 'gave-up';
  }

  /** The saga is about to commit its order: throws (rolling it back) when the checkout has given up. */
  beforePlacing(): void {
    if (this.state === 'gave-up') throw notPlacedInTime(this.placeByMs);
    this.state = 'placing';
  }

  /** The saga may still take stock: throws when the checkout has given up. */
  assertGoingOn(): void {
    if (this.state === 'gave-up') throw notPlacedInTime(this.placeByMs);
  }

  /** The order exists (placed now, or found placed earlier under the idempotency key). */
  placed(orderId: string): void {
    this.state = 'placed';
    this.placedOrderId = orderId;
    this.onPlaced();
  }

  async answer(outcome: Promise<SagaOutcome>): Promise<CheckoutAnswer> {
    const answerTime = after(this.answerAt);
    let first: SagaOutcome | 'late' | 'placed' = await Promise.race([outcome, answerTime.promise]);
    answerTime.cancel();
    if (first === 'late') {
      const placeBy = after(this.placeByAt);
      first = await Promise.race([outcome, this.placedSignal, placeBy.promise]);
      placeBy.cancel();
      if (first === 'late') {
        if (this.state === 'running') {
          this.state = 'gave-up';
          return { error: notPlacedInTime(this.placeByMs) };
        }
        // Its order's transaction is committing: the answer is what it commits.
        first = await Promise.race([outcome, this.placedSignal]);
      }
    }
    if (first === 'placed') return { placedOrderId: this.placedOrderId! };
    if ('order' in first) return first;
    if (this.placedOrderId === undefined || errorCode(first.error) === ErrorCode.PAYMENT_DECLINED) return first;
    return { placedOrderId: this.placedOrderId };
  }
}

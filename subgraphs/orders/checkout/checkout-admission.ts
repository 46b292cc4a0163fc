import type { GraphQLError } from 'graphql';
import { ErrorCode, graphQLError } from '../../../lib/errors';
import type { CheckoutSettings } from './checkout.config';
import { checkoutQueueRefused, checkoutQueueWaiting, checkoutQueueWaitSeconds } from '../orders.metrics';

type RefusalReason = 'full' | 'waited' | 'late';

/**
 * The longest a refused buyer is told to stay away. An estimate made in a
 * burst (when turns are slowest) overshoots once the burst is through; a
 * buyer who comes back too early is cheaply told again, one who was told to
 * wait too long leaves the product unsold meanwhile.
 */
const MAX_RETRY_AFTER_SECONDS = 10;

/** The queue of all checkouts, beside one per product. */
const ALL = '*';

/** CHECKOUT_BUSY: nothing was reserved, placed or charged; try again after `retryAfterSeconds`. */
function queueFull(lane: string, reason: RefusalReason, retryAfterSeconds: number) {
  const why = reason === 'full' ? 'too many buyers are already waiting' : reason === 'late' ? 'your request took too long to reach checkout' : 'your turn did not come in time';
  const what = lane === ALL ? 'Checkout is busy' : 'Checkout of this product is busy';
  return graphQLError(ErrorCode.CHECKOUT_BUSY, `${what} (${why}): nothing was reserved or charged; try again in ${retryAfterSeconds} s`, {
    productIds: lane === ALL ? [] : [lane],
    retryAfterSeconds,
  });
}

interface Waiter {
  admit(): void;
  enqueuedAt: number;
  /** The checkout's products (in the queue of all, where turns go to the products holding fewest). */
  products: readonly string[];
}

/**
 * The buyers a lane refused lately and told to come back, counted per second
 * they are due (at most MAX_RETRY_AFTER_SECONDS + 1 seconds ahead): a
 * virtual queue behind the real one, O(1) to keep however many are refused.
 */
class ComingBack {
  private readonly dueBySecond = new Map<number, number>();

  /** Buyers told to come back later than now. */
  count(now: number): number {
    const second = Math.floor(now / 1000);
    let count = 0;
    for (const [due, buyers] of this.dueBySecond) {
      if (due <= second) this.dueBySecond.delete(due);
      else count += buyers;
    }
    return count;
  }

  add(dueAt: number): void {
    const due = Math.ceil(dueAt / 1000);
    this.dueBySecond.set(due, (this.dueBySecond.get(due) ?? 0) + 1);
  }
}

/** One queue's turns: who holds one, and who waits for one, first come first served. */
class Lane {
  active = 0;
  readonly waiting: Waiter[] = [];
  /** The buyers refused lately and told to come back. */
  readonly comingBack = new ComingBack();
  /** Turns held per product (the queue of all only). */
  readonly heldBy = new Map<string, number>();
  constructor(
    readonly concurrency: number,
    readonly kind: TurnKind,
  ) {}
}

type TurnKind = 'product' | 'all';

/** The turns one checkout holds: give the products' back once its stock is taken (or not), and the rest when it ends. */
export interface CheckoutTurns {
  /** Gives the turns at its products back (idempotent): its order is placed, or will not be. */
  leaveProducts(): void;
  /** Gives every turn still held back (idempotent): the checkout has ended. */
  leave(): void;
}

/** Counts turns of all held per product (a no-op for a product's own lane, whose products are none). */
function hold(lane: Lane, products: readonly string[], delta: 1 | -1): void {
  for (const productId of products) {
    const held = (lane.heldBy.get(productId) ?? 0) + delta;
    if (held > 0) lane.heldBy.set(productId, held);
    else lane.heldBy.delete(productId);
  }
}

/**
 * Checkout's admission: bounded, fair (first come, first served) queues in
 * front of the saga, one per product and one for all, so a crowd waits in
 * this process's memory, or is refused cleanly, instead of piling work on
 * the services and sessions on the stock rows until every checkout times
 * out. A turn at a product lasts until the checkout has taken its stock and
 * placed its order (or failed to); the turn of all lasts the whole checkout.
 * So one product's crowd has at most CHECKOUT_CONCURRENCY_PER_PRODUCT
 * checkouts taking its stock, and as many waiting among all; it holds at
 * most half of the turns of all, the other half always there for the rest of
 * the shop; and a turn of all that frees goes to the waiter whose products
 * hold the fewest (fair queuing by product), so other products' buyers go
 * before the crowd's next one.
 *
 * Hand-written (about as long as its configuration would be): the queues are
 * per key, bounded, with a deadline per waiter and a refusal that says when
 * to come back; the concurrency libraries at hand (p-limit, p-queue) are
 * one queue each, without per-waiter deadlines, and ESM-only.
 */
export class CheckoutAdmission {
  private readonly lanes = new Map<string, Lane>();
  /** Smoothed time a turn of each kind is held (ms), for the Retry-After of a refusal. */
  private readonly averageTurnMs: Record<TurnKind, number> = { product: 100, all: 250 };

  constructor(readonly settings: CheckoutSettings) {}

  /**
   * Waits for a turn at every product (one at a time, in id order, so two
   * carts never wait for each other's), then for one of all, until
   * `deadline` (ms since epoch: CHECKOUT_QUEUE_WAIT_MS after the request
   * arrived). Throws CHECKOUT_BUSY, holding nothing.
   */
  async admit(productIds: readonly string[], deadline: number): Promise<CheckoutTurns> {
    const products: string[] = [];
    let all = false;
    let admittedAt = 0;
    const leaveProducts = () => {
      if (products.length > 0 && admittedAt > 0) this.observe('product', admittedAt);
      for (const lane of products.splice(0)) this.leave(lane);
    };
    const ids = [...new Set(productIds)].sort();
    const leave = () => {
      leaveProducts();
      if (!all) return;
      all = false;
      if (admittedAt > 0) this.observe('all', admittedAt);
      this.leave(ALL, ids);
    };
    try {
      for (const productId of ids) {
        await this.enter(productId, deadline);
        products.push(productId);
      }
      await this.enter(ALL, deadline, ids);
      all = true;
      admittedAt = Date.now();
    } catch (error) {
      leave();
      throw error;
    }
    return { leaveProducts, leave };
  }

  /**
   * The refusal of a checkout whose wait was over before it could even be
   * queued: the request spent its CHECKOUT_QUEUE_WAIT_MS reaching checkout,
   * so the services are swamped (a crowd arriving at once), and whatever it
   * did now would reach the buyer late. Cheap, before any work.
   */
  late(): GraphQLError {
    checkoutQueueRefused.inc({ reason: 'late' });
    const lane = this.lanes.get(ALL) ?? new Lane(this.settings.concurrency, 'all');
    this.lanes.set(ALL, lane);
    const retryAfter = this.retryAfterSeconds(lane, lane.waiting.length);
    this.dropIfIdle(ALL, lane);
    return queueFull(ALL, 'late', retryAfter);
  }

  private observe(kind: TurnKind, since: number): void {
    this.averageTurnMs[kind] = 0.9 * this.averageTurnMs[kind] + 0.1 * (Date.now() - since);
  }

  /** Checkouts waiting for a turn, in every queue (for tests). */
  waitingCount(): number {
    let count = 0;
    for (const lane of this.lanes.values()) count += lane.waiting.length;
    return count;
  }

  private enter(key: string, deadline: number, products: readonly string[] = []): Promise<void> {
    const lane = this.lanes.get(key) ?? (key === ALL ? new Lane(this.settings.concurrency, 'all') : new Lane(this.settings.concurrencyPerProduct, 'product'));
    this.lanes.set(key, lane);
    if (lane.active < lane.concurrency && this.mayHold(lane, products) && !lane.waiting.some((waiter) => this.mayHold(lane, waiter.products))) {
      lane.active += 1;
      hold(lane, products, 1);
      checkoutQueueWaitSeconds.observe(0);
      return Promise.resolve();
    }
    if (lane.waiting.length >= this.settings.queueLength) {
      checkoutQueueRefused.inc({ reason: 'full' });
      const retryAfter = this.retryAfterSeconds(lane, lane.waiting.length);
      this.dropIfIdle(key, lane);
      return Promise.reject(queueFull(key, 'full', retryAfter));
    }
    if (deadline <= Date.now()) {
      // No time left to wait: refused as a waiter whose time ran out, without queueing.
      checkoutQueueRefused.inc({ reason: 'waited' });
      const retryAfter = this.retryAfterSeconds(lane, lane.waiting.length);
      this.dropIfIdle(key, lane);
      return Promise.reject(queueFull(key, 'waited', retryAfter));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        enqueuedAt: Date.now(),
        products,
        admit: () => {
          clearTimeout(timer);
          checkoutQueueWaiting.dec();
          checkoutQueueWaitSeconds.observe((Date.now() - waiter.enqueuedAt) / 1000);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const index = lane.waiting.indexOf(waiter);
        if (index < 0) return;
        lane.waiting.splice(index, 1);
        checkoutQueueWaiting.dec();
        checkoutQueueRefused.inc({ reason: 'waited' });
        const retryAfter = this.retryAfterSeconds(lane, index);
        this.dropIfIdle(key, lane);
        reject(queueFull(key, 'waited', retryAfter));
      }, Math.max(0, deadline - Date.now()));
      lane.waiting.push(waiter);
      checkoutQueueWaiting.inc();
    });
  }

  /**
   * Gives a turn back, and hands it to a waiter: at a product, the first;
   * in the queue of all, the first of those whose products hold the fewest
   * turns of all and may hold one more (fair queuing by product), so a
   * crowd for one product never keeps another product's buyer waiting
   * behind it. A turn nobody may take stays free.
   */
  private leave(key: string, products: readonly string[] = []): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    hold(lane, products, -1);
    let chosen = lane.kind === 'all' ? -1 : 0;
    if (lane.kind === 'all') {
      let fewest = Number.POSITIVE_INFINITY;
      lane.waiting.forEach((waiter, index) => {
        if (!this.mayHold(lane, waiter.products)) return;
        const held = Math.max(0, ...waiter.products.map((productId) => lane.heldBy.get(productId) ?? 0));
        if (held < fewest) [fewest, chosen] = [held, index];
      });
    }
    const [next] = chosen < 0 ? [] : lane.waiting.splice(chosen, 1);
    if (next) {
      hold(lane, next.products, 1);
      next.admit();
      return;
    }
    lane.active -= 1;
    this.dropIfIdle(key, lane);
  }

  /**
   * Whether a checkout of these products may take a turn of all: none of
   * them holds half of them already. The other half is always there for
   * the rest of the shop, however large one product's crowd.
   */
  private mayHold(lane: Lane, products: readonly string[]): boolean {
    if (lane.kind !== 'all') return true;
    const share = Math.max(1, Math.floor(lane.concurrency / 2));
    return products.every((productId) => (lane.heldBy.get(productId) ?? 0) < share);
  }

  /**
   * A lane nobody holds, waits in, or was told to come back to (by now) is
   * forgotten. One whose buyers were told to come back stays until its lane
   * is next used: at most one small lane per product.
   */
  private dropIfIdle(key: string, lane: Lane): void {
    if (lane.active === 0 && lane.waiting.length === 0 && lane.comingBack.count(Date.now()) === 0) this.lanes.delete(key);
  }

  /**
   * When a buyer refused now should come back: once the turns ahead of them
   * (the ones held, the waiters before them, and the buyers refused before
   * them and told to come back later than now) have gone through, at the
   * lane's usual pace (a turn's smoothed length over the turns at once); 1
   * to 10 s. Buyers refused one after another are told later and later
   * times, in the order they came, so they come back spread out, not all at
   * once, and the first to come is the first told to come back.
   */
  private retryAfterSeconds(lane: Lane, waitersAhead: number): number {
    const now = Date.now();
    const ahead = lane.active + waitersAhead + lane.comingBack.count(now);
    const seconds = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(((ahead / lane.concurrency) * this.averageTurnMs[lane.kind]) / 1000)));
    lane.comingBack.add(now + seconds * 1000);
    return seconds;
  }

}

import { quietWhileStopping, startPeriodicTask, type BackgroundTask } from '../../../lib/periodic-task';
import type { BackgroundTaskContext } from '../../../lib/subgraph';
import { CheckoutSteps } from '../checkout/checkout-steps';
import { OrderStatus } from '../order-status/order-status.enum';
import { SOLD_STATUSES } from '../order-status/order-status.machine';
import { Order } from '../order/order.entity';
import { OrderRefundStatus } from '../order/order-refund';
import type { OrdersWorkContext } from '../orders.context';
import type { OrdersConfig } from '../orders.config';
import { checkoutDrain } from '../checkout/checkout-runtime';

export interface OrderRecoveryOptions {
  /**
   * Only orders whose checkout began (or whose last status change happened)
   * longer ago than this: a live checkout is never raced by recovery.
   */
  staleAfterMs: number;
  /** Orders per run and kind; the rest wait for the next run. */
  batchSize?: number;
  now?: Date;
}

export interface OrderRecoveryReport {
  /** PENDING orders settled: to PAID (charged) or CANCELLED (declined or never charged). */
  paid: string[];
  cancelled: string[];
  /** Follow-up steps done, as `<orderId>:<step>`. */
  followUps: string[];
  /** Steps that failed again; the next run retries them. */
  failures: string[];
  /** Sold orders whose lapsed stock reservation was taken again and committed. */
  stockRenewed: string[];
  /** Sold orders that need attention after this run: their lapsed stock could not be taken again (marked now, or still). */
  needsAttention: string[];
}

/**
 * Finishes what a crashed or interrupted checkout (or cancellation) left:
 * - a PENDING order older than the timeout is settled by its payment: an
 *   APPROVED charge makes it PAID, a DECLINED one or none CANCELLED;
 * - a PAID (or later) order commits its stock and completes its cart if it
 *   has not yet; a CANCELLED one releases its stock and pays back a
 *   captured payment its cancellation recorded as owed (the process stopped
 *   between the status change and the refund);
 * - a sold order whose reservation expired before it was committed (orders
 *   was down longer than a reservation lives) takes its stock again and
 *   commits it; when the stock is gone it is marked as needing attention
 *   (Order.needsAttention, counted and logged once) and retried at most once
 *   per timeout, apart from the other work, until stock is back or an
 *   operator cancels it.
 * Every step is idempotent, so recovery running beside a retry, or on
 * several replicas at once, does no harm. Reservations whose order was never
 * placed (a crash between reserving and placing) expire in inventory.
 */
export class OrderRecovery {
  constructor(private readonly steps = new CheckoutSteps()) {}

  async run(work: OrdersWorkContext, options: OrderRecoveryOptions): Promise<OrderRecoveryReport> {
    const report: OrderRecoveryReport = { paid: [], cancelled: [], followUps: [], failures: [], stockRenewed: [], needsAttention: [] };
    const cutoff = new Date((options.now ?? new Date()).getTime() - options.staleAfterMs);
    const limit = options.batchSize ?? 100;
    const em = work.em.fork();

    const pending = await em.find(Order, { status: OrderStatus.PENDING, createdAt: { $lt: cutoff } }, { orderBy: { createdAt: 'asc' }, limit, fields: ['id'] });
    for (const { id } of pending) {
      // A fresh entity manager per order: one order's failure or identity map never touches the next.
      const orderWork = { ...work, em: work.em.fork() };
      try {
        const settled = await this.steps.settlePending(orderWork.em, id, { cancelUnpaid: true });
        if (!settled) continue;
        if (settled.changed) (settled.order.status === OrderStatus.PAID ? report.paid : report.cancelled).push(id);
        await this.followUp(orderWork, settled.order, report);
      } catch (error) {
        work.log.error({ err: error, orderId: id }, 'could not settle a PENDING order; retrying at the next run');
        report.failures.push(`${id}:settle`);
      }
    }

    const unfinished = await em.find(
      Order,
      {
        updatedAt: { $lt: cutoff },
        $or: [
          { status: OrderStatus.CANCELLED, $or: [{ stockReleased: false }, { refundStatus: OrderRefundStatus.PENDING }] },
          { status: { $in: [...SOLD_STATUSES] }, attentionReason: null, $or: [{ stockCommitted: false }, { cartCompleted: false }] },
        ],
      },
      { orderBy: { updatedAt: 'asc' }, limit },
    );
    for (const order of unfinished) await this.followUp({ ...work, em: work.em.fork() }, order, report);
    const triedNow = new Set([...pending, ...unfinished].map((order) => order.id));

    // Orders that need attention, apart: however many there are, they never crowd out the work above; each is retried at most once per timeout.
    const needingAttention = await em.find(
      Order,
      {
        status: { $in: [...SOLD_STATUSES] },
        attentionReason: { $ne: null },
        attentionCheckedAt: { $lt: cutoff },
        $or: [{ stockCommitted: false }, { cartCompleted: false }],
      },
      { orderBy: { attentionCheckedAt: 'asc' }, limit },
    );
    for (const order of needingAttention) {
      // One that was marked a moment ago, above, waits for a later run.
      if (!triedNow.has(order.id)) await this.followUp({ ...work, em: work.em.fork() }, order, report);
    }

    const worked = report.paid.length + report.cancelled.length + report.followUps.length + report.failures.length + report.stockRenewed.length;
    // An order marked for attention is logged (and counted) when it is marked, not again at every retry.
    if (worked > 0) {
      work.log.info({ ...report }, 'orders recovery run');
    }
    return report;
  }

  private async followUp(work: OrdersWorkContext, order: Order, report: OrderRecoveryReport): Promise<void> {
    const outcome = await this.steps.followUp(work, order);
    report.followUps.push(...outcome.done.map((step) => `${order.id}:${step}`));
    report.failures.push(...outcome.failed.map(({ step }) => `${order.id}:${step}`));
    if (outcome.stockRenewed) report.stockRenewed.push(order.id);
    if (outcome.needsAttention) report.needsAttention.push(order.id);
  }
}

/** Recovery as a background task of the orders service, with the settings read at start. */
export function startOrderRecovery(context: BackgroundTaskContext<OrdersConfig>): BackgroundTask[] {
  const config = context.config.recovery;
  const recovery = new OrderRecovery();
  const log = context.logger.child({ task: 'order-recovery' });
  const task = startPeriodicTask(
    'order-recovery',
    config.intervalMs,
    async (run) => {
      // Failures while stopping (the pool closing under a run) are expected: logged at debug.
      const runLog = quietWhileStopping(log, run.stopping);
      await recovery.run({ em: context.orm.em.fork(), clients: context.clients, log: runLog }, { staleAfterMs: config.pendingTimeoutMs });
    },
    log,
  );
  // Stopped with the other tasks, before the database closes: checkouts answered PENDING finish first.
  return [task, checkoutDrain(context.config.checkout)];
}

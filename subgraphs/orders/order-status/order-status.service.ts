import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '../../../lib/database';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { Order } from '../order/order.entity';
import { OrderStatusEvent } from './order-status-event.entity';
import { OrderStatus } from './order-status.enum';
import { assertTransition } from './order-status.machine';

/** A status to move to, and why when there is more to say. */
export interface StatusChange {
  to: OrderStatus;
  note?: string | null;
}

export interface TransitionResult {
  /** The order after the call, managed by the transaction's (now finished) entity manager. */
  order: Order;
  changed: boolean;
}

/**
 * Decides the change from the locked, current row; null leaves the order as
 * it is. It may also throw (e.g. NOT_FOUND for someone else's order): the
 * transaction then rolls back with nothing written.
 */
export type ChooseChange = (order: Order, tx: EntityManager) => StatusChange | null | Promise<StatusChange | null>;

function statusEvent(tx: EntityManager, order: Order, previousStatus: OrderStatus | null, status: OrderStatus, at: Date, note: string | null): void {
  tx.create(OrderStatusEvent, { order, status, at, note });
  recordEvent(tx, Topics.ORDER_STATUS_CHANGED, order.id, {
    orderId: order.id,
    userId: order.userId,
    status,
    previousStatus,
    changedAt: at.toISOString(),
  });
}

export class OrderStatusService {
  /**
   * The only way an order's status changes. In one transaction: locks the
   * order row (so concurrent changes of one order queue up and each decides
   * on the status the previous one left), checks the move against the state
   * machine (INVALID_STATUS_TRANSITION), appends the history event, bumps
   * updatedAt and records ORDER_STATUS_CHANGED in the outbox. Null when the
   * order does not exist.
   */
  async transition(em: EntityManager, orderId: string, choose: ChooseChange): Promise<TransitionResult | null> {
    return em.transactional(async (tx) => {
      const order = await tx.findOne(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!order) return null;
      const change = await choose(order, tx);
      if (!change) return { order, changed: false };
      assertTransition(order.status, change.to, { orderId: order.id });
      const previousStatus = order.status;
      const at = new Date();
      order.status = change.to;
      order.updatedAt = at;
      statusEvent(tx, order, previousStatus, change.to, at, change.note ?? null);
      return { order, changed: true };
    });
  }

  /** A new order's first status: its history starts with PENDING and its event is published. Call in the creating transaction. */
  recordPlaced(tx: EntityManager, order: Order): void {
    statusEvent(tx, order, null, OrderStatus.PENDING, order.createdAt, null);
  }
}

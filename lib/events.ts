/**
 * Domain events: written to a subgraph's outbox in the transaction of the
 * change, then published on the event bus. Payloads are plain JSON.
 */
export const Topics = {
  STOCK_CHANGED: 'stock.changed',
  ORDER_STATUS_CHANGED: 'order.status-changed',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/** A product's availability after a change (adjustStock, reserve, release, commit). */
export interface StockChangedEvent {
  productId: string;
  availableQuantity: number;
  inStock: boolean;
  /** ISO 8601 */
  changedAt: string;
}

/** An order moved to a new status. */
export interface OrderStatusChangedEvent {
  orderId: string;
  userId: string;
  status: string;
  previousStatus: string | null;
  /** ISO 8601 */
  changedAt: string;
}

export interface EventPayloads {
  [Topics.STOCK_CHANGED]: StockChangedEvent;
  [Topics.ORDER_STATUS_CHANGED]: OrderStatusChangedEvent;
}

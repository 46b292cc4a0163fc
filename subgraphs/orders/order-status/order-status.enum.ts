import { registerEnumType } from 'type-graphql';

/** Stored as text; the migration's check constraint keeps the column to these values. */
export enum OrderStatus {
  PENDING = 'PENDING',
  PAID = 'PAID',
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
  CANCELLED = 'CANCELLED',
}

registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'Where an order is in its lifecycle: PENDING -> PAID -> SHIPPED -> DELIVERED, or PENDING|PAID -> CANCELLED',
  valuesConfig: {
    PENDING: { description: 'Created, stock reserved, payment not yet captured' },
    PAID: { description: 'Payment captured, stock committed' },
    SHIPPED: { description: 'Handed to the carrier' },
    DELIVERED: { description: 'Received by the customer' },
    CANCELLED: { description: 'Cancelled before shipping; stock released' },
  },
});

/**
 * Position of each status in the state machine. Every transition moves to a
 * higher rank and an order passes each status at most once, so the rank
 * breaks ties between history events recorded in the same millisecond.
 */
export const ORDER_STATUS_RANK: Record<OrderStatus, number> = {
  PENDING: 0,
  PAID: 1,
  SHIPPED: 2,
  DELIVERED: 3,
  CANCELLED: 4,
};

import { registerEnumType } from 'type-graphql';

/** Where the refund of a cancelled order's payment is. Stored as text; the migration's check constraint keeps the column to these values. */
export enum OrderRefundStatus {
  PENDING = 'PENDING',
  REFUNDED = 'REFUNDED',
}

registerEnumType(OrderRefundStatus, {
  name: 'OrderRefundStatus',
  description: "Where the refund of a cancelled order's payment is",
  valuesConfig: {
    PENDING: { description: 'The order was cancelled after its payment was taken, and the shop is paying it back; it finishes by itself' },
    REFUNDED: { description: 'The payment was paid back in full (refundedAmount)' },
  },
});

/** The refund idempotency key of a cancelled order: one full refund per order, however often it is attempted. */
export function cancellationRefundKey(orderId: string): string {
  return `order-cancelled:${orderId}`;
}

import { ErrorCode, graphQLError } from '../../../lib/errors';
import { OrderStatus } from './order-status.enum';

/**
 * The order lifecycle, the only place it is written down: every status
 * change is checked against this table. DELIVERED and CANCELLED are final.
 */
export const ORDER_STATUS_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  [OrderStatus.PENDING]: [OrderStatus.PAID, OrderStatus.CANCELLED],
  [OrderStatus.PAID]: [OrderStatus.SHIPPED, OrderStatus.CANCELLED],
  [OrderStatus.SHIPPED]: [OrderStatus.DELIVERED],
  [OrderStatus.DELIVERED]: [],
  [OrderStatus.CANCELLED]: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_STATUS_TRANSITIONS[from].includes(to);
}

/** The statuses an order may move to from `from`, in lifecycle order. */
export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return ORDER_STATUS_TRANSITIONS[from];
}

export function invalidTransition(from: OrderStatus, to: OrderStatus, extensions: Record<string, unknown> = {}) {
  const allowed = nextStatuses(from);
  const hint = allowed.length > 0 ? `it can only become ${allowed.join(' or ')}` : `${from} is final`;
  return graphQLError(ErrorCode.INVALID_STATUS_TRANSITION, `An order cannot go from ${from} to ${to}: ${hint}`, {
    ...extensions,
    from,
    to,
  });
}

/** Throws INVALID_STATUS_TRANSITION unless the machine allows `from` -> `to`. */
export function assertTransition(from: OrderStatus, to: OrderStatus, extensions: Record<string, unknown> = {}): void {
  if (!canTransition(from, to)) throw invalidTransition(from, to, extensions);
}

/** Statuses in which the order's stock has been sold: its reservation must be committed. */
export const SOLD_STATUSES: readonly OrderStatus[] = [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED];

import { GraphQLError } from 'graphql';
import { OrderStatus } from './order-status.enum';
import { assertTransition, canTransition, nextStatuses, ORDER_STATUS_TRANSITIONS } from './order-status.machine';

const ALL = Object.values(OrderStatus);
const ALLOWED = new Set(['PENDING>PAID', 'PENDING>CANCELLED', 'PAID>SHIPPED', 'PAID>CANCELLED', 'SHIPPED>DELIVERED']);

describe('order status machine', () => {
  it('allows exactly PENDING->PAID->SHIPPED->DELIVERED and PENDING|PAID->CANCELLED', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        expect([`${from}>${to}`, canTransition(from, to)]).toEqual([`${from}>${to}`, ALLOWED.has(`${from}>${to}`)]);
      }
    }
  });

  it('has a row for every status and treats DELIVERED and CANCELLED as final', () => {
    expect(Object.keys(ORDER_STATUS_TRANSITIONS).sort()).toEqual([...ALL].sort());
    expect(nextStatuses(OrderStatus.DELIVERED)).toEqual([]);
    expect(nextStatuses(OrderStatus.CANCELLED)).toEqual([]);
  });

  it('never allows staying in the same status', () => {
    for (const status of ALL) expect(canTransition(status, status)).toBe(false);
  });

  it('reaches every status from PENDING and never goes back', () => {
    const rank = (status: OrderStatus) => ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED'].indexOf(status);
    const reachable = new Set<OrderStatus>([OrderStatus.PENDING]);
    const queue = [OrderStatus.PENDING];
    while (queue.length > 0) {
      const from = queue.shift()!;
      for (const to of nextStatuses(from)) {
        if (to !== OrderStatus.CANCELLED) expect(rank(to)).toBeGreaterThan(rank(from));
        if (!reachable.has(to)) {
          reachable.add(to);
          queue.push(to);
        }
      }
    }
    expect([...reachable].sort()).toEqual([...ALL].sort());
  });

  it('throws INVALID_STATUS_TRANSITION with both statuses for a forbidden change', () => {
    expect(() => assertTransition(OrderStatus.PAID, OrderStatus.SHIPPED)).not.toThrow();
    let thrown: unknown;
    try {
      assertTransition(OrderStatus.SHIPPED, OrderStatus.PAID, { orderId: 'x' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphQLError);
    const error = thrown as GraphQLError;
    expect(error.extensions).toEqual({ code: 'INVALID_STATUS_TRANSITION', from: 'SHIPPED', to: 'PAID', orderId: 'x' });
    expect(error.message).toBe('An order cannot go from SHIPPED to PAID: it can only become DELIVERED');
    expect(() => assertTransition(OrderStatus.CANCELLED, OrderStatus.PAID)).toThrow('CANCELLED is final');
  });
});

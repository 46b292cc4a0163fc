import type { EntityManager } from '../../../lib/database';
import { ErrorCode, graphQLError } from '../../../lib/errors';
import type { Order } from '../order/order.entity';
import { DiscountRedemption } from './discount-redemption.entity';

/** Which usage limit of a code an order would exceed (DISCOUNT_CODE_LIMIT_REACHED's extensions.limit). */
enum DiscountLimit {
  TOTAL = 'TOTAL',
  PER_CUSTOMER = 'PER_CUSTOMER',
}

/** A discount code as cart's checkout quote gives it: which code, and its limits (null: unlimited). */
export interface QuotedDiscount {
  codeId: string;
  code: string;
  usageLimit: number | null;
  usageLimitPerCustomer: number | null;
}

export interface Redemption {
  order: Order;
  userId: string;
  /** Minor units taken off the order, in its currency. */
  amount: number;
  currency: string;
}

const discountLimitReached = (code: string, limit: DiscountLimit) =>
  graphQLError(
    ErrorCode.DISCOUNT_CODE_LIMIT_REACHED,
    limit === DiscountLimit.TOTAL
      ? `The discount code ${code} has been used as often as it may be: remove it from the cart and check out again`
      : `You have used the discount code ${code} as often as one customer may: remove it from the cart and check out again`,
    // extensions.code is the error's code: the discount code goes beside it.
    { discountCode: code, limit },
  );

/**
 * Usage limits of discount codes, enforced where orders are placed. Counting
 * the uses and recording a new one must not interleave with another checkout
 * of the same code, or 20 concurrent checkouts of a code limited to 5 could
 * all count 4: a transaction-scoped advisory lock per code queues them (only
 * checkouts of the same code wait for each other, and the lock goes with the
 * transaction, whatever ends it). Under READ COMMITTED each statement after
 * the lock sees every use committed before it was granted.
 */
export class DiscountRedemptions {
  /**
   * Records the order's use of the code in `tx` (the transaction placing the
   * order), or throws DISCOUNT_CODE_LIMIT_REACHED (extensions.limit TOTAL or
   * PER_CUSTOMER, and discountCode) when a limit is reached, which rolls the
   * placing back. A use already recorded for this order (a duplicate of the
   * same checkout) is not counted against it.
   */
  async redeem(tx: EntityManager, discount: QuotedDiscount, redemption: Redemption): Promise<void> {
    const connection = tx.getConnection();
    await connection.execute(`select pg_advisory_xact_lock(hashtext('discount-code:' || ?::text))`, [discount.codeId], 'all', tx.getTransactionContext());
    if (discount.usageLimit != null || discount.usageLimitPerCustomer != null) {
      const [counts] = await connection.execute<{ total: string; mine: string }[]>(
        `select count(*) as total, count(*) filter (where user_id = ?) as mine from discount_redemption where code_id = ? and order_id <> ?`,
        [redemption.userId, discount.codeId, redemption.order.id],
        'all',
        tx.getTransactionContext(),
      );
      if (discount.usageLimit != null && Number(counts.total) >= discount.usageLimit) throw discountLimitReached(discount.code, DiscountLimit.TOTAL);
      if (discount.usageLimitPerCustomer != null && Number(counts.mine) >= discount.usageLimitPerCustomer) {
        throw discountLimitReached(discount.code, DiscountLimit.PER_CUSTOMER);
      }
    }
    tx.create(DiscountRedemption, { codeId: discount.codeId, code: discount.code, ...redemption });
  }

  /** Gives the order's use back (its PENDING order is cancelled without a captured payment). Call in the cancelling transaction. */
  async release(tx: EntityManager, orderId: string): Promise<void> {
    await tx.nativeDelete(DiscountRedemption, { order: orderId });
  }

  /** The order's recorded use, if any. */
  async forOrder(em: EntityManager, orderId: string): Promise<DiscountRedemption | null> {
    return em.findOne(DiscountRedemption, { order: orderId }, { refresh: true });
  }
}

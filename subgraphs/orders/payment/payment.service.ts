import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { badUserInput } from '../../../lib/errors';
import type { EntityManager } from '../../../lib/database';
import { Payment, PaymentOutcome, PaymentRefund } from './payment.entity';
import type { PaymentAmount, PaymentProvider } from './payment-provider';

/** The mock provider's test tokens and what it answers to each; any other token is not a token of this provider. */
export const PAYMENT_TOKEN_OUTCOMES: Readonly<Record<string, PaymentOutcome>> = {
  tok_visa: PaymentOutcome.APPROVED,
  tok_declined: PaymentOutcome.DECLINED,
};

export function isKnownPaymentToken(token: string): boolean {
  return Object.hasOwn(PAYMENT_TOKEN_OUTCOMES, token);
}

export function assertKnownPaymentToken(token: string): void {
  if (!isKnownPaymentToken(token)) {
    throw badUserInput(`Unknown payment token: use one of ${Object.keys(PAYMENT_TOKEN_OUTCOMES).join(', ')}`, { argumentName: 'input.paymentToken' });
  }
}

/**
 * A mock payment provider that behaves like a real one where it matters to
 * the saga: the order id is the payment's idempotency key, so however often a
 * charge is attempted for an order, the card is charged at most once and
 * every attempt gets the first attempt's outcome; a refund is recorded once
 * per its own key. Approving and capturing are separate calls, as with a real
 * provider; `charge` does both at once, which is what checkout uses.
 */
export class PaymentService implements PaymentProvider {
  /**
   * Authorizes and captures in one call (one row written, as before capture
   * was a call of its own): an approved charge is always captured. Should
   * the key hold an authorization alone, that is captured now.
   */
  async charge(em: EntityManager, orderId: string, token: string, amount: PaymentAmount): Promise<Payment> {
    const payment = await this.record(em, orderId, token, amount, { capture: true });
    return payment.outcome === PaymentOutcome.APPROVED && !payment.capturedAt ? this.capture(em, orderId) : payment;
  }

  async authorize(em: EntityManager, orderId: string, token: string, amount: PaymentAmount): Promise<Payment> {
    return this.record(em, orderId, token, amount, { capture: false });
  }

  private async record(em: EntityManager, orderId: string, token: string, amount: PaymentAmount, options: { capture: boolean }): Promise<Payment> {
    assertKnownPaymentToken(token);
    const outcome = PAYMENT_TOKEN_OUTCOMES[token];
    const now = new Date();
    const capturedAt = options.capture && outcome === PaymentOutcome.APPROVED ? now : null;
    // Concurrent attempts race on the unique order id; the loser reads the winner's row.
    await em
      .createQueryBuilder(Payment)
      .insert({ id: randomUUID(), orderId, token, amount: amount.amount, currency: amount.currency, outcome, capturedAt, createdAt: now })
      .onConflict('orderId')
      .ignore()
      .execute();
    return em.findOneOrFail(Payment, { orderId }, { refresh: true });
  }

  async capture(em: EntityManager, orderId: string): Promise<Payment> {
    await em.nativeUpdate(Payment, { orderId, outcome: PaymentOutcome.APPROVED, capturedAt: null }, { capturedAt: new Date() });
    const payment = await em.findOne(Payment, { orderId }, { refresh: true });
    if (payment?.outcome !== PaymentOutcome.APPROVED) throw new Error(`No approved payment to capture for order ${orderId}`);
    return payment;
  }

  async refund(em: EntityManager, idempotencyKey: string, orderId: string, amount: PaymentAmount): Promise<PaymentRefund> {
    return em.transactional(async (tx) => {
      // The payment row's lock puts refunds of one payment in a queue, so their sum is checked against what the others left.
      const payment = await tx.findOne(Payment, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const recorded = await tx.findOne(PaymentRefund, { idempotencyKey }, { refresh: true });
      if (recorded) return recorded;
      if (!payment?.capturedAt) throw new Error(`Nothing was captured for order ${orderId}: there is nothing to refund`);
      if (amount.currency !== payment.currency) throw new Error(`A refund of order ${orderId} must be in ${payment.currency}`);
      const refunded = (await tx.find(PaymentRefund, { orderId })).reduce((sum, refund) => sum + refund.amount, 0);
      if (amount.amount <= 0 || refunded + amount.amount > payment.amount) {
        throw new Error(`Cannot refund ${amount.amount} of order ${orderId}: ${payment.amount - refunded} of ${payment.amount} is left to refund`);
      }
      return tx.create(PaymentRefund, { idempotencyKey, orderId, amount: amount.amount, currency: amount.currency, createdAt: new Date() });
    });
  }

  /** What was recorded for the order, if it was ever charged. */
  async forOrder(em: EntityManager, orderId: string): Promise<Payment | null> {
    return em.findOne(Payment, { orderId }, { refresh: true });
  }

  /** The refunds recorded for the order's payment, oldest first. */
  async refundsFor(em: EntityManager, orderId: string): Promise<PaymentRefund[]> {
    return em.find(PaymentRefund, { orderId }, { orderBy: { createdAt: 'asc', id: 'asc' }, refresh: true });
  }
}

import { randomUUID } from 'node:crypto';
import { badUserInput } from '../../../lib/errors';
import type { EntityManager } from '../../../lib/database';
import { Payment, PaymentOutcome } from './payment.entity';

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
 * the saga: the order id is the idempotency key, so however often a charge is
 * attempted for an order, the card is charged at most once and every attempt
 * gets the first attempt's outcome.
 */
export class PaymentService {
  async charge(em: EntityManager, orderId: string, token: string, amount: { amount: number; currency: string }): Promise<Payment> {
    assertKnownPaymentToken(token);
    const outcome = PAYMENT_TOKEN_OUTCOMES[token];
    // Concurrent attempts race on the unique order id; the loser reads the winner's row.
    await em
      .createQueryBuilder(Payment)
      .insert({ id: randomUUID(), orderId, token, amount: amount.amount, currency: amount.currency, outcome, createdAt: new Date() })
      .onConflict('orderId')
      .ignore()
      .execute();
    return em.findOneOrFail(Payment, { orderId }, { refresh: true });
  }

  /** What was recorded for the order, if it was ever charged. */
  async forOrder(em: EntityManager, orderId: string): Promise<Payment | null> {
    return em.findOne(Payment, { orderId }, { refresh: true });
  }
}

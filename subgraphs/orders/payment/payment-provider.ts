import type { EntityManager } from '../../../lib/database';
import type { Payment, PaymentRefund } from './payment.entity';

/** An amount in minor units. */
export interface PaymentAmount {
  amount: number;
  currency: string;
}

/**
 * What the saga needs from a payment provider. Every call carries an
 * idempotency key: a retry with the same key gets the first call's outcome
 * and never charges or refunds a second time. A payment's key is its order
 * id. The entity manager is the caller's (its transaction, when it has one).
 */
export interface PaymentProvider {
  /** Authorizes `amount` on the token: APPROVED or DECLINED, once per key. BAD_USER_INPUT for a token the provider does not know. */
  authorize(em: EntityManager, paymentKey: string, token: string, amount: PaymentAmount): Promise<Payment>;
  /** Captures an APPROVED authorization in full; a no-op when already captured. Throws when there is no approved authorization. */
  capture(em: EntityManager, paymentKey: string): Promise<Payment>;
  /**
   * Pays `amount` of a captured payment back, once per `idempotencyKey`.
   * Throws when nothing was captured or the refunds would exceed the capture.
   */
  refund(em: EntityManager, idempotencyKey: string, paymentKey: string, amount: PaymentAmount): Promise<PaymentRefund>;
  /** What was recorded for the payment, if it was ever authorized. */
  forOrder(em: EntityManager, paymentKey: string): Promise<Payment | null>;
}

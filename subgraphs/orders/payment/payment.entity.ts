import { Check, Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export enum PaymentOutcome {
  APPROVED = 'APPROVED',
  DECLINED = 'DECLINED',
}

/**
 * The mock payment provider's ledger: at most one charge per order, whatever
 * the number of attempts, so a retried checkout (or recovery) reads the
 * recorded outcome instead of charging again. Not exposed in the API.
 */
@Entity({ tableName: 'payment' })
@Unique({ name: 'payment_order_id_unique', properties: ['orderId'] })
@Check({ name: 'payment_amount_check', expression: 'amount >= 0' })
@Check({ name: 'payment_currency_check', expression: "currency ~ '^[A-Z]{3}$'" })
export class Payment {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The order paid for, and the provider's idempotency key. By id only: the ledger stands for an outside provider. */
  @Property({ type: 'uuid' })
  orderId!: string;

  @Property({ type: 'text' })
  token!: string;

  /** Minor units. */
  @Property({ type: 'integer' })
  amount!: number;

  @Property({ length: 3 })
  currency!: string;

  /** The authorization's outcome. */
  @Enum({ items: () => PaymentOutcome })
  outcome!: PaymentOutcome;

  /** When the approved amount was captured (taken); null while it is only authorized, and always for a declined one. */
  @Property({ columnType: 'timestamptz(3)', nullable: true })
  capturedAt?: Date | null;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

/**
 * A refund in the mock provider's ledger: one row per idempotency key, so a
 * retried refund reads the recorded one instead of paying back twice. The
 * refunds of a payment never add up to more than it captured.
 */
@Entity({ tableName: 'payment_refund' })
@Unique({ name: 'payment_refund_idempotency_key_unique', properties: ['idempotencyKey'] })
@Check({ name: 'payment_refund_amount_check', expression: 'amount > 0' })
@Check({ name: 'payment_refund_currency_check', expression: "currency ~ '^[A-Z]{3}$'" })
export class PaymentRefund {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The caller's idempotency key for this refund. */
  @Property({ type: 'text' })
  idempotencyKey!: string;

  /** The refunded payment's key: the order it paid for. By id only, as for the payment. */
  @Property({ type: 'uuid', index: 'payment_refund_order_id_idx' })
  orderId!: string;

  /** Minor units. */
  @Property({ type: 'integer' })
  amount!: number;

  @Property({ length: 3 })
  currency!: string;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

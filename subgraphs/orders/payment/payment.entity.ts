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

  @Enum({ items: () => PaymentOutcome })
  outcome!: PaymentOutcome;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

import { Collection, Entity, Enum, Index, OneToMany, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ReservationLine } from './reservation-line.entity';

export enum ReservationStatus {
  /** Units are held (stock_level.reserved) until commit, release or expiry. */
  ACTIVE = 'ACTIVE',
  /** Sold: the units left onHand and reserved together. */
  COMMITTED = 'COMMITTED',
  /** Given back before it was sold (cancelled checkout or expiry). */
  RELEASED = 'RELEASED',
  /** Sold, then given back to onHand (a cancelled paid order). */
  RESTOCKED = 'RESTOCKED',
}

/**
 * Stock held for one order. The order id is unique: it is the idempotency key
 * of reserve, release and commit, and the row is the lock that serializes
 * them for one order.
 */
@Entity({ tableName: 'reservation' })
@Index({
  name: 'reservation_active_expires_at_idx',
  expression: `create index "reservation_active_expires_at_idx" on "reservation" ("expires_at") where "status" = 'ACTIVE'`,
})
export class Reservation {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Orders' id; no foreign key (database per service). */
  @Property({ type: 'uuid', unique: true })
  orderId!: string;

  @Enum({ items: () => ReservationStatus })
  status!: ReservationStatus;

  /** The sweeper releases ACTIVE reservations past this instant. */
  @Property({ columnType: 'timestamptz(3)' })
  expiresAt!: Date;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @OneToMany(() => ReservationLine, (line) => line.reservation)
  lines = new Collection<ReservationLine>(this);
}

import { Check, Collection, Embedded, Entity, Enum, Index, OneToMany, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatusEvent } from '../order-status/order-status-event.entity';
import { OrderStatus } from '../order-status/order-status.enum';
import { PostalAddress } from '../../../lib/address';

/**
 * Order numbers come from a PostgreSQL sequence (created with the table), so
 * concurrent checkouts never share one and no extra round trip is needed: the
 * insert's RETURNING hands the number back. At least six digits, never
 * truncated.
 */
export const ORDER_NUMBER_DEFAULT = "format_order_number(nextval('order_number_seq'::regclass))";

/** `order` is a reserved word in PostgreSQL; this name spares hand-written SQL the quoting. */
@ObjectType({ description: 'A placed order: a snapshot of what was bought, at which prices, shipped where.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'customer_order' })
@Index({ name: 'customer_order_user_id_created_at_id_idx', properties: ['userId', 'createdAt', 'id'] })
@Unique({ name: 'customer_order_user_id_idempotency_key_unique', properties: ['userId', 'idempotencyKey'] })
@Check({ name: 'customer_order_total_amount_check', expression: 'total_amount >= 0' })
@Check({ name: 'customer_order_currency_check', expression: "currency ~ '^[A-Z]{3}$'" })
export class Order {
  [OptionalProps]?: 'number' | 'status' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Human-readable unique order number, e.g. "ORD-000123"' })
  @Property({ type: 'text', unique: true, defaultRaw: ORDER_NUMBER_DEFAULT })
  number!: string;

  /** The buyer; a key into users' database, so no foreign key. Exposed as `user`. */
  @Property({ type: 'uuid' })
  userId!: string;

  @Field(() => OrderStatus, { description: 'Where the order is in its lifecycle' })
  @Enum({ items: () => OrderStatus })
  status: OrderStatus = OrderStatus.PENDING;

  /** Minor units, the sum of the line totals at checkout; exposed as `total: Money`. */
  @Property({ type: 'integer' })
  totalAmount!: number;

  @Property({ length: 3 })
  currency!: string;

  @Embedded(() => PostalAddress, { prefix: 'shipping_' })
  shippingAddress!: PostalAddress;

  /**
   * The client's key for one checkout attempt: a retry with the same key
   * finds this order instead of placing a second one. Unique per user.
   */
  @Property({ type: 'text', nullable: true })
  idempotencyKey?: string | null;

  @OneToMany(() => OrderItem, (item) => item.order)
  items = new Collection<OrderItem>(this);

  @OneToMany(() => OrderStatusEvent, (event) => event.order)
  statusEvents = new Collection<OrderStatusEvent>(this);

  @Field({ description: 'When the order was placed' })
  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Field({ description: 'When the order last changed (e.g. its status)' })
  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ObjectType } from 'type-graphql';
import { Order } from '../order/order.entity';
import { OrderStatus } from './order-status.enum';

/** Append-only: one row per status an order entered, the first being PENDING. */
@ObjectType({ description: 'A status an order entered, and when' })
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'order_status_event' })
@Index({ name: 'order_status_event_order_id_at_idx', properties: ['order', 'at'] })
export class OrderStatusEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  @Field(() => OrderStatus, { description: 'The status the order entered' })
  @Enum({ items: () => OrderStatus })
  status!: OrderStatus;

  @Field({ description: 'When the order entered it' })
  @Property({ columnType: 'timestamptz(3)' })
  at: Date = new Date();

  @Field(() => String, { nullable: true, description: 'Why, when there is more to say (e.g. a cancellation reason)' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;
}

import { ArrayType, Check, Collection, Embedded, Entity, Enum, Index, OneToMany, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatusEvent } from '../order-status/order-status-event.entity';
import { OrderStatus } from '../order-status/order-status.enum';
import { OrderAttentionReason } from './order-attention';
import { OrderRefundStatus } from './order-refund';
import { PostalAddress } from '../../../lib/address';

/**
 * Order numbers come from a PostgreSQL sequence (created with the table), so
 * concurrent checkouts never share one and no extra round trip is needed: the
 * insert's RETURNING hands the number back. At least six digits, never
 * truncated.
 */
export const ORDER_NUMBER_DEFAULT = "format_order_number(nextval('order_number_seq'::regclass))";

/** The rows recovery looks at: a checkout left PENDING, or a follow-up step not known done. */
const NEEDS_RECOVERY_SQL =
  "status = 'PENDING' or (status = 'CANCELLED' and (not stock_released or refund_status = 'PENDING')) or (status in ('PAID', 'SHIPPED', 'DELIVERED') and not (stock_committed and cart_completed))";

const ORDER_RECOVERY_INDEX = `create index "customer_order_recovery_idx" on "customer_order" ("created_at") where ${NEEDS_RECOVERY_SQL}`;

/** `order` is a reserved word in PostgreSQL; this name spares hand-written SQL the quoting. */
@ObjectType({ description: 'A placed order: a snapshot of what was bought, at which prices, shipped where.' })
@Directive('@key(fields: "id")')
// A buyer's order: never shared between viewers (its lines, history and connection types likewise).
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'customer_order' })
@Index({ name: 'customer_order_user_id_created_at_id_idx', properties: ['userId', 'createdAt', 'id'] })
/** Only the orders recovery has work on; stays tiny, since a healthy checkout leaves none behind. */
@Index({ name: 'customer_order_recovery_idx', expression: ORDER_RECOVERY_INDEX })
/**
 * A cart is bought by at most one order: two checkouts of one cart under
 * different keys (a double submit) cannot both be charged. A cancelled order
 * lets go of its cart, which can then be checked out again.
 */
@Index({
  name: 'customer_order_cart_id_live_unique',
  expression: `create unique index "customer_order_cart_id_live_unique" on "customer_order" ("cart_id") where "status" <> 'CANCELLED'`,
})
@Unique({ name: 'customer_order_user_id_idempotency_key_unique', properties: ['userId', 'idempotencyKey'] })
@Check({ name: 'customer_order_total_amount_check', expression: 'total_amount >= 0' })
@Check({ name: 'customer_order_currency_check', expression: "currency ~ '^[A-Z]{3}$'" })
@Check({ name: 'customer_order_refunded_amount_check', expression: 'refunded_amount >= 0' })
@Check({
  name: 'customer_order_cost_amounts_check',
  expression: 'subtotal_amount >= 0 and discounts_amount >= 0 and discounts_amount <= subtotal_amount and shipping_amount >= 0 and tax_amount >= 0',
})
/** What was charged is the breakdown's total, always. */
@Check({ name: 'customer_order_cost_total_check', expression: 'total_amount = subtotal_amount - discounts_amount + shipping_amount + tax_amount' })
export class Order {
  [OptionalProps]?:
    | 'number'
    | 'status'
    | 'createdAt'
    | 'updatedAt'
    | 'stockCommitted'
    | 'stockReleased'
    | 'cartCompleted'
    | 'refundedAmount'
    | 'discountsAmount'
    | 'shippingAmount'
    | 'taxAmount'
    | 'discountCodes';

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

  /**
   * Minor units: what the buyer was charged, subtotal - discounts + shipping
   * + tax as cart quoted them at checkout (orders placed before the
   * breakdown: the sum of the line totals). Exposed as `total` and `cost.total`.
   */
  @Property({ type: 'integer' })
  totalAmount!: number;

  /*
   * The breakdown of the total, copied from cart's quote at checkout and
   * never recomputed (exposed as `cost`). Orders placed before it existed:
   * subtotal = total, the rest 0.
   */

  /** Minor units: the lines at the prices paid. */
  @Property({ type: 'integer' })
  subtotalAmount!: number;

  /** Minor units, >= 0: what the discount code took off. */
  @Property({ type: 'integer', default: 0 })
  discountsAmount: number = 0;

  /** Minor units: the shipping rate of the chosen method. */
  @Property({ type: 'integer', default: 0 })
  shippingAmount: number = 0;

  /** Minor units: tax on the discounted subtotal plus shipping, at the destination's rate. */
  @Property({ type: 'integer', default: 0 })
  taxAmount: number = 0;

  /** The shipping method chosen at checkout, as it was named then (exposed as `shippingMethod`); all null for orders placed before shipping methods. */
  @Property({ type: 'text', nullable: true })
  shippingMethodId?: string | null;

  @Property({ type: 'text', nullable: true })
  shippingMethodName?: string | null;

  @Property({ type: 'text', nullable: true })
  shippingMethodDescription?: string | null;

  /** The discount codes the order was placed with (upper case, as cart stores them); the use that counts against a code's limits is its DiscountRedemption. */
  @Property({ type: ArrayType, columnType: 'text[]', default: '{}' })
  discountCodes: string[] = [];

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

  /** The cart the order was placed from: checkout completes it, and a retried key must name the same one. */
  @Property({ type: 'uuid', nullable: true })
  cartId?: string | null;

  /** Digest of the cart lines (variant and quantity; for orders from before variants, product and quantity, which digests the same) at checkout: a reused key over changed lines is refused. */
  @Property({ type: 'text', nullable: true })
  linesFingerprint?: string | null;

  /** Digest of the rest of the checkout request (the cart named, shipping address, payment token, shipping method): a reused key asking for anything else is refused. Null for orders placed before it was kept. */
  @Property({ type: 'text', nullable: true })
  requestFingerprint?: string | null;

  /*
   * Follow-up steps of checkout that run after the status change, each in
   * another subgraph. Each flag is set once its step is known done, so
   * recovery redoes exactly what is missing (every step is idempotent).
   */

  /** inventory's reservation turned into a sale (PAID and later). */
  @Property({ default: false })
  stockCommitted: boolean = false;

  /** inventory's reservation (or sale) given back (CANCELLED). */
  @Property({ default: false })
  stockReleased: boolean = false;

  /** The cart marked checked out by this order, which empties it for the user. */
  @Property({ default: false })
  cartCompleted: boolean = false;

  /**
   * The refund owed by a cancellation: set to PENDING in the transaction that
   * cancels an order whose payment was captured (the intent, which recovery
   * finds if the process stops before refunding), REFUNDED once the provider
   * recorded the refund. Null when nothing is owed (never captured).
   */
  @Enum({ items: () => OrderRefundStatus, nullable: true })
  refundStatus?: OrderRefundStatus | null;

  /** Minor units, in the order's currency: what was paid back. Exposed as `refundedAmount: Money`. */
  @Property({ type: 'integer', default: 0 })
  refundedAmount: number = 0;

  /**
   * Why a sold order cannot be settled by the saga alone and a person should
   * look (null: nothing to see). Set when its lapsed reservation could not be
   * taken again; cleared when its stock is committed after all. Exposed as
   * `needsAttention` and `attentionReason`.
   */
  @Enum({ items: () => OrderAttentionReason, nullable: true })
  attentionReason?: OrderAttentionReason | null;

  /** When recovery last tried to settle an order that needs attention: it retries each one at most once per timeout. */
  @Property({ columnType: 'timestamptz(3)', nullable: true })
  attentionCheckedAt?: Date | null;

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

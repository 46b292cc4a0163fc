import { Check, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Order } from '../order/order.entity';

/**
 * One use of a discount code: the order placed with it. Usage limits are
 * counted here, in orders' own database, because only the transaction that
 * places an order can count and record a use atomically (cart, which owns the
 * codes, only quotes them). The row is written with its order and deleted in
 * the transaction that cancels a PENDING order whose payment was never
 * captured, so only orders that were or are being paid use the code. Not
 * exposed in the API (Order.discountCodes is the order's own snapshot).
 */
@Entity({ tableName: 'discount_redemption' })
@Unique({ name: 'discount_redemption_order_id_unique', properties: ['order'] })
/** What the limit checks count: all uses of a code, and one customer's. */
@Index({ name: 'discount_redemption_code_id_user_id_idx', properties: ['codeId', 'userId'] })
@Check({ name: 'discount_redemption_amount_check', expression: 'amount >= 0' })
@Check({ name: 'discount_redemption_currency_check', expression: "currency ~ '^[A-Z]{3}$'" })
export class DiscountRedemption {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** cart's DiscountCode id; cart's database is not ours, so no foreign key. */
  @Property({ type: 'uuid' })
  codeId!: string;

  /** The code as cart stores it (upper case), for people reading the table. */
  @Property({ type: 'text' })
  code!: string;

  /** The order placed with the code, at most one use per order; the row lives and dies with its order. */
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  /** The buyer: per-customer limits count their uses. */
  @Property({ type: 'uuid' })
  userId!: string;

  /** Minor units: what the code took off the order. */
  @Property({ type: 'integer' })
  amount!: number;

  @Property({ length: 3 })
  currency!: string;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

import { Check, Entity, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Order } from '../order/order.entity';

/**
 * One line of an order. The price is copied from catalog at checkout and
 * never changes afterwards, whatever happens to the product's price. One line
 * per product; the unique index also serves the per-order lookup.
 */
@ObjectType({ description: 'A line of an order: a product, how many, at the price paid' })
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'order_item' })
@Unique({ name: 'order_item_order_id_product_id_unique', properties: ['order', 'productId'] })
@Check({ name: 'order_item_quantity_check', expression: 'quantity > 0' })
@Check({ name: 'order_item_unit_price_amount_check', expression: 'unit_price_amount >= 0' })
@Check({ name: 'order_item_currency_check', expression: "currency ~ '^[A-Z]{3}$'" })
export class OrderItem {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  /** A catalog product id; catalog's database is not ours, so no foreign key. Exposed as `product`. */
  @Property({ type: 'uuid' })
  productId!: string;

  @Field(() => Int, { description: 'How many were bought, at least 1' })
  @Property({ type: 'integer' })
  quantity!: number;

  /** Minor units, the catalog price at checkout; exposed as `unitPrice: Money`. */
  @Property({ type: 'integer' })
  unitPriceAmount!: number;

  @Property({ length: 3 })
  currency!: string;
}

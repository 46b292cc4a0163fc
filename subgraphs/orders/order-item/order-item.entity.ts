import { Check, Entity, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Order } from '../order/order.entity';

/**
 * One line of an order. The price is copied from cart's quote (catalog's
 * price of the variant) at checkout and never changes afterwards, whatever
 * happens to the variant's price. One line per variant; the unique index also
 * serves the per-order lookup.
 */
@ObjectType({ description: 'A line of an order: a product, how many, at the price paid' })
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'order_item' })
@Unique({ name: 'order_item_order_id_variant_id_unique', properties: ['order', 'variantId'] })
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

  /** The variant bought, one of the product's (its default variant has the product's id; lines from before variants name it). Exposed as `variant`. */
  @Property({ type: 'uuid' })
  variantId!: string;

  @Field(() => Int, { description: 'How many were bought, at least 1' })
  @Property({ type: 'integer' })
  quantity!: number;

  /** Minor units, the variant's price at checkout, as cart quoted it; exposed as `unitPrice: Money`. */
  @Property({ type: 'integer' })
  unitPriceAmount!: number;

  @Property({ length: 3 })
  currency!: string;
}

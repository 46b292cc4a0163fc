import { Check, Entity, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Cart } from '../cart/cart.entity';

@ObjectType({ description: 'One line of a cart: a product and how many of it. Priced at the current catalog price.' })
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'cart_item' })
// One line per product: adding a product again raises the quantity instead.
@Unique({ name: 'cart_item_cart_id_product_id_unique', properties: ['cart', 'productId'] })
@Check<CartItem>({ name: 'cart_item_quantity_positive', expression: (columns) => `${columns.quantity} > 0` })
export class CartItem {
  [OptionalProps]?: 'createdAt';

  @Field(() => ID, { description: 'Stable identifier of the line, used to change or remove it' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Indexed through the (cart, product) unique constraint, whose first column is the cart. */
  @ManyToOne(() => Cart, { deleteRule: 'cascade' })
  cart!: Cart;

  /** A catalog product; exposed as `product: Product!` by reference. */
  @Property({ type: 'uuid' })
  productId!: string;

  @Field(() => Int, { description: 'How many units; always at least 1' })
  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

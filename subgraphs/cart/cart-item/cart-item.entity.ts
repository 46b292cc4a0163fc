import { Check, Entity, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Cart } from '../cart/cart.entity';

@ObjectType({ description: "One line of a cart: a product's variant and how many of it. Priced at the variant's current catalog price." })
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'cart_item' })
// One line per variant: adding a variant again raises the quantity instead (two variants of a product are two lines).
@Unique({ name: 'cart_item_cart_id_variant_id_unique', properties: ['cart', 'variantId'] })
@Check<CartItem>({ name: 'cart_item_quantity_positive', expression: (columns) => `${columns.quantity} > 0` })
export class CartItem {
  [OptionalProps]?: 'createdAt';

  @Field(() => ID, { description: 'Stable identifier of the line, used to change or remove it' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Indexed through the (cart, variant) unique constraint, whose first column is the cart. */
  @ManyToOne(() => Cart, { deleteRule: 'cascade' })
  cart!: Cart;

  /** A catalog product; exposed as `product: Product!` by reference. */
  @Property({ type: 'uuid' })
  productId!: string;

  /**
   * One of the product's variants; exposed as `variant: ProductVariant!` by
   * reference. Lines from before variants hold the product's id, which is its
   * default variant's.
   */
  @Property({ type: 'uuid' })
  variantId!: string;

  @Field(() => Int, { description: 'How many units; always at least 1' })
  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

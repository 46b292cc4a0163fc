import { Check, Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * Where a cart is in its life. Only ACTIVE carts are shown or changed; the
 * others are kept for history (and so a retried checkout can find its cart).
 * Internal: not part of the GraphQL schema.
 */
export enum CartStatus {
  ACTIVE = 'ACTIVE',
  /** A guest cart whose lines were folded into a user's cart. */
  MERGED = 'MERGED',
  /** Turned into an order. */
  CHECKED_OUT = 'CHECKED_OUT',
}

@ObjectType({
  description:
    "A shopping cart: a guest cart or a signed-in user's cart. A guest cart belongs to no account: its id is a bearer capability, so whoever holds the id can read and change the cart; keep it as secret as a session token. A user's cart is visible only to that user (and to an ADMIN). Prices are always the current catalog prices.",
})
@Directive('@key(fields: "id")')
// A shopper's cart (a guest cart's id is a secret): never shared between viewers.
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'cart' })
// A user has at most one ACTIVE cart; guest carts (no user) and finished carts are not limited.
@Unique({
  name: 'cart_user_id_active_unique',
  expression: `create unique index "cart_user_id_active_unique" on "cart" ("user_id") where "user_id" is not null and "status" = 'ACTIVE'`,
})
// A checked-out cart always names its order, and only a checked-out cart does.
@Check({ name: 'cart_order_id_when_checked_out', expression: `("status" = 'CHECKED_OUT') = ("order_id" is not null)` })
export class Cart {
  [OptionalProps]?: 'status' | 'createdAt' | 'updatedAt';

  @Field(() => ID, {
    description:
      'Stable identifier, random and unguessable. For a guest cart it is the only key to the cart (a bearer capability): store it like a session token and never share it.',
  })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The owning user (owned by the users subgraph); null for a guest cart. */
  @Property({ type: 'uuid', nullable: true })
  userId?: string | null;

  /**
   * The order (orders subgraph) that bought this cart: set when the cart is
   * checked out, so a retried checkout of the same order is recognised.
   * Unique: one order buys one cart.
   */
  @Property({ type: 'uuid', nullable: true, unique: 'cart_order_id_unique' })
  orderId?: string | null;

  /**
   * The discount code applied to the cart (at most one for now), or null.
   * Whether it applies is decided whenever the cart is priced.
   */
  @Property({ type: 'uuid', nullable: true })
  discountCodeId?: string | null;

  @Enum({ items: () => CartStatus, default: CartStatus.ACTIVE })
  status: CartStatus = CartStatus.ACTIVE;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Field({ description: 'When the cart or one of its lines last changed' })
  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

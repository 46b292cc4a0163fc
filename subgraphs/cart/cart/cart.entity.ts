import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
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

@ObjectType({ description: 'A shopping cart: a guest cart (known only by its id) or a signed-in user\'s cart. Prices are always the current catalog prices.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'cart' })
// A user has at most one ACTIVE cart; guest carts (no user) and finished carts are not limited.
@Unique({
  name: 'cart_user_id_active_unique',
  expression: `create unique index "cart_user_id_active_unique" on "cart" ("user_id") where "user_id" is not null and "status" = 'ACTIVE'`,
})
export class Cart {
  @Field(() => ID, { description: 'Stable identifier; a guest keeps it to find the cart again' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The owning user (owned by the users subgraph); null for a guest cart. */
  @Property({ type: 'uuid', nullable: true })
  userId?: string | null;

  @Enum({ items: () => CartStatus, default: CartStatus.ACTIVE })
  status: CartStatus = CartStatus.ACTIVE;

  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Field({ description: 'When the cart or one of its lines last changed' })
  @Property({ columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

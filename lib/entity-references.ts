import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * Descriptions of entities that several subgraphs declare. Composition keeps
 * one description per type, so every declaration uses the same text.
 */
export const ENTITY_DESCRIPTIONS = {
  Product: 'Something the shop sells. Owned by catalog; inventory adds stock fields.',
  ProductVariant:
    "One buyable version of a product (e.g. size M in black), with its own SKU, price and stock. Every product has at least one; a product's default variant has the product's id. Owned by catalog; inventory adds stock fields.",
  User: 'A registered account. Owned by users; cart adds `cart`, orders adds `orders`.',
} as const;

/** ProductVariant.id's description, the same in every subgraph that declares the type. */
export const VARIANT_ID_DESCRIPTION = "Stable identifier; a product's default variant has the product's id";

/**
 * A Product as subgraphs other than catalog and inventory see it: a key only.
 * The gateway fetches every other field from the owners.
 */
@ObjectType('Product', { description: ENTITY_DESCRIPTIONS.Product })
@Directive('@key(fields: "id", resolvable: false)')
export class ProductReference {
  @Field(() => ID, { description: 'Stable identifier' })
  id!: string;
}

/**
 * A ProductVariant as subgraphs other than catalog and inventory see it: a key
 * only. The gateway fetches every other field from the owners.
 */
@ObjectType('ProductVariant', { description: ENTITY_DESCRIPTIONS.ProductVariant })
@Directive('@key(fields: "id", resolvable: false)')
export class ProductVariantReference {
  @Field(() => ID, { description: VARIANT_ID_DESCRIPTION })
  id!: string;
}

/**
 * An entity of another subgraph, or this subgraph's share of one, known by its
 * key only: the gateway resolves the other fields from the subgraphs that own
 * them. An instance of `type`, the class this subgraph declares for it.
 */
export function entityReference<T extends { id: string }>(type: new () => T, id: string): T {
  const reference = new type();
  reference.id = id;
  return reference;
}

import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * A Product as subgraphs other than catalog and inventory see it: a key only.
 * The gateway fetches every other field from the owners.
 */
@ObjectType('Product', { description: 'Something the shop sells. Owned by catalog.' })
@Directive('@key(fields: "id", resolvable: false)')
export class ProductReference {
  @Field(() => ID, { description: 'Stable identifier' })
  id!: string;
}

export function productReference(id: string): ProductReference {
  const reference = new ProductReference();
  reference.id = id;
  return reference;
}

import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { ENTITY_DESCRIPTIONS } from '../../../lib/entity-references';

/**
 * Inventory's share of the `Product` entity: catalog owns the product, this
 * subgraph adds the stock fields. Only the key is stored on the object; the
 * stock fields resolve through the request's loaders, so a page of products
 * costs the same few statements however long it is.
 */
@ObjectType('Product', { description: ENTITY_DESCRIPTIONS.Product })
@Directive('@key(fields: "id")')
export class ProductStock {
  @Field(() => ID, { description: 'Stable identifier' })
  id!: string;
}

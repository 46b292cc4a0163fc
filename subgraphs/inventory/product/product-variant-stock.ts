import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { ENTITY_DESCRIPTIONS, VARIANT_ID_DESCRIPTION } from '../../../lib/entity-references';

/**
 * Inventory's share of the `ProductVariant` entity: catalog owns the variant,
 * this subgraph adds its stock fields. Only the key is stored on the object;
 * the stock fields resolve through the request's loaders (one statement per
 * tick however many variants a page shows).
 */
@ObjectType('ProductVariant', { description: ENTITY_DESCRIPTIONS.ProductVariant })
@Directive('@key(fields: "id")')
export class ProductVariantStock {
  @Field(() => ID, { description: VARIANT_ID_DESCRIPTION })
  id!: string;
}

import { Directive, Field, ObjectType } from 'type-graphql';
import { Money } from '../../../lib/money';

@ObjectType({ description: "The lowest and highest price of a product's variants" })
// A value computed from the product's variants: as cacheable as the product.
@Directive('@cacheControl(inheritMaxAge: true)')
export class PriceRange {
  @Field(() => Money, { description: 'Price of the cheapest variant' })
  minVariantPrice!: Money;

  @Field(() => Money, { description: 'Price of the most expensive variant' })
  maxVariantPrice!: Money;
}

import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ProductFacetType {
  LIST = 'LIST',
  BOOLEAN = 'BOOLEAN',
  PRICE_RANGE = 'PRICE_RANGE',
}

registerEnumType(ProductFacetType, {
  name: 'ProductFacetType',
  description: 'How a facet filters, so a storefront can draw it',
  valuesConfig: {
    LIST: { description: 'Values to pick one or more of (an option: "option.Size")' },
    BOOLEAN: { description: 'A yes/no choice ("availability")' },
    PRICE_RANGE: { description: 'Price buckets ("price")' },
  },
});

@ObjectType({ description: 'One value of a facet, with the number of products it would leave under the other active filters' })
// As cacheable as the facet list it belongs to.
@Directive('@cacheControl(inheritMaxAge: true)')
export class ProductFacetValue {
  @Field({ description: 'Stable identifier, e.g. "option.Size.M", "availability.true", "price.2500-5000"' })
  id!: string;

  @Field({ description: 'Display text, e.g. "M", "In stock", "$25.00 – $50.00"' })
  label!: string;

  @Field(() => Int, {
    description:
      'Products matching every other active filter of the list (search, category, price, other options, availability, price ranges) plus this value',
  })
  count!: number;

  @Field({ description: 'Whether the current filter selects this value' })
  selected!: boolean;

  @Field({
    description:
      'JSON of the ProductFilter fields that select this value, e.g. {"options":[{"name":"Size","value":"M"}]}, {"available":true}, {"priceRanges":[{"min":2500,"max":5000}]}: merge it into a filter to apply the value',
  })
  input!: string;
}

@ObjectType({ description: 'A way to narrow a product list (an option, availability, price) with the counts of its values' })
@Directive('@cacheControl(inheritMaxAge: true)')
export class ProductFacet {
  @Field({ description: 'Stable identifier: "option.<name>" (e.g. "option.Size"), "availability" or "price"' })
  id!: string;

  @Field({ description: 'Display name, e.g. "Size", "Availability", "Price"' })
  label!: string;

  @Field(() => ProductFacetType, { description: 'How it filters' })
  type!: ProductFacetType;

  /**
   * Demand control (docs/demand-control.md): availability has 2 values and
   * price 5 buckets; an option's facet has the values of the matching
   * products, a size run (6 for S-XXL, about 10 shoe sizes) or a colour
   * palette (up to a dozen). 12 is that typical upper size; nothing bounds
   * the union over many products, and 20 (one product's limit) priced every
   * facet as the largest.
   */
  @Directive('@listSize(assumedSize: 12)')
  @Field(() => [ProductFacetValue], {
    description: 'Its values: an option\'s in display order (alphabetical where unknown), only those with a count above 0; availability and price buckets always all',
  })
  values!: ProductFacetValue[];
}

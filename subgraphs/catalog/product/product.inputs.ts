import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { SelectedOptionInput } from '../product-variant/selected-option';
import { ProductOptionInput } from '../product-variant/product-variant.inputs';
import { PriceRangeInput } from './price-range.inputs';

export enum ProductSort {
  RELEVANCE = 'RELEVANCE',
  NEWEST = 'NEWEST',
  PRICE_ASC = 'PRICE_ASC',
  PRICE_DESC = 'PRICE_DESC',
  NAME_ASC = 'NAME_ASC',
}

registerEnumType(ProductSort, {
  name: 'ProductSort',
  description: 'Order of a product list',
  valuesConfig: {
    RELEVANCE: { description: 'Best full-text match first; only meaningful with filter.search, otherwise NEWEST' },
    NEWEST: { description: 'Most recently added first' },
    PRICE_ASC: { description: 'Cheapest first' },
    PRICE_DESC: { description: 'Most expensive first' },
    NAME_ASC: { description: 'Alphabetical by name' },
  },
});

@InputType({ description: 'Narrows a product list; all given conditions must hold.' })
export class ProductFilter {
  @Field(() => String, { nullable: true, description: 'Full-text search over name and description (web-search syntax: words, "phrases", -exclusions)' })
  search?: string | null;

  @Field(() => ID, { nullable: true, description: "Only products of this category or any of its descendants" })
  categoryId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Lowest price in minor units, inclusive' })
  minPrice?: number | null;

  @Field(() => Int, { nullable: true, description: 'Highest price in minor units, inclusive' })
  maxPrice?: number | null;

  @Field(() => [SelectedOptionInput], {
    nullable: true,
    description:
      'Option values (at most 20): values of one name are OR\'ed, names are AND\'ed; a product matches when one of its variants has, for every name given, one of the values given for it',
  })
  options?: SelectedOptionInput[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only products in stock; false: only sold-out products' })
  available?: boolean | null;

  @Field(() => [PriceRangeInput], { nullable: true, description: "Only products whose price is in one of these ranges (at most 10)" })
  priceRanges?: PriceRangeInput[] | null;
}

@InputType({ description: 'A new product. The slug is generated from the name; text fields are trimmed.' })
export class CreateProductInput {
  @Field({ description: 'Unique stock keeping unit: letters, digits, ".", "_", "-", at most 64; stored in upper case, so uniqueness ignores case' })
  sku!: string;

  @Field({ description: 'Display name, 1 to 200 characters' })
  name!: string;

  @Field({ description: 'Long description, plain text, 1 to 10000 characters' })
  description!: string;

  @Field(() => Int, { description: 'Price in minor units, at least 0' })
  priceAmount!: number;

  @Field(() => String, { nullable: true, defaultValue: 'USD', description: 'ISO 4217 currency code, e.g. "EUR"' })
  currency?: string | null;

  @Field(() => ID, { description: 'An existing category' })
  categoryId!: string;

  @Field(() => String, { nullable: true, description: 'Absolute http(s) URL of the main image' })
  imageUrl?: string | null;

  @Field(() => [ProductOptionInput], {
    nullable: true,
    description:
      'Options the product is sold in (0 to 3; at most 100 combinations of their values). It gets one variant per combination, the first the default, all at priceAmount, each with the SKU followed by its values (e.g. "JACK-1-M-BLACK"). Without options: one default variant with the product\'s SKU.',
  })
  options?: ProductOptionInput[] | null;

  @Field(() => Int, { nullable: true, description: 'Shipping weight of one unit in grams, at least 0, for every variant; default 500' })
  weightGrams?: number | null;
}

@InputType({ description: 'Changes to a product. Omitted or null fields stay as they are, except imageUrl, which null removes. The slug never changes.' })
export class UpdateProductInput {
  @Field(() => String, { nullable: true, description: 'New display name, 1 to 200 characters; the slug stays as it is' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description, 1 to 10000 characters' })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: 'New price in minor units, at least 0' })
  priceAmount?: number | null;

  @Field(() => ID, { nullable: true, description: 'Move to this existing category' })
  categoryId?: string | null;

  @Field(() => String, { nullable: true, description: 'New absolute http(s) image URL; null removes the image' })
  imageUrl?: string | null;
}

import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'An option of a new product and its values, e.g. name "Size", values ["S", "M", "L"]' })
export class ProductOptionInput {
  @Field({ description: 'The option\'s name, 1 to 50 characters, unique among the product\'s options whatever its case' })
  name!: string;

  @Field(() => [String], { description: 'Its values in display order: 1 to 20, each 1 to 100 characters, unique within the option' })
  values!: string[];
}

@InputType({ description: 'Changes to a variant. Omitted or null fields stay as they are.' })
export class UpdateProductVariantInput {
  @Field(() => Int, { nullable: true, description: "New price in minor units, at least 0; for the default variant also the product's price" })
  priceAmount?: number | null;

  @Field(() => Int, { nullable: true, description: 'New shipping weight of one unit in grams, at least 0' })
  weightGrams?: number | null;
}

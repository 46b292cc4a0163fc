import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'A price range of a product filter, in minor units: min inclusive, max exclusive; either may be omitted' })
export class PriceRangeInput {
  @Field(() => Int, { nullable: true, description: 'Lowest price in minor units, inclusive; no lower bound when omitted' })
  min?: number | null;

  @Field(() => Int, { nullable: true, description: 'Price in minor units the range stops below (exclusive); no upper bound when omitted' })
  max?: number | null;
}

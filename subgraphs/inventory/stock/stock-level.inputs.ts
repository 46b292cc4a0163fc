import { ArgsType, Field, ID, Int } from 'type-graphql';

@ArgsType()
export class AdjustStockArgs {
  @Field(() => ID, { description: 'The product whose stock changes' })
  productId!: string;

  @Field(() => ID, { description: 'The warehouse whose stock changes' })
  warehouseId!: string;

  @Field(() => Int, { description: 'Units to add (positive) or remove (negative)' })
  delta!: number;

  @Field(() => String, { nullable: true, description: 'Why the stock changed, e.g. "cycle count"; kept for the audit trail' })
  reason?: string | null;

  // Last and optional, so existing callers keep meaning the default variant.
  @Field(() => ID, {
    nullable: true,
    description: "The variant whose stock changes, one of the product's (not checked against catalog, like productId); null or omitted: the product's default variant (whose id is the product's)",
  })
  variantId?: string | null;
}

import { ArgsType, Field, ID, Int } from 'type-graphql';

// Argument classes rather than @Arg parameters, so the arguments print in the contract's order.

@ArgsType()
export class AddToCartArgs {
  @Field(() => ID, { nullable: true, description: "The cart to add to; omit it for the signed-in user's cart or a new guest cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The product to add' })
  productId!: string;

  @Field(() => Int, { description: 'How many units to add; at least 1' })
  quantity!: number;
}

@ArgsType()
export class UpdateCartItemArgs {
  @Field(() => ID, { nullable: true, description: "The cart; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The line to change' })
  itemId!: string;

  @Field(() => Int, { description: 'The new quantity; 0 removes the line' })
  quantity!: number;
}

@ArgsType()
export class RemoveCartItemArgs {
  @Field(() => ID, { nullable: true, description: "The cart; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The line to remove' })
  itemId!: string;
}

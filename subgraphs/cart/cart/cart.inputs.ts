import { ArgsType, Field, ID, Int } from 'type-graphql';

// Argument classes rather than @Arg parameters, so the arguments print in the contract's order.

@ArgsType()
export class AddToCartArgs {
  @Field(() => ID, {
    nullable: true,
    description: "The cart to add to: a guest cart (its id is the key to it) or the viewer's own. Omit it for the signed-in user's cart, or, anonymously, to start a new guest cart.",
  })
  cartId?: string | null;

  @Field(() => ID, { description: 'The product to add' })
  productId!: string;

  @Field(() => Int, { description: "How many units to add; at least 1. The line's resulting quantity may not exceed the product's availableQuantity." })
  quantity!: number;
}

@ArgsType()
export class UpdateCartItemArgs {
  @Field(() => ID, { nullable: true, description: "The cart: a guest cart or the viewer's own; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The line to change' })
  itemId!: string;

  @Field(() => Int, { description: 'The new quantity; 0 removes the line. Raising it may not go beyond the product\'s availableQuantity.' })
  quantity!: number;
}

@ArgsType()
export class RemoveCartItemArgs {
  @Field(() => ID, { nullable: true, description: "The cart: a guest cart or the viewer's own; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The line to remove' })
  itemId!: string;
}

@ArgsType()
export class CompleteCheckoutArgs {
  @Field(() => ID, { description: 'The cart the order was made from' })
  cartId!: string;

  @Field(() => ID, { description: 'The order that bought the cart; the same one again is a harmless retry' })
  orderId!: string;
}

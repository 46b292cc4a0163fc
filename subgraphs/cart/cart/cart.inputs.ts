import { ArgsType, Directive, Field, ID, InputType, Int } from 'type-graphql';

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

  @Field(() => Int, { description: "How many units to add; at least 1. The line's resulting quantity may not exceed the variant's availableQuantity." })
  quantity!: number;

  @Field(() => ID, {
    nullable: true,
    description: "The variant to add: one of the product's variants (BAD_USER_INPUT otherwise). Omit it for the product's default variant.",
  })
  variantId?: string | null;
}

@ArgsType()
export class UpdateCartItemArgs {
  @Field(() => ID, { nullable: true, description: "The cart: a guest cart or the viewer's own; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The line to change' })
  itemId!: string;

  @Field(() => Int, { description: 'The new quantity; 0 removes the line. Raising it may not go beyond the variant\'s availableQuantity.' })
  quantity!: number;
}

@ArgsType()
export class RemoveCartItemArgs {
  @Field(() => ID, { nullable: true, description: "The cart: a guest cart or the viewer's own; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field(() => ID, { description: 'The line to remove' })
  itemId!: string;
}

@InputType({ description: 'A variant of a product an order bought from a cart, and how many units of it. Internal: only orders uses it.' })
@Directive('@inaccessible')
export class CheckoutLineInput {
  @Field(() => ID, { description: "Catalog's product id" })
  productId!: string;

  @Field(() => Int, { description: 'Units the order bought, at least 1; lines of the same variant add up' })
  quantity!: number;

  @Field(() => ID, { nullable: true, description: "The variant bought; omitted: the product's default variant (whose id is the product's)" })
  variantId?: string | null;
}

@ArgsType()
export class CompleteCheckoutArgs {
  @Field(() => ID, { description: 'The cart the order was made from' })
  cartId!: string;

  @Field(() => ID, { description: 'The order that bought the cart; the same one again is a harmless retry' })
  orderId!: string;

  @Field(() => [CheckoutLineInput], {
    nullable: true,
    description:
      "What the order bought. Units in the cart beyond these (added while the checkout ran) are not checked out: they move to the owner's active cart. Omitted: the whole cart as it is now (callers from before this argument).",
  })
  lines?: CheckoutLineInput[] | null;
}

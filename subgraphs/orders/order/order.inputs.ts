import { IsOptional, Length, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { AddressInput } from '../../../lib/address';
import { OrderStatus } from '../order-status/order-status.enum';

@InputType({ description: 'What checkout needs besides the cart: where to ship, how to pay, and a key that makes retries safe' })
export class CheckoutInput {
  @Field(() => ID, { nullable: true, description: "The cart to check out; defaults to the signed-in user's active cart" })
  cartId?: string | null;

  @Field(() => AddressInput, { description: 'Where to ship the order; copied onto the order' })
  @ValidateNested()
  shippingAddress!: AddressInput;

  @Field(() => ID, {
    nullable: true,
    description:
      "How to ship the order, e.g. \"standard\" or \"express\" (Cart.shippingRates lists the methods available to the address's country); defaults to the cheapest available there. One that does not ship there is BAD_USER_INPUT",
  })
  @IsOptional()
  @Length(1, 50)
  shippingMethodId?: string | null;

  @Field({ description: 'Payment token from the payment provider (mock provider: "tok_visa" is approved, "tok_declined" is declined)' })
  @Length(1, 200)
  paymentToken!: string;

  @Field({ description: 'Client-generated key of this checkout attempt: a retry with the same key returns the same order, never a second one' })
  @Length(1, 200)
  idempotencyKey!: string;
}

/** An args class rather than two @Arg parameters keeps the contract's argument order (id, then status). */
@ArgsType()
export class UpdateOrderStatusArgs {
  @Field(() => ID, { description: 'The order to change' })
  id!: string;

  @Field(() => OrderStatus, { description: 'The next status' })
  status!: OrderStatus;
}

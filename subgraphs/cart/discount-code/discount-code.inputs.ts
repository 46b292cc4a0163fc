import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { DiscountKind } from './discount-code.entity';

@InputType({ description: 'A new discount code' })
export class CreateDiscountCodeInput {
  @Field({ description: 'What shoppers type: 3-32 letters, digits, "_" or "-"; stored in upper case, unique' })
  code!: string;

  @Field(() => DiscountKind, { description: 'Percentage or fixed amount' })
  kind!: DiscountKind;

  @Field(() => Int, { description: 'PERCENTAGE: 1-100; FIXED_AMOUNT: minor units, at least 1' })
  value!: number;

  @Field(() => String, { nullable: true, defaultValue: 'USD', description: "ISO 4217 currency of a FIXED_AMOUNT and of minimumSubtotal; carts in another currency get no discount" })
  currency?: string | null;

  @Field(() => Int, { nullable: true, description: 'The subtotal (minor units) from which the code applies; none when omitted' })
  minimumSubtotal?: number | null;

  @Field(() => Date, { nullable: true, description: 'When the code starts to apply; omitted: at once' })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it stops applying (exclusive), after startsAt; omitted: never' })
  endsAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'How many orders may redeem it in all, at least 1; omitted: no limit' })
  usageLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'How many orders of one customer may redeem it, at least 1; omitted: no limit' })
  usageLimitPerCustomer?: number | null;
}

@ArgsType()
export class ApplyDiscountCodeArgs {
  @Field(() => ID, { nullable: true, description: "The cart: a guest cart or the viewer's own; omit it for the signed-in user's cart" })
  cartId?: string | null;

  @Field({ description: 'The code, in any case' })
  code!: string;
}

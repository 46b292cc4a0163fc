import { Directive, Field, ObjectType } from 'type-graphql';
import { Money } from '../../../lib/money';

/** The breakdown of an order's total, as cart quoted it at checkout; never recomputed. */
@ObjectType({ description: "What an order cost, as the cart's breakdown said at checkout; never recomputed. total = subtotal - discounts + shipping + tax = Order.total" })
@Directive('@cacheControl(scope: PRIVATE)')
export class OrderCost {
  @Field(() => Money, { description: 'The lines at the prices paid' })
  subtotal!: Money;

  @Field(() => Money, { description: 'What discount codes took off the subtotal; zero without one' })
  discounts!: Money;

  @Field(() => Money, { description: "The shipping method's rate; zero for orders placed before shipping methods" })
  shipping!: Money;

  @Field(() => Money, { description: "Tax at the destination country's rate, on subtotal - discounts + shipping; zero for orders placed before tax" })
  tax!: Money;

  @Field(() => Money, { description: 'What was charged: subtotal - discounts + shipping + tax, equal to Order.total' })
  total!: Money;
}

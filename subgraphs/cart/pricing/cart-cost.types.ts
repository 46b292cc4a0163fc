import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Money } from '../../../lib/money';
import { ShippingMethod } from '../../../lib/shipping-method';

@ObjectType({ description: 'What a shipping method costs for a cart to one destination' })
@Directive('@cacheControl(scope: PRIVATE)')
export class ShippingRate {
  @Field(() => ShippingMethod, { description: 'The method' })
  method!: ShippingMethod;

  @Field(() => Money, { description: "Its price for this cart, in the cart's currency (0 when shipping is free)" })
  price!: Money;
}

@ObjectType({ description: 'A discount code applied to a cart, and whether it takes anything off now' })
@Directive('@cacheControl(scope: PRIVATE)')
export class CartDiscountCode {
  @Field({ description: 'The code as stored (upper case)' })
  code!: string;

  @Field({ description: 'False when the code does not apply now, e.g. the minimum subtotal is not met or it expired since it was applied' })
  applicable!: boolean;

  @Field(() => String, { nullable: true, description: 'Why the code does not apply, for the shopper; null when it applies' })
  message!: string | null;
}

@ObjectType({ description: "A cart's cost breakdown, computed by the server at current prices. Prices are tax-exclusive." })
@Directive('@cacheControl(scope: PRIVATE)')
export class CartCost {
  @Field(() => Money, { description: 'The lines at current catalog prices' })
  subtotal!: Money;

  @Field(() => Money, { description: 'What the applied discount code takes off: at least 0, never more than the subtotal' })
  discounts!: Money;

  @Field(() => Money, { description: 'The shipping method\'s price to the destination (0 when free, or when no method ships there)' })
  shipping!: Money;

  @Field(() => Money, { description: "Tax at the destination country's rate on subtotal - discounts + shipping" })
  tax!: Money;

  @Field(() => Money, { description: 'subtotal - discounts + shipping + tax' })
  total!: Money;

  @Field({ description: 'The destination country (ISO 3166-1 alpha-2) the cost is for' })
  countryCode!: string;

  @Field(() => ShippingMethod, { nullable: true, description: 'The shipping method priced; null only when no method ships there (shipping is then 0, and checkout is refused)' })
  shippingMethod!: ShippingMethod | null;
}

@ObjectType({ description: 'One line of a checkout quote. Internal: only orders reads it.' })
@Directive('@inaccessible')
@Directive('@cacheControl(scope: PRIVATE)')
export class CheckoutQuoteLine {
  @Field(() => ID, { description: "The variant bought (a product's default variant has the product's id)" })
  variantId!: string;

  @Field(() => ID, { description: "The variant's product" })
  productId!: string;

  @Field(() => Int, { description: 'Units of the variant in the cart' })
  quantity!: number;

  @Field(() => Int, { description: "The variant's current unit price, in minor units of the quote's currency" })
  unitPriceAmount!: number;
}

@ObjectType({ description: 'The discount code a checkout redeems, with its limits (which orders enforces). Internal: only orders reads it.' })
@Directive('@inaccessible')
@Directive('@cacheControl(scope: PRIVATE)')
export class CheckoutQuoteDiscount {
  @Field(() => ID, { description: "The code's id" })
  codeId!: string;

  @Field({ description: 'The code, upper case' })
  code!: string;

  @Field(() => Int, { nullable: true, description: 'How many orders may redeem it in all; null: no limit' })
  usageLimit!: number | null;

  @Field(() => Int, { nullable: true, description: 'How many orders of one customer may redeem it; null: no limit' })
  usageLimitPerCustomer!: number | null;
}

@ObjectType({ description: "What a checkout of the cart costs: its lines at current prices and the cost breakdown, amounts in minor units. Internal: orders places the order from it." })
@Directive('@inaccessible')
@Directive('@cacheControl(scope: PRIVATE)')
export class CheckoutQuote {
  @Field({ description: "The cart's currency (ISO 4217)" })
  currency!: string;

  @Field(() => [CheckoutQuoteLine], { description: 'The lines catalog still sells, oldest first' })
  lines!: CheckoutQuoteLine[];

  @Field(() => Int, { description: 'The lines at current prices' })
  subtotal!: number;

  @Field(() => Int, { description: 'What the applied discount code takes off' })
  discounts!: number;

  @Field(() => Int, { description: "The shipping method's price" })
  shipping!: number;

  @Field(() => Int, { description: 'Tax at the destination country\'s rate' })
  tax!: number;

  @Field(() => Int, { description: 'subtotal - discounts + shipping + tax: what the order charges' })
  total!: number;

  @Field(() => ShippingMethod, { description: 'The shipping method chosen (or the cheapest available)' })
  shippingMethod!: ShippingMethod;

  @Field(() => CheckoutQuoteDiscount, { nullable: true, description: 'The code redeemed; null unless an applicable code takes something off' })
  discount!: CheckoutQuoteDiscount | null;
}

import { Check, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum DiscountKind {
  PERCENTAGE = 'PERCENTAGE',
  FIXED_AMOUNT = 'FIXED_AMOUNT',
}

registerEnumType(DiscountKind, {
  name: 'DiscountKind',
  description: 'How a discount code takes money off',
  valuesConfig: {
    PERCENTAGE: { description: 'A percentage of the subtotal (value 1-100), rounded down to the minor unit' },
    FIXED_AMOUNT: { description: 'A fixed amount (value in minor units of the code\'s currency), never more than the subtotal' },
  },
});

/**
 * A discount code shoppers apply to a cart. Its usage limits are enforced by
 * orders, which records redemptions when an order is placed; cart only
 * applies and prices it. `minimumSubtotal` is exposed as Money by the resolver.
 */
@ObjectType({ description: 'A discount code, as an ADMIN sees it' })
// Administration data, shown to ADMINs only.
@Directive('@cacheControl(scope: PRIVATE)')
@Entity({ tableName: 'discount_code' })
@Check({ name: 'discount_code_code_format', expression: `"code" ~ '^[A-Z0-9_-]{3,32}$'` })
@Check({
  name: 'discount_code_value_range',
  expression: `("kind" = 'PERCENTAGE' and "value" between 1 and 100) or ("kind" = 'FIXED_AMOUNT' and "value" > 0)`,
})
@Check({ name: 'discount_code_minimum_subtotal_positive', expression: `"minimum_subtotal" is null or "minimum_subtotal" >= 0` })
@Check({ name: 'discount_code_window', expression: `"starts_at" is null or "ends_at" is null or "ends_at" > "starts_at"` })
@Check({ name: 'discount_code_usage_limit_positive', expression: `"usage_limit" is null or "usage_limit" >= 1` })
@Check({ name: 'discount_code_usage_limit_per_customer_positive', expression: `"usage_limit_per_customer" is null or "usage_limit_per_customer" >= 1` })
export class DiscountCode {
  [OptionalProps]?: 'createdAt' | 'currency';

  @Field(() => ID, { description: 'Stable identifier' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field({ description: 'The code shoppers type, stored in upper case (applying it ignores case)' })
  @Property({ type: 'string', length: 32, unique: 'discount_code_code_unique' })
  code!: string;

  @Field(() => DiscountKind, { description: 'Percentage or fixed amount' })
  @Enum({ items: () => DiscountKind })
  kind!: DiscountKind;

  @Field(() => Int, { description: 'PERCENTAGE: 1-100; FIXED_AMOUNT: minor units' })
  @Property({ type: 'integer' })
  value!: number;

  @Field({ description: "FIXED_AMOUNT's currency (and of minimumSubtotal); a cart in another currency gets no discount" })
  @Property({ type: 'string', length: 3 })
  currency: string = 'USD';

  /** Minor units of `currency`; exposed as `minimumSubtotal: Money`. */
  @Property({ type: 'integer', nullable: true })
  minimumSubtotalAmount?: number | null;

  @Field(() => Date, { nullable: true, description: 'When the code starts to apply; null: from its creation' })
  @Property({ columnType: 'timestamptz(3)', nullable: true })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the code stops applying (exclusive); null: never' })
  @Property({ columnType: 'timestamptz(3)', nullable: true })
  endsAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'How many orders may redeem the code in all; null: no limit' })
  @Property({ type: 'integer', nullable: true })
  usageLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'How many orders of one customer may redeem the code; null: no limit' })
  @Property({ type: 'integer', nullable: true })
  usageLimitPerCustomer?: number | null;

  @Field(() => Date, { description: 'When the code was created' })
  @Property({ columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}

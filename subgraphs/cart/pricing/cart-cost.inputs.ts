import { ArgsType, Field, ID } from 'type-graphql';

// Argument classes rather than @Arg parameters, so the arguments print in the contract's order.

@ArgsType()
export class CartCostArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Destination, ISO 3166-1 alpha-2 (any case); omitted: the shop\'s default country (CART_DEFAULT_COUNTRY, "US" unless configured)',
  })
  countryCode?: string | null;

  @Field(() => ID, { nullable: true, description: 'The shipping method; omitted: the cheapest that ships there' })
  shippingMethodId?: string | null;
}

@ArgsType()
export class CheckoutQuoteArgs {
  @Field({ description: 'Destination, ISO 3166-1 alpha-2 (any case)' })
  countryCode!: string;

  @Field(() => ID, { nullable: true, description: 'The shipping method; omitted: the cheapest that ships there' })
  shippingMethodId?: string | null;
}

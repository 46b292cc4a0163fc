import { Arg, Args, Ctx, Directive, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { CartContext } from '../cart.context';
import { Cart } from '../cart/cart.entity';
import { CartCostArgs, CheckoutQuoteArgs } from './cart-cost.inputs';
import { CartCostService } from './cart-cost.service';
import { CartCost, CartDiscountCode, CheckoutQuote, ShippingRate } from './cart-cost.types';
import { ShippingMethod } from '../../../lib/shipping-method';

/** Cart's prices beyond its lines: discount codes, shipping, tax, the breakdown and orders' quote. */
@Resolver(() => Cart)
export class CartCostResolver {
  private readonly costService = new CartCostService();

  // The same for everyone and changed only by redeploying with other settings.
  // Demand control (docs/demand-control.md): the shop's methods, 2 by default
  // (CART_SHIPPING_METHODS); a shop offers a handful (economy, standard, express, next day, pickup), so 5.
  @Directive('@listSize(assumedSize: 5)')
  @Directive('@cacheControl(maxAge: 300)')
  @Query(() => [ShippingMethod], { description: 'Every shipping method the shop offers (which ones ship a given cart where: Cart.shippingRates)' })
  shippingMethods(@Ctx() ctx: CartContext): ShippingMethod[] {
    return this.costService.shippingMethods(ctx);
  }

  // Demand control (docs/demand-control.md): a cart holds one code at a time, a hard bound for now.
  @Directive('@listSize(assumedSize: 1)')
  @FieldResolver(() => [CartDiscountCode], { description: 'The discount codes applied to the cart (at most one for now), and whether each takes anything off now' })
  async discountCodes(@Root() cart: Cart, @Ctx() ctx: CartContext): Promise<CartDiscountCode[]> {
    return this.costService.discountCodes(ctx, cart);
  }

  @FieldResolver(() => CartCost, {
    description:
      'The cost breakdown (subtotal, discounts, shipping, tax, total) at current prices, for a destination country and shipping method. BAD_USER_INPUT for a country code that is not ISO 3166-1 alpha-2, or a shipping method that is unknown or does not ship there.',
  })
  async cost(@Root() cart: Cart, @Ctx() ctx: CartContext, @Args(() => CartCostArgs) args: CartCostArgs): Promise<CartCost> {
    return this.costService.cost(ctx, cart, args.countryCode, args.shippingMethodId);
  }

  // Demand control (docs/demand-control.md): at most one rate per shipping method, so the size of Query.shippingMethods (5).
  @Directive('@listSize(assumedSize: 5)')
  @FieldResolver(() => [ShippingRate], { description: 'The shipping methods that ship this cart to the country, with their prices, cheapest first' })
  async shippingRates(
    @Root() cart: Cart,
    @Ctx() ctx: CartContext,
    @Arg('countryCode', () => String, { description: 'Destination, ISO 3166-1 alpha-2 (any case)' }) countryCode: string,
  ): Promise<ShippingRate[]> {
    return this.costService.shippingRates(ctx, cart, countryCode);
  }

  @Directive('@inaccessible')
  @FieldResolver(() => CheckoutQuote, {
    description:
      "What a checkout of this cart costs now: its lines at current prices and the breakdown. BAD_USER_INPUT for a bad country code, a line catalog no longer sells, and a shipping method (argumentName shippingMethodId) that is unknown, does not ship there, or none at all. Internal: orders reads it when placing an order.",
  })
  async checkoutQuote(@Root() cart: Cart, @Ctx() ctx: CartContext, @Args(() => CheckoutQuoteArgs) args: CheckoutQuoteArgs): Promise<CheckoutQuote> {
    return this.costService.checkoutQuote(ctx, cart, args.countryCode, args.shippingMethodId);
  }
}

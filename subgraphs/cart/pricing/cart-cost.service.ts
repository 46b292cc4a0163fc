import { badUserInput } from '../../../lib/errors';
import { money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import type { Cart } from '../cart/cart.entity';
import { CartService, type PricedLine } from '../cart/cart.service';
import { DiscountCodeService, discountRuleOf } from '../discount-code/discount-code.service';
import { computeCartCost, evaluateDiscount, normalizeCountryCode, shippingQuotes, subtotalOf, type CartCostBreakdown, type CostLine } from './cart-cost';
import { CartCost, CartDiscountCode, CheckoutQuote, ShippingRate } from './cart-cost.types';
import { ShippingMethod } from '../../../lib/shipping-method';
import type { ShippingMethodConfig } from './shipping-methods';

function costLines(lines: readonly PricedLine[]): CostLine[] {
  return lines.map((line) => ({ unitPriceAmount: line.price.amount, quantity: line.item.quantity, weightGrams: line.weightGrams }));
}

function shippingMethodOf(config: ShippingMethodConfig): ShippingMethod {
  return Object.assign(new ShippingMethod(), { id: config.id, name: config.name, description: config.description });
}

/**
 * A cart's cost, shipping rates and checkout quote: the cart's priced lines
 * and applied code (through the request's loaders, so nothing is asked twice
 * however many of these fields a query selects) fed to the pure rules of
 * pricing/cart-cost.ts with the subgraph's configuration.
 */
export class CartCostService {
  private readonly cartService = new CartService();
  private readonly discountCodeService = new DiscountCodeService();

  shippingMethods(ctx: CartContext): ShippingMethod[] {
    return ctx.config.shippingMethods.map(shippingMethodOf);
  }

  async discountCodes(ctx: CartContext, cart: Cart): Promise<CartDiscountCode[]> {
    const [code, lines] = await Promise.all([this.discountCodeService.appliedCode(ctx, cart), this.cartService.pricedLines(ctx, cart)]);
    if (!code) return [];
    const outcome = evaluateDiscount(discountRuleOf(code), subtotalOf(costLines(lines)), this.cartService.currencyOf(cart, lines), new Date());
    return [Object.assign(new CartDiscountCode(), { code: code.code, applicable: outcome.applicable, message: outcome.message })];
  }

  async shippingRates(ctx: CartContext, cart: Cart, countryCode: string): Promise<ShippingRate[]> {
    const country = normalizeCountryCode(countryCode);
    const { lines, currency, breakdown } = await this.breakdown(ctx, cart, country, null);
    return shippingQuotes(ctx.config, costLines(lines), country, breakdown.subtotal - breakdown.discounts, currency).map((quote) =>
      Object.assign(new ShippingRate(), { method: shippingMethodOf(quote.method), price: money(quote.amount, currency) }),
    );
  }

  async cost(ctx: CartContext, cart: Cart, countryCode: string | null | undefined, shippingMethodId: string | null | undefined): Promise<CartCost> {
    const country = countryCode == null ? ctx.config.defaultCountry : normalizeCountryCode(countryCode);
    const { breakdown } = await this.breakdown(ctx, cart, country, shippingMethodId ?? null);
    const amount = (value: number) => money(value, breakdown.currency);
    return Object.assign(new CartCost(), {
      subtotal: amount(breakdown.subtotal),
      discounts: amount(breakdown.discounts),
      shipping: amount(breakdown.shipping),
      tax: amount(breakdown.tax),
      total: amount(breakdown.total),
      countryCode: breakdown.countryCode,
      shippingMethod: breakdown.shippingMethod ? shippingMethodOf(breakdown.shippingMethod) : null,
    });
  }

  /**
   * What orders charges for the cart (the sibling-only Cart.checkoutQuote).
   * Refused with BAD_USER_INPUT: a line whose variant catalog no longer sells
   * (as checkout always did for products), and no shipping method, or not the
   * one asked for, to the country ("shippingMethodId", which orders maps to
   * its input's field).
   */
  async checkoutQuote(ctx: CartContext, cart: Cart, countryCode: string, shippingMethodId: string | null | undefined): Promise<CheckoutQuote> {
    const country = normalizeCountryCode(countryCode);
    const { unsold } = await this.cartService.linesWithVariants(ctx, cart);
    if (unsold.length > 0) {
      const productIds = [...new Set(unsold.map((item) => item.productId))];
      throw badUserInput(`The cart holds ${unsold.length === 1 ? 'a line' : 'lines'} that catalog no longer sells (products ${productIds.join(', ')}): remove ${unsold.length === 1 ? 'it' : 'them'} first`, {
        productIds,
        variantIds: unsold.map((item) => item.variantId),
      });
    }
    const { lines, breakdown, code } = await this.breakdown(ctx, cart, country, shippingMethodId ?? null);
    if (!breakdown.shippingMethod) throw badUserInput(`No shipping method ships to ${country}`, { argumentName: 'shippingMethodId' });
    const redeemed = code && breakdown.discount?.applicable && breakdown.discounts > 0 ? code : null;
    return Object.assign(new CheckoutQuote(), {
      currency: breakdown.currency,
      lines: lines.map((line) => ({
        variantId: line.item.variantId,
        productId: line.item.productId,
        quantity: line.item.quantity,
        unitPriceAmount: line.price.amount,
      })),
      subtotal: breakdown.subtotal,
      discounts: breakdown.discounts,
      shipping: breakdown.shipping,
      tax: breakdown.tax,
      total: breakdown.total,
      shippingMethod: shippingMethodOf(breakdown.shippingMethod),
      discount: redeemed
        ? { codeId: redeemed.id, code: redeemed.code, usageLimit: redeemed.usageLimit ?? null, usageLimitPerCustomer: redeemed.usageLimitPerCustomer ?? null }
        : null,
    });
  }

  private async breakdown(ctx: CartContext, cart: Cart, countryCode: string, shippingMethodId: string | null) {
    const [lines, code] = await Promise.all([this.cartService.pricedLines(ctx, cart), this.discountCodeService.appliedCode(ctx, cart)]);
    const currency = this.cartService.currencyOf(cart, lines);
    const breakdown: CartCostBreakdown = computeCartCost(ctx.config, {
      lines: costLines(lines),
      currency,
      discount: code ? discountRuleOf(code) : null,
      countryCode,
      shippingMethodId,
      now: new Date(),
    });
    return { lines, currency, code, breakdown };
  }
}

import { badUserInput } from '../../../lib/errors';
import { money } from '../../../lib/money';
import type { ShippingMethodConfig } from './shipping-methods';
import { taxOn, taxRateOf, type TaxRates } from './tax-rates';

/**
 * The pricing rules of a cart (issue 14), as pure functions of the cart's
 * lines, its discount code, the destination and the configuration, so every
 * rule is unit-tested without a database (pricing/cart-cost.test.ts). All
 * amounts are integer minor units of the cart's currency.
 */

export interface CostLine {
  unitPriceAmount: number;
  quantity: number;
  weightGrams: number;
}

/** What the rules need of a discount code. */
export interface DiscountRule {
  code: string;
  kind: 'PERCENTAGE' | 'FIXED_AMOUNT';
  value: number;
  currency: string;
  minimumSubtotal?: number | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
}

export interface DiscountOutcome {
  applicable: boolean;
  /** >= 0 and never more than the subtotal; 0 when not applicable. */
  amount: number;
  /** Why it does not apply, for the shopper; null when it applies. */
  message: string | null;
}

export interface PricingConfig {
  shippingMethods: readonly ShippingMethodConfig[];
  taxRates: TaxRates;
}

export interface ShippingQuote {
  method: ShippingMethodConfig;
  amount: number;
}

export interface CartCostInput {
  lines: readonly CostLine[];
  currency: string;
  discount: DiscountRule | null;
  /** Upper-cased and checked (normalizeCountryCode). */
  countryCode: string;
  /** Null: the cheapest method available. */
  shippingMethodId?: string | null;
  now: Date;
}

export interface CartCostBreakdown {
  currency: string;
  subtotal: number;
  discounts: number;
  discount: DiscountOutcome | null;
  shipping: number;
  tax: number;
  total: number;
  countryCode: string;
  /** Null only when no method ships there (shipping is then 0). */
  shippingMethod: ShippingMethodConfig | null;
}

/** An upper-case ISO 3166-1 alpha-2 code (the shape lib/address checks too). */
export const COUNTRY_CODE = /^[A-Z]{2}$/;

/** An ISO 3166-1 alpha-2 code, upper-cased; anything else is BAD_USER_INPUT on `argumentName`. */
export function normalizeCountryCode(code: string, argumentName = 'countryCode'): string {
  const normalized = code.trim().toUpperCase();
  if (!COUNTRY_CODE.test(normalized)) {
    throw badUserInput(`"${argumentName}" must be an ISO 3166-1 alpha-2 country code such as "US", got "${code}"`, { argumentName });
  }
  return normalized;
}

export function subtotalOf(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.unitPriceAmount * line.quantity, 0);
}

function weightOf(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.weightGrams * line.quantity, 0);
}

const formatAmount = (amount: number, currency: string): string => money(amount, currency).formatted;

/**
 * A code's discount on a subtotal: PERCENTAGE is floor(subtotal x value / 100),
 * FIXED_AMOUNT min(value, subtotal); only inside [startsAt, endsAt), from the
 * minimum subtotal on, and for a cart in the code's currency.
 */
export function evaluateDiscount(rule: DiscountRule, subtotal: number, currency: string, now: Date): DiscountOutcome {
  const refuse = (message: string): DiscountOutcome => ({ applicable: false, amount: 0, message });
  if (rule.startsAt && now < rule.startsAt) return refuse(`Code ${rule.code} is not valid yet`);
  if (rule.endsAt && now >= rule.endsAt) return refuse(`Code ${rule.code} has expired`);
  if (rule.currency !== currency) return refuse(`Code ${rule.code} applies to carts in ${rule.currency} only`);
  const minimum = rule.minimumSubtotal ?? 0;
  if (subtotal < minimum) {
    return refuse(`Code ${rule.code} applies from a subtotal of ${formatAmount(minimum, currency)}; add ${formatAmount(minimum - subtotal, currency)} more`);
  }
  const amount = rule.kind === 'PERCENTAGE' ? Math.floor((subtotal * rule.value) / 100) : Math.min(rule.value, subtotal);
  return { applicable: true, amount, message: null };
}

/** The price of one method for a destination, weight and subtotal after discounts; null when it does not ship there. */
function shippingPrice(method: ShippingMethodConfig, countryCode: string, weightGrams: number, discountedSubtotal: number, currency: string): number | null {
  if (method.currency !== currency) return null;
  const table = method.rates.find((rates) => rates.country === countryCode) ?? method.rates.find((rates) => rates.country === '*');
  if (!table) return null;
  const bracket = table.brackets.find((candidate) => candidate.upToGrams === undefined || weightGrams <= candidate.upToGrams);
  if (!bracket) return null;
  if (table.freeOverSubtotal !== undefined && discountedSubtotal >= table.freeOverSubtotal) return 0;
  return bracket.amount;
}

/**
 * The methods that ship there, cheapest first (configuration order among
 * equals). An empty cart ships nothing: every method that serves the
 * destination is offered at 0.
 */
export function shippingQuotes(config: PricingConfig, lines: readonly CostLine[], countryCode: string, discountedSubtotal: number, currency: string): ShippingQuote[] {
  const weight = weightOf(lines);
  const empty = lines.length === 0;
  const quotes: ShippingQuote[] = [];
  for (const method of config.shippingMethods) {
    const amount = shippingPrice(method, countryCode, weight, discountedSubtotal, currency);
    if (amount !== null) quotes.push({ method, amount: empty ? 0 : amount });
  }
  // Array.prototype.sort is stable: equal prices keep the configuration's order.
  return quotes.sort((a, b) => a.amount - b.amount);
}

/**
 * The cost breakdown: subtotal - discounts + shipping + tax, tax being
 * round-half-up of (subtotal - discounts + shipping) x the country's rate.
 * A shippingMethodId that is unknown or does not ship there is BAD_USER_INPUT
 * on "shippingMethodId".
 */
export function computeCartCost(config: PricingConfig, input: CartCostInput): CartCostBreakdown {
  const subtotal = subtotalOf(input.lines);
  const discount = input.discount ? evaluateDiscount(input.discount, subtotal, input.currency, input.now) : null;
  const discounts = discount?.amount ?? 0;
  const quotes = shippingQuotes(config, input.lines, input.countryCode, subtotal - discounts, input.currency);
  let chosen: ShippingQuote | null;
  if (input.shippingMethodId != null) {
    chosen = quotes.find((quote) => quote.method.id === input.shippingMethodId) ?? null;
    if (!chosen) {
      const known = config.shippingMethods.some((method) => method.id === input.shippingMethodId);
      throw badUserInput(
        known
          ? `Shipping method "${input.shippingMethodId}" does not ship to ${input.countryCode}`
          : `Unknown shipping method "${input.shippingMethodId}"; known: ${config.shippingMethods.map((method) => method.id).join(', ')}`,
        { argumentName: 'shippingMethodId' },
      );
    }
  } else chosen = quotes[0] ?? null;
  const shipping = chosen?.amount ?? 0;
  const tax = taxOn(subtotal - discounts + shipping, taxRateOf(config.taxRates, input.countryCode));
  return {
    currency: input.currency,
    subtotal,
    discounts,
    discount,
    shipping,
    tax,
    total: subtotal - discounts + shipping + tax,
    countryCode: input.countryCode,
    shippingMethod: chosen?.method ?? null,
  };
}

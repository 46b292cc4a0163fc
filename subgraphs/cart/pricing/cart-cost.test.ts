import { GraphQLError } from 'graphql';
import { computeCartCost, evaluateDiscount, normalizeCountryCode, shippingQuotes, type CostLine, type DiscountRule, type PricingConfig } from './cart-cost';
import { DEFAULT_SHIPPING_METHODS, parseShippingMethods } from './shipping-methods';
import { DEFAULT_TAX_RATES, parseTaxRates, taxOn } from './tax-rates';

const config: PricingConfig = { shippingMethods: DEFAULT_SHIPPING_METHODS, taxRates: parseTaxRates(DEFAULT_TAX_RATES) };
const now = new Date('2026-06-01T12:00:00Z');
const line = (unitPriceAmount: number, quantity = 1, weightGrams = 500): CostLine => ({ unitPriceAmount, quantity, weightGrams });
const percent = (value: number, extra: Partial<DiscountRule> = {}): DiscountRule => ({ code: 'P', kind: 'PERCENTAGE', value, currency: 'USD', ...extra });
const fixed = (value: number, extra: Partial<DiscountRule> = {}): DiscountRule => ({ code: 'F', kind: 'FIXED_AMOUNT', value, currency: 'USD', ...extra });
const cost = (lines: CostLine[], countryCode = 'US', discount: DiscountRule | null = null, shippingMethodId: string | null = null) =>
  computeCartCost(config, { lines, currency: 'USD', discount, countryCode, shippingMethodId, now });

function badInput(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return error as GraphQLError;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('cart cost rules', () => {
  describe('discounts', () => {
    it('takes a percentage rounded down to the minor unit', () => {
      expect(evaluateDiscount(percent(10), 1999, 'USD', now)).toEqual({ applicable: true, amount: 199, message: null });
      expect(evaluateDiscount(percent(15), 333, 'USD', now).amount).toBe(49);
      expect(evaluateDiscount(percent(100), 4321, 'USD', now).amount).toBe(4321);
    });

    it('caps a fixed amount at the subtotal', () => {
      expect(evaluateDiscount(fixed(1500), 12000, 'USD', now).amount).toBe(1500);
      expect(evaluateDiscount(fixed(1500), 999, 'USD', now).amount).toBe(999);
    });

    it('applies from the minimum subtotal on, and says what is missing below it', () => {
      expect(evaluateDiscount(fixed(1500, { minimumSubtotal: 10000 }), 10000, 'USD', now)).toMatchObject({ applicable: true, amount: 1500 });
      const below = evaluateDiscount(fixed(1500, { code: 'SAVE15', minimumSubtotal: 10000 }), 9000, 'USD', now);
      expect(below).toEqual({ applicable: false, amount: 0, message: expect.stringContaining('$100.00') });
      expect(below.message).toContain('$10.00 more');
    });

    it('applies only inside [startsAt, endsAt)', () => {
      const window = { startsAt: new Date('2026-06-01T12:00:00Z'), endsAt: new Date('2026-06-02T00:00:00Z') };
      expect(evaluateDiscount(percent(10, window), 1000, 'USD', now).applicable).toBe(true);
      expect(evaluateDiscount(percent(10, window), 1000, 'USD', new Date('2026-06-01T11:59:59.999Z'))).toMatchObject({ applicable: false, amount: 0, message: expect.stringMatching(/not valid yet/) });
      expect(evaluateDiscount(percent(10, window), 1000, 'USD', window.endsAt)).toMatchObject({ applicable: false, amount: 0, message: expect.stringMatching(/expired/) });
    });

    it('gives nothing to a cart in another currency', () => {
      expect(evaluateDiscount(percent(10), 1000, 'EUR', now)).toMatchObject({ applicable: false, amount: 0 });
    });
  });

  describe('shipping', () => {
    it('prices the US by weight brackets, up to and including each bracket', () => {
      const priceOf = (grams: number) => cost([line(1000, 1, grams)]).shipping;
      expect(priceOf(0)).toBe(499);
      expect(priceOf(2000)).toBe(499);
      expect(priceOf(2001)).toBe(899);
      expect(priceOf(10000)).toBe(899);
      expect(priceOf(10001)).toBe(1499);
      // Weight is per unit times quantity.
      expect(cost([line(1000, 5, 500)]).shipping).toBe(899);
    });

    it('uses the "*" rates for a country without rates of its own', () => {
      expect(cost([line(1000, 1, 1000)], 'FR').shipping).toBe(999);
      expect(cost([line(1000, 1, 5000)], 'JP').shipping).toBe(1999);
      expect(cost([line(1000, 1, 50000)], 'JP').shipping).toBe(3499);
    });

    it('ships standard free in the US from $75 after discounts, never express', () => {
      expect(cost([line(7500)]).shipping).toBe(0);
      expect(cost([line(7499)]).shipping).toBe(499);
      // $80 less 10% is $72: below the threshold.
      expect(cost([line(8000)], 'US', percent(10)).shipping).toBe(499);
      expect(cost([line(8000)], 'US', null, 'express').shipping).toBe(1499);
      // Not free abroad.
      expect(cost([line(20000)], 'GB').shipping).toBe(999);
    });

    it('lists the methods cheapest first and picks the cheapest by default', () => {
      const quotes = shippingQuotes(config, [line(1000)], 'US', 1000, 'USD');
      expect(quotes.map((quote) => [quote.method.id, quote.amount])).toEqual([
        ['standard', 499],
        ['express', 1499],
      ]);
      expect(cost([line(1000)]).shippingMethod?.id).toBe('standard');
    });

    it('refuses an unknown method, or one that does not ship there', () => {
      expect(badInput(() => cost([line(1000)], 'US', null, 'pigeon')).extensions.argumentName).toBe('shippingMethodId');
      const usOnly = parseShippingMethods(JSON.stringify([{ id: 'local', name: 'Local', description: 'Same day', rates: [{ country: 'US', brackets: [{ amount: 100 }] }] }]));
      const outside = () => computeCartCost({ ...config, shippingMethods: usOnly }, { lines: [line(1000)], currency: 'USD', discount: null, countryCode: 'GB', shippingMethodId: 'local', now });
      expect(badInput(outside).message).toMatch(/does not ship to GB/);
    });

    it('has no method, and no shipping, where nothing ships', () => {
      const usOnly = parseShippingMethods(JSON.stringify([{ id: 'local', name: 'Local', description: 'Same day', rates: [{ country: 'US', brackets: [{ upToGrams: 1000, amount: 100 }] }] }]));
      const result = computeCartCost({ ...config, shippingMethods: usOnly }, { lines: [line(1000)], currency: 'USD', discount: null, countryCode: 'GB', now });
      expect(result).toMatchObject({ shippingMethod: null, shipping: 0, total: 1000 + taxOn(1000, 2000) });
      // Too heavy for every bracket.
      const heavy = computeCartCost({ ...config, shippingMethods: usOnly }, { lines: [line(1000, 1, 1001)], currency: 'USD', discount: null, countryCode: 'US', now });
      expect(heavy.shippingMethod).toBeNull();
    });

    it('charges no shipping for an empty cart', () => {
      expect(cost([])).toMatchObject({ subtotal: 0, shipping: 0, tax: 0, total: 0, shippingMethod: { id: 'standard' } });
    });
  });

  describe('tax', () => {
    it('taxes subtotal - discounts + shipping at the country rate, rounding half up', () => {
      // GB 20%: (1000 - 100 + 999) * 0.2 = 379.8 -> 380
      expect(cost([line(1000)], 'GB', percent(10))).toMatchObject({ subtotal: 1000, discounts: 100, shipping: 999, tax: 380, total: 1000 - 100 + 999 + 380 });
      // CA 5%: (1 + 999) * 0.05 = 50
      expect(cost([line(1)], 'CA').tax).toBe(50);
      expect(taxOn(10, 500)).toBe(1); // 0.5 -> 1
      expect(taxOn(9, 500)).toBe(0); // 0.45 -> 0
      expect(taxOn(1234, 1950)).toBe(241); // 240.63
    });

    it('taxes nothing in the US and in countries without a rate, unless "*" gives one', () => {
      expect(cost([line(1000)], 'US').tax).toBe(0);
      expect(cost([line(1000)], 'JP').tax).toBe(0);
      const withDefault: PricingConfig = { ...config, taxRates: parseTaxRates('US:0,*:10') };
      expect(computeCartCost(withDefault, { lines: [line(1000)], currency: 'USD', discount: null, countryCode: 'JP', now }).tax).toBe(200); // (1000 + 999) * 10%
    });

    it('totals subtotal - discounts + shipping + tax', () => {
      const result = cost([line(4999, 3, 800)], 'DE', fixed(1500));
      expect(result.subtotal).toBe(14997);
      expect(result.discounts).toBe(1500);
      expect(result.shipping).toBe(1999);
      expect(result.tax).toBe(Math.floor(((14997 - 1500 + 1999) * 19) / 100 + 0.5));
      expect(result.total).toBe(result.subtotal - result.discounts + result.shipping + result.tax);
    });
  });

  describe('country codes', () => {
    it('upper-cases an ISO 3166-1 alpha-2 code', () => {
      expect(normalizeCountryCode('gb')).toBe('GB');
      expect(normalizeCountryCode(' us ')).toBe('US');
    });

    it.each(['', 'USA', 'U', '12', 'U$', '*'])('refuses %j with BAD_USER_INPUT', (code) => {
      expect(badInput(() => normalizeCountryCode(code)).extensions.argumentName).toBe('countryCode');
    });
  });
});

describe('pricing settings', () => {
  it('reads tax rates with up to two decimals', () => {
    expect(parseTaxRates('us:0, DE:19.5,FR:20.25,*:7')).toEqual(
      new Map([
        ['US', 0],
        ['DE', 1950],
        ['FR', 2025],
        ['*', 700],
      ]),
    );
    expect(() => parseTaxRates('US:0,DE:19.555,XX,FR:101,US:5')).toThrow(/"DE:19.555".*; "XX".*; "FR:101".*at most 100.*; "US:5".*twice/);
  });

  it('reads shipping methods and names every problem', () => {
    const methods = parseShippingMethods(
      JSON.stringify([{ id: 'eco', name: 'Eco', description: 'A week', rates: [{ country: '*', brackets: [{ upToGrams: 5000, amount: 300 }, { amount: 900 }], freeOverSubtotal: 5000 }] }]),
    );
    expect(methods).toEqual([
      { id: 'eco', name: 'Eco', description: 'A week', currency: 'USD', rates: [{ country: '*', brackets: [{ upToGrams: 5000, amount: 300 }, { amount: 900 }], freeOverSubtotal: 5000 }] },
    ]);
    expect(() => parseShippingMethods('{')).toThrow(/not valid JSON/);
    expect(() => parseShippingMethods('[]')).toThrow(/non-empty JSON array/);
    let message = '';
    try {
      parseShippingMethods(
        JSON.stringify([
          { id: 'Bad Id', name: '', description: 'x', rates: [{ country: 'usa', brackets: [{ amount: 100 }, { upToGrams: 10, amount: -1 }] }] },
          { id: 'ok', name: 'Ok', description: 'x', rates: [] },
        ]),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('; ')).toEqual([
      expect.stringMatching(/^\[0\]\.id /),
      expect.stringMatching(/^\[0\]\.name /),
      expect.stringMatching(/^\[0\]\.rates\[0\]\.country /),
      '[0].rates[0].brackets[0].upToGrams may be left out only in the last bracket',
      expect.stringMatching(/^\[0\]\.rates\[0\]\.brackets\[1\]\.amount /),
      expect.stringMatching(/^\[1\]\.rates /),
    ]);
  });
});

import { ConfigError } from '../../lib/config';
import { readCartConfig } from './cart.config';
import { DEFAULT_SHIPPING_METHODS } from './pricing/shipping-methods';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    readCartConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('cart configuration', () => {
  it('defaults to standard and express, the spec tax rates and the US', () => {
    const config = readCartConfig({});
    expect(config.shippingMethods).toBe(DEFAULT_SHIPPING_METHODS);
    expect(config.shippingMethods.map((method) => method.id)).toEqual(['standard', 'express']);
    expect([...config.taxRates]).toEqual([
      ['US', 0],
      ['CA', 500],
      ['GB', 2000],
      ['DE', 1900],
      ['FR', 2000],
      ['NL', 2100],
      ['AU', 1000],
    ]);
    expect(config.defaultCountry).toBe('US');
  });

  it('reads every setting', () => {
    const config = readCartConfig({
      CART_SHIPPING_METHODS: JSON.stringify([{ id: 'flat', name: 'Flat', description: 'Any time', rates: [{ country: '*', brackets: [{ amount: 500 }] }] }]),
      CART_TAX_RATES: 'GB:20,*:7.5',
      CART_DEFAULT_COUNTRY: 'gb',
    });
    expect(config.shippingMethods.map((method) => method.id)).toEqual(['flat']);
    expect(config.taxRates.get('*')).toBe(750);
    expect(config.defaultCountry).toBe('GB');
  });

  it('reports each bad setting on one line', () => {
    expect(problemsOf({ CART_SHIPPING_METHODS: '[{"id":"x"}', CART_TAX_RATES: 'GB=20', CART_DEFAULT_COUNTRY: 'USA' })).toEqual([
      expect.stringMatching(/^CART_SHIPPING_METHODS: not valid JSON/),
      expect.stringMatching(/^CART_TAX_RATES: "GB=20" is not COUNTRY:PERCENT/),
      expect.stringMatching(/^CART_DEFAULT_COUNTRY: must be an ISO 3166-1 alpha-2 country code/),
    ]);
    expect(problemsOf({ CART_SHIPPING_METHODS: '[{"id":"a","name":"A","description":"","rates":[{"country":"*","brackets":[]}]}]' })).toEqual([
      'CART_SHIPPING_METHODS: [0].rates[0].brackets must be a non-empty array',
    ]);
  });
});

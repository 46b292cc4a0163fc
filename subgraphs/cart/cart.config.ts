import { makeValidator } from 'envalid';
import { envSettings, readEnv } from '../../lib/config';
import { COUNTRY_CODE } from './pricing/cart-cost';
import { DEFAULT_SHIPPING_METHODS, parseShippingMethods, type ShippingMethodConfig } from './pricing/shipping-methods';
import { DEFAULT_TAX_RATES, parseTaxRates, type TaxRates } from './pricing/tax-rates';

// envalid reports a validator's thrown message as the variable's one line (lib/config readEnv).
const shippingMethods = makeValidator<ShippingMethodConfig[]>((input) => parseShippingMethods(input));
const taxRates = makeValidator<TaxRates>((input) => parseTaxRates(input));
const countryCode = makeValidator<string>((input) => {
  const code = input.trim().toUpperCase();
  if (!COUNTRY_CODE.test(code)) throw new Error(`must be an ISO 3166-1 alpha-2 country code such as "US", got "${input}"`);
  return code;
});

/** Settings only cart reads (see the configuration table of the README). */
const cartEnv = {
  CART_SHIPPING_METHODS: shippingMethods({
    default: undefined,
    desc: 'JSON array of shipping methods and their rates by country and weight; unset: standard and express (see cart/pricing/shipping-methods.ts)',
  }),
  CART_TAX_RATES: taxRates({ default: parseTaxRates(DEFAULT_TAX_RATES), desc: 'tax percent per country, e.g. US:0,CA:5,GB:20 ("*" for every other country; unlisted: 0)' }),
  CART_DEFAULT_COUNTRY: countryCode({ default: 'US', desc: 'destination of Cart.cost when no countryCode is given' }),
};

export interface CartConfig {
  shippingMethods: readonly ShippingMethodConfig[];
  taxRates: TaxRates;
  defaultCountry: string;
}

function cartConfig(values: { CART_SHIPPING_METHODS?: ShippingMethodConfig[]; CART_TAX_RATES: TaxRates; CART_DEFAULT_COUNTRY: string }): CartConfig {
  return {
    shippingMethods: values.CART_SHIPPING_METHODS ?? DEFAULT_SHIPPING_METHODS,
    taxRates: values.CART_TAX_RATES,
    defaultCountry: values.CART_DEFAULT_COUNTRY,
  };
}

/** Declared by the cart subgraph: read and validated at start with the common settings. */
export const cartSettings = envSettings(cartEnv, cartConfig);

export function readCartConfig(env: NodeJS.ProcessEnv = process.env): CartConfig {
  return cartConfig(readEnv(cartEnv, env));
}

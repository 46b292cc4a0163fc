import { COUNTRY_CODE } from './cart-cost';

/**
 * Shipping methods and their rates: configuration of the cart subgraph (code
 * defaults below, replaced as a whole by the JSON setting CART_SHIPPING_METHODS).
 * Pure data and parsing; no I/O.
 */

/** One weight bracket: up to `upToGrams` (inclusive) the rate is `amount`; the last bracket may omit it (any weight beyond). */
export interface WeightBracket {
  upToGrams?: number;
  /** Minor units of the method's currency. */
  amount: number;
}

/** The rates of a method to one destination: an ISO country code, or "*" for every country without rates of its own. */
export interface ShippingRateTable {
  country: string;
  brackets: WeightBracket[];
  /** Free when the subtotal after discounts is at least this (minor units); never free when absent. */
  freeOverSubtotal?: number;
}

export interface ShippingMethodConfig {
  /** A stable code, e.g. "standard". */
  id: string;
  name: string;
  description: string;
  /** The currency of the amounts; a cart in another currency cannot use the method. */
  currency: string;
  rates: ShippingRateTable[];
}

const brackets = (upTo2kg: number, upTo10kg: number, beyond: number): WeightBracket[] => [
  { upToGrams: 2000, amount: upTo2kg },
  { upToGrams: 10000, amount: upTo10kg },
  { amount: beyond },
];

/** The defaults of the spec (issue 14): standard (free over $75 in the US) and express. */
export const DEFAULT_SHIPPING_METHODS: readonly ShippingMethodConfig[] = Object.freeze([
  {
    id: 'standard',
    name: 'Standard',
    description: '3-5 business days',
    currency: 'USD',
    rates: [
      { country: 'US', brackets: brackets(499, 899, 1499), freeOverSubtotal: 7500 },
      { country: '*', brackets: brackets(999, 1999, 3499) },
    ],
  },
  {
    id: 'express',
    name: 'Express',
    description: '1-2 business days',
    currency: 'USD',
    rates: [
      { country: 'US', brackets: brackets(1499, 2499, 3999) },
      { country: '*', brackets: brackets(2999, 4999, 7999) },
    ],
  },
]);

const METHOD_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const CURRENCY = /^[A-Z]{3}$/;

const isAmount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses and checks CART_SHIPPING_METHODS: a JSON array of methods shaped like
 * DEFAULT_SHIPPING_METHODS (`currency` optional, default USD). Throws an Error
 * whose message lists every problem found, separated by "; ".
 */
export function parseShippingMethods(text: string): ShippingMethodConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error('must be a non-empty JSON array of shipping methods');
  const problems: string[] = [];
  const ids = new Set<string>();
  const methods: ShippingMethodConfig[] = [];
  value.forEach((raw: unknown, index) => {
    const at = `[${index}]`;
    if (!isObject(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const { id, name, description, currency = 'USD', rates } = raw;
    if (typeof id !== 'string' || !METHOD_ID.test(id)) problems.push(`${at}.id must be a lowercase code of 1-32 letters, digits, "_" or "-"`);
    else if (ids.has(id)) problems.push(`${at}.id "${id}" is used twice`);
    else ids.add(id);
    if (typeof name !== 'string' || name.trim() === '') problems.push(`${at}.name must be a non-empty string`);
    if (typeof description !== 'string') problems.push(`${at}.description must be a string`);
    if (typeof currency !== 'string' || !CURRENCY.test(currency)) problems.push(`${at}.currency must be an ISO 4217 code such as "USD"`);
    if (!Array.isArray(rates) || rates.length === 0) {
      problems.push(`${at}.rates must be a non-empty array`);
      return;
    }
    const countries = new Set<string>();
    rates.forEach((table: unknown, t) => {
      const rt = `${at}.rates[${t}]`;
      if (!isObject(table)) {
        problems.push(`${rt} must be an object`);
        return;
      }
      if (typeof table.country !== 'string' || !(table.country === '*' || COUNTRY_CODE.test(table.country))) {
        problems.push(`${rt}.country must be an upper-case ISO 3166-1 alpha-2 code or "*"`);
      } else if (countries.has(table.country)) problems.push(`${rt}.country "${table.country}" has rates twice`);
      else countries.add(table.country);
      if (table.freeOverSubtotal !== undefined && !isAmount(table.freeOverSubtotal)) problems.push(`${rt}.freeOverSubtotal must be a whole number of minor units >= 0`);
      if (!Array.isArray(table.brackets) || table.brackets.length === 0) {
        problems.push(`${rt}.brackets must be a non-empty array`);
        return;
      }
      let previous = -1;
      table.brackets.forEach((bracket: unknown, b) => {
        const bt = `${rt}.brackets[${b}]`;
        if (!isObject(bracket) || !isAmount(bracket.amount)) {
          problems.push(`${bt}.amount must be a whole number of minor units >= 0`);
          return;
        }
        const last = b === (table.brackets as unknown[]).length - 1;
        if (bracket.upToGrams === undefined) {
          if (!last) problems.push(`${bt}.upToGrams may be left out only in the last bracket`);
        } else if (!isAmount(bracket.upToGrams) || bracket.upToGrams <= previous) {
          problems.push(`${bt}.upToGrams must be a whole number of grams, greater than the previous bracket's`);
        } else previous = bracket.upToGrams;
      });
    });
    methods.push({
      id: id as string,
      name: name as string,
      description: description as string,
      currency: currency as string,
      rates: (rates as ShippingRateTable[]).map((table) => ({
        country: table.country,
        brackets: table.brackets.map((bracket) => ({ ...(bracket.upToGrams === undefined ? {} : { upToGrams: bracket.upToGrams }), amount: bracket.amount })),
        ...(table.freeOverSubtotal === undefined ? {} : { freeOverSubtotal: table.freeOverSubtotal }),
      })),
    });
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return methods;
}

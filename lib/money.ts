import { Directive, Field, Int, ObjectType } from 'type-graphql';

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** Minor units per major unit for a currency (100 for USD, 1 for JPY). */
export function minorUnitsPerMajor(currency: string): number {
  return 10 ** (formatterFor(currency).resolvedOptions().maximumFractionDigits ?? 2);
}

/**
 * An amount of money in integer minor units. Shared by catalog, cart and
 * orders, each of which resolves it itself, hence `@shareable`.
 */
@ObjectType({ description: 'An amount of money. Never a float: `amount` is in minor units (cents).' })
@Directive('@shareable')
export class Money {
  @Field(() => Int, { description: 'Amount in minor units, e.g. 1299 for 12.99' })
  amount!: number;

  @Field({ description: 'ISO 4217 currency code, e.g. "USD"' })
  currency!: string;

  @Field({ description: 'The amount formatted for display, e.g. "$12.99"' })
  formatted!: string;
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`Money amount must be an integer, got ${amount}`);
  const value = new Money();
  value.amount = amount;
  value.currency = currency;
  value.formatted = formatterFor(currency).format(amount / minorUnitsPerMajor(currency));
  return value;
}

/** ISO 4217 codes this runtime knows (Intl would format any three letters, known or not). */
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(code: string): boolean {
  return KNOWN_CURRENCIES.has(code);
}

import { Directive, Field, Int, ObjectType } from 'type-graphql';

interface CurrencyFormat {
  formatter: Intl.NumberFormat;
  /** Minor units per major unit, read once: resolvedOptions() builds a new object on every call. */
  minorUnits: number;
}

const formats = new Map<string, CurrencyFormat>();

function formatFor(currency: string): CurrencyFormat {
  let format = formats.get(currency);
  if (!format) {
    const formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    format = { formatter, minorUnits: 10 ** (formatter.resolvedOptions().maximumFractionDigits ?? 2) };
    formats.set(currency, format);
  }
  return format;
}

/** Minor units per major unit for a currency (100 for USD, 1 for JPY). */
export function minorUnitsPerMajor(currency: string): number {
  return formatFor(currency).minorUnits;
}

/**
 * An amount of money in integer minor units. Shared by catalog, cart and
 * orders, each of which resolves it itself, hence `@shareable`.
 */
@ObjectType({ description: 'An amount of money. Never a float: `amount` is in minor units (cents).' })
@Directive('@shareable')
// As cacheable as what it is the price of (a public product, a private cart or order).
@Directive('@cacheControl(inheritMaxAge: true)')
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
  const format = formatFor(currency);
  value.formatted = format.formatter.format(amount / format.minorUnits);
  return value;
}

/** ISO 4217 codes this runtime knows (Intl would format any three letters, known or not). */
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(code: string): boolean {
  return KNOWN_CURRENCIES.has(code);
}

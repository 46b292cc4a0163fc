/**
 * Tax rates per destination country: percentages with up to 2 decimals, held
 * as basis points (hundredths of a percent) so tax is integer arithmetic.
 * Countries not listed pay the "*" rate when one is given, else none.
 */
export type TaxRates = ReadonlyMap<string, number>;

export const DEFAULT_TAX_RATES = 'US:0,CA:5,GB:20,DE:19,FR:20,NL:21,AU:10';

const ENTRY = /^([A-Z]{2}|\*):(\d{1,3})(?:\.(\d{1,2}))?$/;

/**
 * Parses CART_TAX_RATES, e.g. `US:0,CA:5,GB:20,DE:19.5`: comma-separated
 * COUNTRY:PERCENT, percent 0-100 with at most 2 decimals. Throws an Error
 * listing every bad entry, separated by "; ".
 */
export function parseTaxRates(text: string): TaxRates {
  const rates = new Map<string, number>();
  const problems: string[] = [];
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const match = ENTRY.exec(entry.toUpperCase());
    if (!match) {
      problems.push(`"${entry}" is not COUNTRY:PERCENT (an ISO 3166-1 alpha-2 code or "*", a percentage with at most 2 decimals)`);
      continue;
    }
    const [, country, whole, fraction = ''] = match;
    const basisPoints = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
    if (basisPoints > 10_000) problems.push(`"${entry}": a rate is at most 100 percent`);
    else if (rates.has(country)) problems.push(`"${entry}": ${country} has a rate twice`);
    else rates.set(country, basisPoints);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return rates;
}

/** The rate of a country in basis points: its own, else "*", else 0. */
export function taxRateOf(rates: TaxRates, country: string): number {
  return rates.get(country) ?? rates.get('*') ?? 0;
}

/** Tax on a (non-negative) amount: round half up of amount x rate, in integers. */
export function taxOn(amount: number, basisPoints: number): number {
  return Math.floor((amount * basisPoints + 5000) / 10_000);
}

import { badUserInput } from '../../../lib/errors';
import { combinations, skuPart, variantSku } from '../../../lib/variant-naming';
import { PRODUCT_LIMITS } from '../product/product.validation';

/** Limits of options and variants: enough for real apparel, small enough that a product's variants stay one page. */
const OPTION_LIMITS = {
  options: 3,
  name: 50,
  values: 20,
  value: 100,
  variants: 100,
  weightGrams: 2_147_483_647,
} as const;

export const DEFAULT_WEIGHT_GRAMS = 500;

export interface OptionSpec {
  name: string;
  values: string[];
}

/**
 * Options as given, trimmed and checked: 0 to 3 of them, names 1-50
 * characters and unique ignoring case (so "Size" and "size" cannot both be
 * filters), 1-20 values each, values 1-100 characters and unique within
 * their option, at most 100 combinations. Values must also differ in their
 * SKU part (letters and digits), so every variant gets its own SKU.
 */
export function normalizeOptions(input: readonly { name: string; values: readonly string[] }[] | null | undefined, argumentName = 'input.options'): OptionSpec[] {
  if (input == null) return [];
  if (input.length > OPTION_LIMITS.options) throw badUserInput(`A product has at most ${OPTION_LIMITS.options} options, got ${input.length}`, { argumentName });
  const names = new Set<string>();
  const options = input.map((option, index) => {
    const at = `${argumentName}[${index}]`;
    const name = option.name.trim();
    if (name.length === 0) throw badUserInput('An option name must not be empty', { argumentName: `${at}.name` });
    if (name.length > OPTION_LIMITS.name) throw badUserInput(`An option name may be at most ${OPTION_LIMITS.name} characters`, { argumentName: `${at}.name` });
    if (names.has(name.toLowerCase())) throw badUserInput(`Option "${name}" is given twice (names are compared ignoring case)`, { argumentName: `${at}.name` });
    names.add(name.toLowerCase());
    if (option.values.length === 0 || option.values.length > OPTION_LIMITS.values) {
      throw badUserInput(`Option "${name}" needs 1 to ${OPTION_LIMITS.values} values, got ${option.values.length}`, { argumentName: `${at}.values` });
    }
    const values = option.values.map((raw) => raw.trim());
    const seen = new Set<string>();
    const skuParts = new Map<string, string>();
    for (const value of values) {
      if (value.length === 0) throw badUserInput(`A value of option "${name}" is empty`, { argumentName: `${at}.values` });
      if (value.length > OPTION_LIMITS.value) throw badUserInput(`Values of option "${name}" may be at most ${OPTION_LIMITS.value} characters`, { argumentName: `${at}.values` });
      if (seen.has(value)) throw badUserInput(`Option "${name}" has the value "${value}" twice`, { argumentName: `${at}.values` });
      seen.add(value);
      const part = skuPart(value);
      const other = skuParts.get(part);
      if (other !== undefined) {
        throw badUserInput(`Values "${other}" and "${value}" of option "${name}" would give variants the same SKU; make them differ in letters or digits`, { argumentName: `${at}.values` });
      }
      skuParts.set(part, value);
    }
    return { name, values };
  });
  const count = options.reduce((product, option) => product * option.values.length, 1);
  if (count > OPTION_LIMITS.variants) {
    throw badUserInput(`The options give ${count} combinations; a product has at most ${OPTION_LIMITS.variants} variants`, { argumentName });
  }
  return options;
}

/**
 * `Product.variants(first:)`: absent (or null) is every variant; otherwise a
 * whole number from 0 to the most variants a product can have, refused like
 * a page's `first` (lib/connection.ts pageSize).
 */
export function variantsSliceSize(first: number | null | undefined): number | undefined {
  if (first == null) return undefined;
  if (!Number.isInteger(first) || first < 0 || first > OPTION_LIMITS.variants) {
    throw badUserInput(`"first" must be an integer from 0 to ${OPTION_LIMITS.variants}`, { argumentName: 'first', max: OPTION_LIMITS.variants });
  }
  return first;
}

export function checkWeightGrams(value: number, argumentName: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > OPTION_LIMITS.weightGrams) {
    throw badUserInput(`weightGrams must be a whole number of grams of at least 0, got ${value}`, { argumentName });
  }
  return value;
}

/** The variants' SKUs in position order; refuses options that give a SKU longer than 64 characters or two variants one SKU. */
export function variantSkus(productSku: string, options: readonly OptionSpec[], argumentName = 'input.options'): string[] {
  const skus = combinations(options).map((values) => variantSku(productSku, values));
  const seen = new Set<string>();
  for (const sku of skus) {
    if (seen.has(sku)) throw badUserInput(`Two variants would have the SKU "${sku}"; make the option values differ in letters or digits`, { argumentName });
    seen.add(sku);
    if (sku.length > PRODUCT_LIMITS.sku) {
      throw badUserInput(`Variant SKU "${sku}" would be longer than ${PRODUCT_LIMITS.sku} characters; use a shorter SKU or shorter values`, { argumentName });
    }
  }
  return skus;
}

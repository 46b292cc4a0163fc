import { slugify } from './slug';

/*
 * How a product's variants follow from its options: one per combination of
 * the option values, with a SKU and a title made from those values. Catalog
 * creates variants by these rules and the demo data generates them by the
 * same ones, so the seeded shop looks like one its admins could have made.
 */

/** The longest variant title; three long values are shortened to it. */
const TITLE_LENGTH = 200;

/** The combinations of the options' values, first option slowest: position 0 is the first value of each (the default variant). */
export function combinations(options: readonly { name: string; values: readonly string[] }[]): string[][] {
  return options.reduce<string[][]>((rows, option) => rows.flatMap((row) => option.values.map((value) => [...row, value])), [[]]);
}

/** A value's part of a variant SKU: upper-case letters and digits joined by "-". */
export function skuPart(value: string): string {
  return slugify(value).toUpperCase();
}

/** The SKU of the variant with these values: the product's SKU, then each value's part ("JACK-0025-M-BLACK"). */
export function variantSku(productSku: string, values: readonly string[]): string {
  return [productSku, ...values.map(skuPart).filter((part) => part.length > 0)].join('-');
}

/** "M / Black", or "Default" without options; shortened with an ellipsis beyond 200 characters (3 long values can exceed it). */
export function variantTitle(values: readonly string[]): string {
  if (values.length === 0) return 'Default';
  const title = values.join(' / ');
  return title.length <= TITLE_LENGTH ? title : `${title.slice(0, TITLE_LENGTH - 1)}…`;
}

import { badUserInput } from '../../../lib/errors';
import { isCurrencyCode } from '../../../lib/money';

/** Limits of product fields; generous for real products, small enough to keep pages and indexes sane. */
export const PRODUCT_LIMITS = {
  sku: 64,
  name: 200,
  description: 10_000,
  imageUrl: 2048,
  slug: 120,
} as const;

const SKU = /^[A-Z0-9][A-Z0-9._-]*$/;

function invalid(field: string, message: string) {
  return badUserInput(message, { argumentName: `input.${field}` });
}

/** SKUs are compared and stored in upper case, so "shoe-1" and "SHOE-1" cannot both exist. */
export function normalizeSku(value: string): string {
  const sku = value.trim().toUpperCase();
  if (sku.length === 0) throw invalid('sku', 'sku must not be empty');
  if (sku.length > PRODUCT_LIMITS.sku) throw invalid('sku', `sku may be at most ${PRODUCT_LIMITS.sku} characters`);
  if (!SKU.test(sku)) throw invalid('sku', `sku "${value}" may contain only letters, digits, ".", "_" and "-", starting with a letter or digit`);
  return sku;
}

export function normalizeName(value: string): string {
  const name = value.trim();
  if (name.length === 0) throw invalid('name', 'name must not be empty');
  if (name.length > PRODUCT_LIMITS.name) throw invalid('name', `name may be at most ${PRODUCT_LIMITS.name} characters`);
  return name;
}

export function normalizeDescription(value: string): string {
  const description = value.trim();
  if (description.length === 0) throw invalid('description', 'description must not be empty');
  if (description.length > PRODUCT_LIMITS.description) {
    throw invalid('description', `description may be at most ${PRODUCT_LIMITS.description} characters`);
  }
  return description;
}

export function checkPriceAmount(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid('priceAmount', `priceAmount must be a whole number of minor units of at least 0, got ${value}`);
  return value;
}

export function normalizeCurrency(value: string): string {
  const currency = value.trim().toUpperCase();
  if (!isCurrencyCode(currency)) {
    throw invalid('currency', `currency "${value}" is not an ISO 4217 currency code such as "USD" or "EUR"`);
  }
  return currency;
}

export function normalizeImageUrl(value: string): string {
  const text = value.trim();
  if (text.length > PRODUCT_LIMITS.imageUrl) throw invalid('imageUrl', `imageUrl may be at most ${PRODUCT_LIMITS.imageUrl} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('imageUrl', `imageUrl "${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('imageUrl', `imageUrl must be an http or https URL, got ${url.protocol}`);
  return url.toString();
}

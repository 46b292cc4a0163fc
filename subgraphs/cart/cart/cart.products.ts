import { badUserInput, ErrorCode, graphQLError } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import type { CatalogProductPrice } from '../cart.loaders';

/**
 * What a cart change needs from the product's owners: catalog (does it exist,
 * what does it cost, in which currency) and inventory (how many units can be
 * ordered now). Both go through the request's loaders, so the lookups of one
 * change are one `_entities` call to each, and the prices are already there
 * when the changed cart is shown.
 */

/**
 * The stored form of a product id: PostgreSQL and the sibling subgraphs print
 * UUIDs in lowercase, so lines are keyed that way; null when it cannot be an id.
 */
export function productKey(id: string): string | null {
  return isUuid(id) ? id.toLowerCase() : null;
}

export function productNotFound(id: string) {
  return graphQLError(ErrorCode.NOT_FOUND, `Product ${id} does not exist in the catalog`, { id, argumentName: 'productId' });
}

/** The product's current price; NOT_FOUND when catalog does not know it. */
export async function requireProduct(ctx: CartContext, productId: string): Promise<CatalogProductPrice> {
  const product = await ctx.loaders.productPriceById.load(productId);
  if (!product) throw productNotFound(productId);
  return product;
}

export async function availableQuantity(ctx: CartContext, productId: string): Promise<number> {
  return (await ctx.loaders.productStockById.load(productId))?.availableQuantity ?? 0;
}

/** OUT_OF_STOCK, shaped like inventory's (`productIds`), plus what was asked and what is there. */
export function outOfStock(productId: string, requestedQuantity: number, available: number) {
  const message =
    available > 0
      ? `Only ${available} of product ${productId} can be ordered now; the cart would hold ${requestedQuantity}`
      : `Product ${productId} is sold out`;
  return graphQLError(ErrorCode.OUT_OF_STOCK, message, { productIds: [productId], requestedQuantity, availableQuantity: available });
}

/**
 * The currency of the cart's lines at current prices; null for a cart with no
 * line catalog can price (it takes the currency of its first product).
 */
export async function cartCurrency(ctx: CartContext, productIds: readonly string[]): Promise<string | null> {
  const prices = await ctx.loaders.productPriceById.loadMany([...productIds]);
  for (const price of prices) {
    if (price instanceof Error) throw price;
    if (price) return price.price.currency;
  }
  return null;
}

export function currencyMismatch(cartCurrency: string, productCurrency: string, productIds: string[]) {
  return badUserInput(
    `A cart holds one currency: it is in ${cartCurrency}, and ${productIds.length === 1 ? `product ${productIds[0]} is` : `products ${productIds.join(', ')} are`} priced in ${productCurrency}`,
    { productIds, cartCurrency, productCurrency },
  );
}

/** Quantities arrive as GraphQL Ints; the rules about their size are ours. */
export function requireQuantity(quantity: number, minimum: 0 | 1): number {
  if (!Number.isInteger(quantity) || quantity < minimum) {
    const rule = minimum === 1 ? 'at least 1' : '0 (to remove the line) or more';
    throw badUserInput(`"quantity" must be a whole number, ${rule}; got ${quantity}`, { argumentName: 'quantity' });
  }
  return quantity;
}

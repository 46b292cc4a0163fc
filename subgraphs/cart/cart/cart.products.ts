import { badUserInput, ErrorCode, graphQLError } from '../../../lib/errors';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import type { CatalogVariant } from '../cart.loaders';

/**
 * What a cart change needs from the owners of products and variants: catalog
 * (does the variant exist, of which product, what does it cost, in which
 * currency) and inventory (how many units of it can be ordered now). Both go
 * through the request's loaders, so the lookups of one change are one
 * `_entities` call to each, and the prices are already there when the changed
 * cart is shown. A product's default variant has the product's id.
 */

/**
 * The stored form of a product or variant id: PostgreSQL and the sibling
 * subgraphs print UUIDs in lowercase, so lines are keyed that way; null when
 * it cannot be an id.
 */
export function productKey(id: string): string | null {
  return isUuid(id) ? id.toLowerCase() : null;
}

export function productNotFound(id: string) {
  return graphQLError(ErrorCode.NOT_FOUND, `Product ${id} does not exist in the catalog`, { id, argumentName: 'productId' });
}

export function variantNotOfProduct(variantId: string, productId: string) {
  return badUserInput(`"variantId" ${variantId} is not a variant of product ${productId}`, { argumentName: 'variantId' });
}

/**
 * The variant a line of `productId` is for: `variantId`, which must be one of
 * the product's variants (BAD_USER_INPUT on "variantId" otherwise), or the
 * product's default variant (NOT_FOUND when catalog does not know the product).
 */
export async function requireVariant(ctx: CartContext, productId: string, variantId: string | null): Promise<CatalogVariant> {
  const variant = await ctx.loaders.variantById.load(variantId ?? productId);
  if (!variant || variant.product.id.toLowerCase() !== productId) throw variantId == null ? productNotFound(productId) : variantNotOfProduct(variantId, productId);
  return variant;
}

export async function availableQuantity(ctx: CartContext, variantId: string): Promise<number> {
  return (await ctx.loaders.variantStockById.load(variantId))?.availableQuantity ?? 0;
}

/** OUT_OF_STOCK, shaped like inventory's (`productIds`, `variantIds`), plus what was asked and what is there. */
export function outOfStock(productId: string, variantId: string, requestedQuantity: number, available: number) {
  const what = variantId === productId ? `product ${productId}` : `variant ${variantId} of product ${productId}`;
  const message = available > 0 ? `Only ${available} of ${what} can be ordered now; the cart would hold ${requestedQuantity}` : `${what[0].toUpperCase()}${what.slice(1)} is sold out`;
  return graphQLError(ErrorCode.OUT_OF_STOCK, message, { productIds: [productId], variantIds: [variantId], requestedQuantity, availableQuantity: available });
}

/**
 * The currency of the cart's lines at current prices; null for a cart with no
 * line catalog can price (it takes the currency of its first variant).
 */
export async function cartCurrency(ctx: CartContext, variantIds: readonly string[]): Promise<string | null> {
  const variants = await ctx.loaders.variantById.loadMany([...variantIds]);
  for (const variant of variants) {
    if (variant instanceof Error) throw variant;
    if (variant) return variant.price.currency;
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

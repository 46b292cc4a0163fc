import { createHash } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { badUserInput, ErrorCode } from '../../../lib/errors';
import { Role, type Viewer } from '../../../lib/identity';
import type { SubgraphClients } from '../../../lib/subgraph-client';
import { uuidFromDigest } from '../../../lib/uuid';
import type { Order } from '../order/order.entity';
import type { QuotedDiscount } from '../discount/discount-redemption.service';

/*
 * The calls the checkout saga makes to its siblings: cart (what is bought, at
 * which price, shipped how) and inventory (stock). Each is idempotent on the
 * callee's side, keyed by the order id, so any of them may be repeated.
 */

/**
 * One variant of a product and how many of it, as cart holds it and
 * inventory reserves it. A product's default variant has the product's id.
 */
export interface StockLine {
  productId: string;
  variantId: string;
  quantity: number;
}

/** A line as cart's checkout quote prices it. */
export interface QuotedLine extends StockLine {
  /** Minor units, catalog's current price of the variant, in the quote's currency. */
  unitPriceAmount: number;
}

/** A shipping method as the order keeps it: named as it was at checkout. */
export interface ShippingMethodSnapshot {
  id: string;
  name: string;
  description: string;
}

/**
 * What cart says the cart costs, shipped to the checkout's country by its
 * method: the breakdown the order snapshots and the total the payment
 * charges. Amounts in minor units of `currency`.
 */
export interface CheckoutQuote {
  currency: string;
  /** One line per variant, sorted by variant id. */
  lines: QuotedLine[];
  subtotal: number;
  discounts: number;
  shipping: number;
  tax: number;
  total: number;
  shippingMethod: ShippingMethodSnapshot;
  /** The applied code that gives a discount, with its limits; null when none does. */
  discount: QuotedDiscount | null;
}

export interface CheckoutCart {
  id: string;
  /** One line per variant, sorted by variant id. */
  lines: StockLine[];
  /** The codes applied to the cart, sorted (when asked for). */
  discountCodes?: string[];
}

export interface QuotedCart extends CheckoutCart {
  quote: CheckoutQuote;
  lines: QuotedLine[];
}

const byVariant = (a: StockLine, b: StockLine) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0);

/**
 * Digest of what is bought (variant and quantity per line), to tell a retry
 * from a new request reusing its key. A default variant's id is its
 * product's, so the lines of carts from before variants digest as they did.
 */
export function linesFingerprint(lines: StockLine[]): string {
  const canonical = [...lines]
    .sort(byVariant)
    .map((line) => `${line.variantId}:${line.quantity}`)
    .join(',');
  return createHash('sha256').update(canonical).digest('hex');
}

/** What a checkout request asks for besides the cart's contents, as `requestFingerprint` digests it. */
export interface CheckoutRequest {
  cartId?: string | null;
  shippingAddress: { line1: string; line2?: string | null; city: string; postalCode: string; country: string };
  paymentToken: string;
  shippingMethodId?: string | null;
}

/**
 * Digest of a checkout request besides the cart's contents: the cart it
 * names (none: the active one), the shipping address (trimmed, country in
 * upper case), the payment token and the shipping method (none: the
 * cheapest). A retry under the same idempotency key must digest the same.
 */
export function requestFingerprint(request: CheckoutRequest): string {
  const address = request.shippingAddress;
  const canonical = [
    request.cartId?.toLowerCase() ?? null,
    [address.line1.trim(), address.line2?.trim() || null, address.city.trim(), address.postalCode.trim(), address.country.trim().toUpperCase()],
    request.paymentToken,
    request.shippingMethodId ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * The order id of a checkout attempt, derived from what identifies the
 * request (buyer, idempotency key, cart, lines): duplicates of one request
 * sent at once share one id and so one reservation (inventory answers a
 * repeated reserveStock without reserving again), instead of competing for
 * the stock; a request that differs gets another id. A UUID (version 8,
 * RFC 9562), like every id.
 */
export function attemptOrderId(userId: string, idempotencyKey: string, cartId: string, lines: StockLine[]): string {
  return uuidFromDigest(createHash('sha256').update(JSON.stringify([userId, idempotencyKey, cartId, linesFingerprint(lines)])).digest(), 8);
}

/** The code a sibling's GraphQL error carried (SubgraphClient keeps it), if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as Partial<GraphQLError> | null)?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The buyer, as the follow-up calls of an order present themselves to siblings (there may be no request). */
export function ownerOf(order: Pick<Order, 'userId'>): Viewer {
  return { id: order.userId, role: Role.CUSTOMER };
}

/** Merges lines of one variant (a cart may hold several) and sorts them, so equal carts give equal line lists. */
function mergeLines<T extends StockLine>(lines: T[]): T[] {
  const merged = new Map<string, T>();
  for (const line of lines) {
    const seen = merged.get(line.variantId);
    merged.set(line.variantId, seen ? { ...seen, quantity: seen.quantity + line.quantity } : { ...line });
  }
  return [...merged.values()].sort(byVariant);
}

const CART_LINES = `query CheckoutCartLines($id: ID) { cart(id: $id) { id items { quantity product { id } variant { id } } } }`;
const CART_LINES_AND_CODES = `query CheckoutCartLinesAndCodes($id: ID) { cart(id: $id) { id items { quantity product { id } variant { id } } discountCodes { code } } }`;

interface CartLinesData {
  cart: { id: string; items: { quantity: number; product: { id: string }; variant: { id: string } }[]; discountCodes?: { code: string }[] } | null;
}

/**
 * The cart as `cart(id)` shows it to the viewer (without an id, the viewer's
 * active cart), lines only (and its discount codes with `withCodes`, for a
 * retry to compare with the order it placed); null when there is none.
 */
export async function readCart(clients: SubgraphClients, viewer: Viewer, cartId: string | null, options: { withCodes?: boolean } = {}): Promise<CheckoutCart | null> {
  const { cart } = await clients.cart.request<CartLinesData>(options.withCodes ? CART_LINES_AND_CODES : CART_LINES, { id: cartId }, viewer);
  if (!cart) return null;
  return {
    id: cart.id,
    lines: mergeLines(cart.items.map((item) => ({ productId: item.product.id, variantId: item.variant.id, quantity: item.quantity }))),
    ...(cart.discountCodes ? { discountCodes: cart.discountCodes.map((discount) => discount.code).sort() } : {}),
  };
}

const CHECKOUT_CART = `query CheckoutCart($id: ID, $countryCode: String!, $shippingMethodId: ID) {
  cart(id: $id) {
    id
    checkoutQuote(countryCode: $countryCode, shippingMethodId: $shippingMethodId) {
      currency
      lines { variantId productId quantity unitPriceAmount }
      subtotal discounts shipping tax total
      shippingMethod { id name description }
      discount { codeId code usageLimit usageLimitPerCustomer }
    }
  }
}`;

interface CheckoutCartData {
  cart: { id: string; checkoutQuote: CheckoutQuote | null } | null;
}

/** cart's names of the quote's arguments, and what they are in checkout's input. */
const QUOTE_ARGUMENTS: Readonly<Record<string, string>> = {
  shippingMethodId: 'input.shippingMethodId',
  countryCode: 'input.shippingAddress.country',
};

/** cart's BAD_USER_INPUT about an argument of the quote, as the client's mistake in checkout's input; anything else unchanged. */
function asCheckoutInputError(error: unknown): unknown {
  const extensions = (error as Partial<GraphQLError> | null)?.extensions;
  if (errorCode(error) !== ErrorCode.BAD_USER_INPUT || !extensions) return error;
  const argumentName = typeof extensions.argumentName === 'string' ? QUOTE_ARGUMENTS[extensions.argumentName] : undefined;
  if (!argumentName) return error;
  const { serviceName: _serviceName, code: _code, ...rest } = extensions;
  return badUserInput((error as GraphQLError).message, { ...rest, argumentName });
}

/**
 * The cart with cart's quote of it, shipped to `countryCode` by
 * `shippingMethodId` (default: the cheapest method there), in one call; null
 * when there is no such cart. The quote's lines (merged per variant, sorted)
 * are what the order buys, at the quote's prices. An unknown or unavailable
 * shipping method, or none at all for the country, is BAD_USER_INPUT on
 * input.shippingMethodId; a variant catalog no longer sells, BAD_USER_INPUT
 * as cart says.
 */
export async function readQuotedCart(
  clients: SubgraphClients,
  viewer: Viewer,
  cartId: string | null,
  shipping: { countryCode: string; shippingMethodId: string | null },
): Promise<QuotedCart | null> {
  let data: CheckoutCartData;
  try {
    data = await clients.cart.request<CheckoutCartData>(CHECKOUT_CART, { id: cartId, countryCode: shipping.countryCode.toUpperCase(), shippingMethodId: shipping.shippingMethodId }, viewer);
  } catch (error) {
    throw asCheckoutInputError(error);
  }
  const { cart } = data;
  if (!cart) return null;
  const quoted = cart.checkoutQuote;
  if (!quoted) throw new Error(`cart answered no checkout quote for cart ${cart.id}`);
  const lines = mergeLines(quoted.lines);
  return { id: cart.id, lines, quote: { ...quoted, lines } };
}

const RESERVE = `mutation ReserveStock($orderId: ID!, $lines: [StockLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) }`;
const RELEASE = `mutation ReleaseReservation($orderId: ID!) { releaseReservation(orderId: $orderId) }`;
const COMMIT = `mutation CommitReservation($orderId: ID!) { commitReservation(orderId: $orderId) }`;
const RENEW = `mutation RenewReservation($orderId: ID!, $lines: [StockLineInput!]!) { renewReservation(orderId: $orderId, lines: $lines) }`;
const COMPLETE_CART = `mutation CompleteCheckout($cartId: ID!, $orderId: ID!, $lines: [CheckoutLineInput!]) {
  completeCheckout(cartId: $cartId, orderId: $orderId, lines: $lines)
}`;

/** The lines as inventory's StockLineInput takes them (no more: a quote's line carries its price too). */
const stockLineInputs = (lines: StockLine[]) => lines.map(({ productId, variantId, quantity }) => ({ productId, variantId, quantity }));

/** Holds every line (per variant) for the order, or nothing (OUT_OF_STOCK with extensions.productIds). */
export async function reserveStock(clients: SubgraphClients, viewer: Viewer, orderId: string, lines: StockLine[]): Promise<void> {
  await clients.inventory.request(RESERVE, { orderId, lines: stockLineInputs(lines) }, viewer);
}

/** Gives the order's stock back, reserved or sold alike. */
export async function releaseStock(clients: SubgraphClients, viewer: Viewer, orderId: string): Promise<void> {
  await clients.inventory.request(RELEASE, { orderId }, viewer);
}

/** Turns the order's reservation into a sale. */
export async function commitStock(clients: SubgraphClients, viewer: Viewer, orderId: string): Promise<void> {
  await clients.inventory.request(COMMIT, { orderId }, viewer);
}

/**
 * Takes the stock of a sold order again after its reservation was given back
 * unsold (it expired): all lines or nothing (OUT_OF_STOCK with
 * extensions.productIds); a reservation still held is left as it is.
 */
export async function renewStock(clients: SubgraphClients, viewer: Viewer, orderId: string, lines: StockLine[]): Promise<void> {
  await clients.inventory.request(RENEW, { orderId, lines: stockLineInputs(lines) }, viewer);
}

/**
 * Marks the cart checked out by the order, which empties it for its owner
 * (the viewer). Only the bought lines are checked out: whatever was added to
 * the cart after checkout read it stays in the owner's active cart.
 */
export async function completeCart(clients: SubgraphClients, viewer: Viewer, cartId: string, orderId: string, lines: StockLine[]): Promise<void> {
  await clients.cart.request(COMPLETE_CART, { cartId, orderId, lines: lines.map(({ productId, variantId, quantity }) => ({ productId, variantId, quantity })) }, viewer);
}

export const isOutOfStock = (error: unknown) => errorCode(error) === ErrorCode.OUT_OF_STOCK;

/** The products inventory named short in an OUT_OF_STOCK error. */
export function shortProducts(error: unknown): string[] {
  const productIds = (error as Partial<GraphQLError> | null)?.extensions?.productIds;
  return Array.isArray(productIds) ? productIds.filter((id): id is string => typeof id === 'string') : [];
}

/**
 * commitReservation refused because the order's stock is not held: its
 * reservation was given back unsold (RELEASED, i.e. it expired) or there is
 * none. Such stock can be taken again (renewStock); anything else cannot.
 */
export function isReservationLapsed(error: unknown): boolean {
  const extensions = (error as Partial<GraphQLError> | null)?.extensions;
  if (errorCode(error) !== ErrorCode.BAD_USER_INPUT || !extensions || !('reservationStatus' in extensions)) return false;
  return extensions.reservationStatus === 'RELEASED' || extensions.reservationStatus === null;
}

import { createHash } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { badUserInput, ErrorCode } from '../../../lib/errors';
import { Role, type Viewer } from '../../../lib/identity';
import type { SubgraphClients } from '../../../lib/subgraph-client';
import { uuidFromDigest } from '../../../lib/uuid';
import type { Order } from '../order/order.entity';

/*
 * The calls the checkout saga makes to its siblings: cart (what is bought),
 * catalog (at which price) and inventory (stock). Each is idempotent on the
 * callee's side, keyed by the order id, so any of them may be repeated.
 */

/** One product and how many of it, as cart holds it and inventory reserves it. */
export interface StockLine {
  productId: string;
  quantity: number;
}

export interface CheckoutCart {
  id: string;
  /** One line per product, sorted by product id. */
  lines: StockLine[];
}

export interface UnitPrice {
  amount: number;
  currency: string;
}

/** Digest of what is bought (product and quantity per line), to tell a retry from a new request reusing its key. */
export function linesFingerprint(lines: StockLine[]): string {
  const canonical = [...lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((line) => `${line.productId}:${line.quantity}`)
    .join(',');
  return createHash('sha256').update(canonical).digest('hex');
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

const CART = `query CheckoutCart($id: ID) { cart(id: $id) { id items { quantity product { id } } } }`;

interface CartData {
  cart: { id: string; items: { quantity: number; product: { id: string } }[] } | null;
}

/**
 * The cart as `cart(id)` shows it to the viewer (without an id, the viewer's
 * active cart); null when there is none. Lines of one product are merged and
 * sorted, so equal carts give equal line lists.
 */
export async function readCart(clients: SubgraphClients, viewer: Viewer, cartId: string | null): Promise<CheckoutCart | null> {
  const { cart } = await clients.cart.request<CartData>(CART, { id: cartId }, viewer);
  if (!cart) return null;
  const quantities = new Map<string, number>();
  for (const item of cart.items) quantities.set(item.product.id, (quantities.get(item.product.id) ?? 0) + item.quantity);
  const lines = [...quantities].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => (a.productId < b.productId ? -1 : 1));
  return { id: cart.id, lines };
}

/** catalog's current price of each product, in one call; a product catalog no longer has cannot be bought. */
export async function currentPrices(clients: SubgraphClients, viewer: Viewer, productIds: string[]): Promise<Map<string, UnitPrice>> {
  const products = await clients.catalog.entities<{ id: string; price: UnitPrice }>('Product', 'id price { amount currency }', productIds, viewer);
  const prices = new Map<string, UnitPrice>();
  products.forEach((product, index) => {
    if (product) prices.set(productIds[index], product.price);
  });
  const missing = productIds.filter((id) => !prices.has(id));
  if (missing.length > 0) throw badUserInput('Some products in the cart are no longer sold; remove them and try again', { productIds: missing });
  return prices;
}

const RESERVE = `mutation ReserveStock($orderId: ID!, $lines: [StockLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) }`;
const RELEASE = `mutation ReleaseReservation($orderId: ID!) { releaseReservation(orderId: $orderId) }`;
const COMMIT = `mutation CommitReservation($orderId: ID!) { commitReservation(orderId: $orderId) }`;
const RENEW = `mutation RenewReservation($orderId: ID!, $lines: [StockLineInput!]!) { renewReservation(orderId: $orderId, lines: $lines) }`;
const COMPLETE_CART = `mutation CompleteCheckout($cartId: ID!, $orderId: ID!, $lines: [CheckoutLineInput!]) {
  completeCheckout(cartId: $cartId, orderId: $orderId, lines: $lines)
}`;

/** Holds every line for the order, or nothing (OUT_OF_STOCK with extensions.productIds). */
export async function reserveStock(clients: SubgraphClients, viewer: Viewer, orderId: string, lines: StockLine[]): Promise<void> {
  await clients.inventory.request(RESERVE, { orderId, lines }, viewer);
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
  await clients.inventory.request(RENEW, { orderId, lines }, viewer);
}

/**
 * Marks the cart checked out by the order, which empties it for its owner
 * (the viewer). Only the bought lines are checked out: whatever was added to
 * the cart after checkout read it stays in the owner's active cart.
 */
export async function completeCart(clients: SubgraphClients, viewer: Viewer, cartId: string, orderId: string, lines: StockLine[]): Promise<void> {
  await clients.cart.request(COMPLETE_CART, { cartId, orderId, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })) }, viewer);
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

/**
 * Domain events: written to a subgraph's outbox in the transaction of the
 * change, then published on the event bus. Payloads are plain JSON.
 */
export const Topics = {
  STOCK_CHANGED: 'stock.changed',
  ORDER_STATUS_CHANGED: 'order.status-changed',
  PRODUCT_CHANGED: 'product.changed',
  CATEGORY_CHANGED: 'category.changed',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/**
 * A product's availability after a change (adjustStock, reserve, release,
 * commit). One event per product and transaction; the figures are
 * product-wide (all its variants, all warehouses).
 */
export interface StockChangedEvent {
  productId: string;
  /**
   * The product's variants whose stock changed in this transaction, sorted (a
   * default variant has the product's id). Absent in events recorded before
   * stock was held per variant: read it as `[productId]` (the only variant then).
   */
  variantIds?: string[];
  availableQuantity: number;
  inStock: boolean;
  /**
   * Whether the product was in stock before this transaction: with `inStock`
   * it says whether the product went in or out of stock (what lists filtered
   * by availability depend on). Absent in events recorded before it existed.
   */
  wasInStock?: boolean;
  /** ISO 8601 */
  changedAt: string;
}

/** The variants a STOCK_CHANGED event names: `[productId]` for events recorded before stock was held per variant (the product's only variant then). */
export function changedVariantIds(event: StockChangedEvent): string[] {
  return event.variantIds ?? [event.productId];
}

/** An order moved to a new status. */
export interface OrderStatusChangedEvent {
  orderId: string;
  userId: string;
  status: string;
  previousStatus: string | null;
  /** ISO 8601 */
  changedAt: string;
}

/**
 * A product was created or changed in the catalog (name, description, price,
 * image, category). Caches of public catalog data drop what contains it.
 */
export interface ProductChangedEvent {
  productId: string;
  change: 'created' | 'updated';
  /** Its category after the change. */
  categoryId: string;
  /** Its category before a move to another one; null when it did not move (or was created). */
  previousCategoryId: string | null;
  /** ISO 8601 */
  changedAt: string;
}

/** A category was changed (its name). */
export interface CategoryChangedEvent {
  categoryId: string;
  /** ISO 8601 */
  changedAt: string;
}

export interface EventPayloads {
  [Topics.STOCK_CHANGED]: StockChangedEvent;
  [Topics.ORDER_STATUS_CHANGED]: OrderStatusChangedEvent;
  [Topics.PRODUCT_CHANGED]: ProductChangedEvent;
  [Topics.CATEGORY_CHANGED]: CategoryChangedEvent;
}

/**
 * Where a subgraph puts the time of the event a subscription result answers
 * (its `changedAt`, ISO 8601) in the result's extensions, for the gateway's
 * event latency; the gateway does not pass it on to clients.
 */
export const EVENT_TIME_EXTENSION = 'eventTime';

import { parse, type OperationDefinitionNode, type SelectionNode } from 'graphql';

/**
 * What each mutation changes that a cached public response may show: the
 * tags a gateway drops, on its replica and in Redis, after the mutation ran
 * and before it answers, so that its sender reads the write at once (the
 * change's event drops the same on every replica a few milliseconds later).
 *
 * Declared per mutation field rather than read from the entities a mutation
 * returns: what a mutation changes is not what its client happened to select
 * (`updateProductVariant { price }` changes the product's price too;
 * `adjustStock { onHand }` returns no entity at all), and a cart mutation
 * that returns a cart full of products changes none of them.
 * mutation-changes.test.ts checks that every mutation of the supergraph is
 * declared here; one that is not falls back to the entities of its answer.
 */
export interface MutationChange {
  /** Tags of what it changed, from its arguments (as coerced). */
  fromArguments?(args: Record<string, unknown>): string[];
  /**
   * Fields the cache adds to the mutation field's selection to learn what it
   * changed, each under an alias starting with CHANGED_PREFIX (removed from
   * the answer before anyone sees it). Only fields its own subgraph resolves:
   * the mutation's answer must not come to depend on another subgraph.
   */
  select?: string;
  /** Tags of what it changed, from the field's answer to `select` (and its arguments). */
  fromAnswer?(answer: Record<string, any>, args: Record<string, unknown>): string[];
}

/** Response keys the cache adds to a mutation's fields to learn what it changed. */
export const CHANGED_PREFIX = '_cacheChanged';

/**
 * Tags any change of product data drops besides the product itself: every
 * list of products (it may join, leave or move in one, e.g. sorted by price)
 * and every product lookup that found nothing.
 */
const PRODUCT_LISTS = 'Product';
const CATEGORY_LISTS = 'Category';

/**
 * `Type:id`, with the id as the subgraphs print it (PostgreSQL's lower-case
 * uuids), which is how responses are tagged; none without an id.
 */
const tag = (type: string, id: unknown): string[] => (typeof id === 'string' || typeof id === 'number' ? [`${type}:${String(id).toLowerCase()}`] : []);

/** Checkout reserves the stock of what an order holds, a cancellation gives it back: those products' and variants' availability changed. */
const ORDER_ITEMS: Pick<MutationChange, 'select'> = { select: `${CHANGED_PREFIX}Items: items { product { id } variant { id } }` };
const orderItemTags = (order: Record<string, any>): string[] =>
  ((order[`${CHANGED_PREFIX}Items`] ?? []) as { product?: { id?: string }; variant?: { id?: string } }[]).flatMap((item) => [
    ...tag('Product', item?.product?.id),
    ...tag('ProductVariant', item?.variant?.id),
  ]);
const changedId = (answer: Record<string, any>) => answer[`${CHANGED_PREFIX}Id`];

/** Changes nothing any cached response shows (carts, discount codes, orders, users and addresses are PRIVATE). */
const PRIVATE_ONLY: MutationChange = {};

export const MUTATION_CHANGES: Readonly<Record<string, MutationChange>> = {
  createProduct: {
    select: `${CHANGED_PREFIX}Id: id`,
    fromAnswer: (product) => [...tag('Product', changedId(product)), PRODUCT_LISTS],
  },
  updateProduct: {
    select: `${CHANGED_PREFIX}Id: id`,
    // The product's price is its default variant's (whose id is the product's): both change together.
    fromAnswer: (product) => [...tag('Product', changedId(product)), ...tag('ProductVariant', changedId(product)), PRODUCT_LISTS],
  },
  updateProductVariant: {
    select: `${CHANGED_PREFIX}Id: id ${CHANGED_PREFIX}Product: product { id }`,
    // A variant is shown inside its product (and the default variant's price is the product's price): the product changed too.
    fromAnswer: (variant) => [...tag('ProductVariant', changedId(variant)), ...tag('Product', variant[`${CHANGED_PREFIX}Product`]?.id), PRODUCT_LISTS],
  },
  updateCategory: {
    select: `${CHANGED_PREFIX}Id: id`,
    fromAnswer: (category) => [...tag('Category', changedId(category)), CATEGORY_LISTS],
  },
  // Quantities only: lists filtered by availability follow catalog's projection, dropped by the stock event (see the plugin).
  adjustStock: {
    fromArguments: (args) => [...tag('Product', args.productId), ...tag('ProductVariant', args.variantId ?? args.productId)],
  },
  checkout: { ...ORDER_ITEMS, fromAnswer: orderItemTags },
  cancelOrder: { ...ORDER_ITEMS, fromAnswer: orderItemTags },
  // Only a cancellation gives stock back; shipping or delivering changes nothing public.
  updateOrderStatus: { ...ORDER_ITEMS, fromAnswer: (order, args) => (args.status === 'CANCELLED' ? orderItemTags(order) : []) },
  addToCart: PRIVATE_ONLY,
  updateCartItem: PRIVATE_ONLY,
  removeCartItem: PRIVATE_ONLY,
  mergeGuestCart: PRIVATE_ONLY,
  createDiscountCode: PRIVATE_ONLY,
  applyDiscountCode: PRIVATE_ONLY,
  removeDiscountCode: PRIVATE_ONLY,
  register: PRIVATE_ONLY,
  login: PRIVATE_ONLY,
  refreshToken: PRIVATE_ONLY,
  logout: PRIVATE_ONLY,
  addAddress: PRIVATE_ONLY,
};

const selectionsCache = new Map<string, readonly SelectionNode[]>();

/** The selections the cache adds to a mutation field, parsed once. */
export function changeSelections(fieldName: string): readonly SelectionNode[] {
  const select = Object.hasOwn(MUTATION_CHANGES, fieldName) ? MUTATION_CHANGES[fieldName].select : undefined;
  if (!select) return [];
  let selections = selectionsCache.get(fieldName);
  if (!selections) {
    const operation = parse(`{ ${select} }`, { noLocation: true }).definitions[0] as OperationDefinitionNode;
    selections = operation.selectionSet.selections;
    selectionsCache.set(fieldName, selections);
  }
  return selections;
}

/**
 * The tags a declared mutation field changed, from its arguments and its
 * answer (whose CHANGED_PREFIX keys are removed, in place); undefined for a
 * field not declared here.
 */
export function takeChangedTags(fieldName: string, args: Record<string, unknown>, answer: unknown): string[] | undefined {
  if (!Object.hasOwn(MUTATION_CHANGES, fieldName)) return undefined;
  const change = MUTATION_CHANGES[fieldName];
  const tags = change.fromArguments?.(args) ?? [];
  if (answer && typeof answer === 'object' && !Array.isArray(answer)) {
    const object = answer as Record<string, unknown>;
    // A failed mutation (null answer) changed nothing its answer could tell; its arguments still say what it may have touched.
    if (change.fromAnswer) tags.push(...change.fromAnswer(object, args));
    for (const key of Object.keys(object)) if (key.startsWith(CHANGED_PREFIX)) delete object[key];
  }
  return tags;
}

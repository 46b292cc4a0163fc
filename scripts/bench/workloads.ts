import { readFileSync } from 'node:fs';
import path from 'node:path';
import { demoCatalog } from '../../lib/demo-data';
import { schemaDir } from '../../lib/paths';
import { seededRandom } from '../../lib/seeded-random';

/**
 * The requests of the gateway benchmark: the storefront's own operations
 * (schema/operations/*.graphql) with variables taken from the demo shop
 * (lib/demo-data.ts), and the single-query workloads.
 */
export const WORKLOADS = ['mix', 'list', 'product', 'categories'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const SORTS = ['RELEVANCE', 'NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'NAME_ASC'] as const;

export interface BenchRequest {
  /** What kind of page it stands for (product page, search ...). */
  kind: string;
  /** The JSON body, serialized once. */
  body: string;
  /** Sent with the customer's access token. */
  signedIn: boolean;
}

const operationsDir = () => path.join(schemaDir(), 'operations');

function fragmentsByName(): Map<string, string> {
  const text = readFileSync(path.join(operationsDir(), 'fragments.graphql'), 'utf8');
  const fragments = new Map<string, string>();
  for (const match of text.matchAll(/^fragment (\w+) on \w+ \{[\s\S]*?^\}/gm)) fragments.set(match[1], match[0]);
  return fragments;
}

/** An operation's text with every fragment it spreads, transitively. */
export function withFragments(operation: string): string {
  const fragments = fragmentsByName();
  const needed = new Set<string>();
  const visit = (text: string) => {
    for (const [, name] of text.matchAll(/\.\.\.(\w+)/g)) {
      if (needed.has(name) || !fragments.has(name)) continue;
      needed.add(name);
      visit(fragments.get(name)!);
    }
  };
  visit(operation);
  return [operation.trim(), ...[...needed].map((name) => fragments.get(name)!)].join('\n\n');
}

/** The committed operation `schema/operations/<file>.graphql`, comments dropped, with its fragments. */
export function storefrontOperation(file: string): string {
  const text = readFileSync(path.join(operationsDir(), `${file}.graphql`), 'utf8');
  return withFragments(text.replace(/^#.*\n/gm, ''));
}

export const DOCUMENTS = {
  productPage: storefrontOperation('product-page'),
  productList: storefrontOperation('product-list'),
  productSearch: storefrontOperation('product-search'),
  myOrders: storefrontOperation('my-orders'),
  /** The cart drawer of a signed-in user, through `me` (cart.graphql reads `cart(id)`, the same resolver). */
  myCart: withFragments('query MyCart {\n  me {\n    id\n    cart {\n      ...CartDetails\n    }\n  }\n}'),
  /** The issue's "products(first: 20) with category, inStock, availableQuantity". */
  list: 'query BenchList {\n  products(first: 20) {\n    totalCount\n    nodes {\n      id\n      slug\n      name\n      price {\n        formatted\n      }\n      category {\n        id\n        name\n      }\n      inStock\n      availableQuantity\n    }\n  }\n}',
  /** The issue's "categories with children and 10 products each". */
  categories:
    'query BenchCategories {\n  categories {\n    id\n    name\n    slug\n    children {\n      id\n      name\n      slug\n    }\n    products(first: 10) {\n      totalCount\n      nodes {\n        id\n        slug\n        name\n        price {\n          formatted\n        }\n        inStock\n      }\n    }\n  }\n}',
};

const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify(variables ? { query, variables } : { query });

/** Product pages, one per demo product. */
export function productPages(): BenchRequest[] {
  return demoCatalog().products.map((product) => ({ kind: 'product page', body: body(DOCUMENTS.productPage, { slug: product.slug }), signedIn: false }));
}

/** Search words: every distinct alphabetic word of 3+ letters in the demo products' names. */
export function searchWords(): string[] {
  const words = new Set<string>();
  for (const product of demoCatalog().products) {
    for (const word of product.name.split(/[\s-]+/)) if (/^[A-Za-z]{3,}$/.test(word)) words.add(word.toLowerCase());
  }
  return [...words].sort();
}

export function searches(): BenchRequest[] {
  return searchWords().map((search) => ({ kind: 'search', body: body(DOCUMENTS.productSearch, { search }), signedIn: false }));
}

/** A category page or a shop-wide list page: ProductList with real cursors (`after` null for the first page). */
export interface ListPage {
  categoryId: string | null;
  sort: (typeof SORTS)[number];
  after: string | null;
}

export function listPage(page: ListPage): BenchRequest {
  const variables: Record<string, unknown> = { sort: page.sort, first: 20, after: page.after };
  if (page.categoryId) variables.categoryId = page.categoryId;
  return { kind: page.categoryId ? 'category page' : 'product list', body: body(DOCUMENTS.productList, variables), signedIn: false };
}

export const myCart = (): BenchRequest => ({ kind: 'me cart', body: body(DOCUMENTS.myCart), signedIn: true });
export const myOrders = (): BenchRequest => ({ kind: 'me orders', body: body(DOCUMENTS.myOrders, { first: 5 }), signedIn: true });

/** Share of each kind in the storefront mix, in percent. */
export const MIX_WEIGHTS: Record<string, number> = {
  'product page': 35,
  'category page': 25,
  search: 15,
  'product list': 10,
  'me cart': 8,
  'me orders': 7,
};


/** `length` requests drawn by weight from the variants of each kind, in a fixed pseudo-random order. */
export function mixSequence(variants: Record<string, BenchRequest[]>, weights: Record<string, number>, length: number): BenchRequest[] {
  const next = seededRandom(2026);
  const kinds = Object.keys(weights).filter((kind) => weights[kind] > 0 && (variants[kind]?.length ?? 0) > 0);
  const total = kinds.reduce((sum, kind) => sum + weights[kind], 0);
  const sequence: BenchRequest[] = [];
  for (let i = 0; i < length; i += 1) {
    let pick = next() * total;
    let kind = kinds[kinds.length - 1];
    for (const candidate of kinds) {
      pick -= weights[candidate];
      if (pick < 0) {
        kind = candidate;
        break;
      }
    }
    const options = variants[kind];
    sequence.push(options[Math.floor(next() * options.length)]);
  }
  return sequence;
}

export function singleQuery(workload: Exclude<Workload, 'mix'>): BenchRequest {
  switch (workload) {
    case 'list':
      return { kind: 'list', body: body(DOCUMENTS.list), signedIn: false };
    case 'product':
      return { kind: 'product page', body: body(DOCUMENTS.productPage, { slug: demoCatalog().products[0].slug }), signedIn: false };
    case 'categories':
      return { kind: 'categories', body: body(DOCUMENTS.categories), signedIn: false };
  }
}

import type { Knex } from '@mikro-orm/postgresql';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection, type CursorType, type CursorValue } from '../../../lib/connection';
import { rowReader } from '../../../lib/database';
import { badUserInput } from '../../../lib/errors';
import { money } from '../../../lib/money';
import { isUuid } from '../../../lib/uuid';
import type { CatalogContext } from '../catalog.context';
import { CategoryService } from '../category/category.service';
import { ProductFacet, ProductFacetType, ProductFacetValue } from './product-facet.types';
import { Product } from './product.entity';
import { ProductSort, type ProductFilter } from './product.inputs';

/** Bounds of a filter, so one request cannot ask for an unbounded statement. */
const SEARCH_LIMITS = { optionValues: 20, priceRanges: 10 } as const;

/**
 * The price facet's buckets, in minor units: min inclusive, max exclusive
 * (the last has no max). Labelled in USD, the catalog's default currency.
 */
const PRICE_BUCKETS: readonly { min: number; max: number | null }[] = [
  { min: 0, max: 2500 },
  { min: 2500, max: 5000 },
  { min: 5000, max: 10000 },
  { min: 10000, max: 20000 },
  { min: 20000, max: null },
];
const PRICE_LABEL_CURRENCY = 'USD';

export interface ProductPageArgs {
  filter?: ProductFilter | null;
  sort?: ProductSort | null;
  first?: number | null;
  after?: string | null;
}

/** A price range of the filter, checked. */
export interface PriceRange {
  min: number | null;
  max: number | null;
}

/**
 * A product filter checked and normalised: what the page, the count and the
 * facets are computed from. The facet filters (options, availability, price
 * ranges) are the ones a facet's own count leaves out.
 */
export interface ProductSearch {
  search: string | null;
  /** The category's subtree; null without a category filter, empty for an unknown category. */
  categoryIds: string[] | null;
  minPrice: number | null;
  maxPrice: number | null;
  /** Option name -> its wanted values (OR'ed), in the order given; names are AND'ed within one variant. */
  options: Map<string, string[]>;
  available: boolean | null;
  priceRanges: PriceRange[];
}

/** A page of products; `facets` are computed from `search` only when a query selects them. */
export interface ProductPage extends Connection<Product> {
  search: ProductSearch;
  /** Set by the first resolution of `facets`, so aliases of it share one statement. */
  facetsOnce?: Promise<ProductFacet[]>;
}

type Direction = 'asc' | 'desc';

/** One keyset ordering: the SQL sort keys and how to read them back off a row. */
interface Ordering {
  name: string;
  direction: Direction;
  /** SQL expressions, most significant first; the last is always the id. */
  keys: string[];
  /**
   * The type of each key: decodeCursor checks a cursor's values against it, and
   * the SQL casts the parameters to it, so compared values have the key's exact type.
   */
  types: CursorType[];
  valuesOf(product: Product, row: Record<string, unknown>): CursorValue[];
}

const orderings: Record<Exclude<ProductSort, ProductSort.RELEVANCE>, Ordering> = {
  NEWEST: {
    name: 'NEWEST',
    direction: 'desc',
    keys: ['p.created_at', 'p.id'],
    types: ['timestamptz', 'uuid'],
    valuesOf: (product) => [product.createdAt.toISOString(), product.id],
  },
  PRICE_ASC: {
    name: 'PRICE_ASC',
    direction: 'asc',
    keys: ['p.price_amount', 'p.id'],
    types: ['integer', 'uuid'],
    valuesOf: (product) => [product.priceAmount, product.id],
  },
  PRICE_DESC: {
    name: 'PRICE_DESC',
    direction: 'desc',
    keys: ['p.price_amount', 'p.id'],
    types: ['integer', 'uuid'],
    valuesOf: (product) => [product.priceAmount, product.id],
  },
  NAME_ASC: {
    name: 'NAME_ASC',
    direction: 'asc',
    keys: ['p.name', 'p.id'],
    types: ['text', 'uuid'],
    valuesOf: (product) => [product.name, product.id],
  },
};

const relevance: Ordering = {
  name: 'RELEVANCE',
  direction: 'desc',
  keys: ['search_rank', 'p.id'],
  types: ['real', 'uuid'],
  valuesOf: (product, row) => [Number(row.search_rank), product.id],
};

/** Mapped columns except lazy ones (the search vector is large and never returned). */
function eagerColumns(ctx: CatalogContext): string[] {
  return ctx.em
    .getMetadata()
    .get(Product.name)
    .props.filter((prop) => !prop.lazy && prop.fieldNames?.length)
    .flatMap((prop) => prop.fieldNames);
}

/** A piece of SQL with its `?` bindings (knex expands an array binding into a list). */
interface Sql {
  sql: string;
  bindings: Knex.RawBinding[];
}

const and = (parts: Sql[]): Sql =>
  parts.length === 0 ? { sql: 'true', bindings: [] } : { sql: parts.map((part) => `(${part.sql})`).join(' and '), bindings: parts.flatMap((part) => part.bindings) };

function checkNonNegative(value: number | null | undefined, argumentName: string, label: string): void {
  if (value != null && value < 0) throw badUserInput(`"${label}" must not be negative`, { argumentName });
}

/**
 * Product lists: filtered, sorted, keyset-paginated pages, and the facets of
 * a filter with their counts. Everything is computed in PostgreSQL, in a
 * fixed number of statements per page whatever the filter: the page's rows,
 * its count, and (only when selected) one statement for all facets.
 */
export class ProductSearchService {
  private readonly categories = new CategoryService();

  /**
   * Checks a filter (BAD_USER_INPUT naming the offending argument) and
   * resolves its category to the category's subtree (one statement).
   */
  async prepare(ctx: CatalogContext, filter: ProductFilter | null | undefined): Promise<ProductSearch> {
    const given = filter ?? {};
    checkNonNegative(given.minPrice, 'filter.minPrice', 'minPrice');
    checkNonNegative(given.maxPrice, 'filter.maxPrice', 'maxPrice');
    if (given.minPrice != null && given.maxPrice != null && given.minPrice > given.maxPrice) {
      throw badUserInput('"minPrice" must not exceed "maxPrice"', { argumentName: 'filter' });
    }
    const options = new Map<string, string[]>();
    const selected = given.options ?? [];
    if (selected.length > SEARCH_LIMITS.optionValues) {
      throw badUserInput(`"options" takes at most ${SEARCH_LIMITS.optionValues} values`, { argumentName: 'filter.options', max: SEARCH_LIMITS.optionValues });
    }
    for (const { name, value } of selected) {
      const values = options.get(name) ?? options.set(name, []).get(name)!;
      if (!values.includes(value)) values.push(value);
    }
    const ranges = given.priceRanges ?? [];
    if (ranges.length > SEARCH_LIMITS.priceRanges) {
      throw badUserInput(`"priceRanges" takes at most ${SEARCH_LIMITS.priceRanges} ranges`, { argumentName: 'filter.priceRanges', max: SEARCH_LIMITS.priceRanges });
    }
    const priceRanges = ranges.map((range, i): PriceRange => {
      checkNonNegative(range.min, `filter.priceRanges.${i}.min`, 'min');
      checkNonNegative(range.max, `filter.priceRanges.${i}.max`, 'max');
      if (range.min != null && range.max != null && range.min > range.max) {
        throw badUserInput('A price range\'s "min" must not exceed its "max"', { argumentName: `filter.priceRanges.${i}` });
      }
      return { min: range.min ?? null, max: range.max ?? null };
    });
    let categoryIds: string[] | null = null;
    if (given.categoryId != null) categoryIds = isUuid(given.categoryId) ? await this.categories.subtreeIds(ctx, given.categoryId) : [];
    return {
      search: given.search?.trim() || null,
      categoryIds,
      minPrice: given.minPrice ?? null,
      maxPrice: given.maxPrice ?? null,
      options,
      available: given.available ?? null,
      priceRanges,
    };
  }

  /**
   * A page of products with keyset pagination: the cursor carries the sort
   * keys of the last edge, so a page costs one indexed range scan however
   * deep it is, plus one count for `totalCount` (run side by side).
   */
  async page(ctx: CatalogContext, args: ProductPageArgs): Promise<ProductPage> {
    const size = pageSize(args.first);
    const search = await this.prepare(ctx, args.filter);
    const ordering = args.sort === ProductSort.RELEVANCE && search.search ? relevance : orderings[args.sort === ProductSort.RELEVANCE || !args.sort ? ProductSort.NEWEST : args.sort];
    const after = args.after ? decodeCursor(args.after, ordering.name, ordering.types) : null;
    if (search.categoryIds?.length === 0) return { ...toConnection([], size, () => '', 0), search };

    const knex = ctx.em.getKnex();
    const where = productConditions(search, { facets: true });
    const pageQuery = knex('product as p')
      .select(eagerColumns(ctx).map((column) => `p.${column}`))
      .whereRaw(where.sql, where.bindings);
    if (ordering === relevance) {
      pageQuery.select(knex.raw("ts_rank(p.search_vector, websearch_to_tsquery('english', ?)) as search_rank", [search.search]));
    }
    let rowsQuery: Knex.QueryBuilder = pageQuery;
    if (ordering === relevance) {
      // The rank is computed, so keyset on it needs a derived table.
      rowsQuery = knex.select('*').from(pageQuery.as('p'));
    }
    const keys = ordering.keys.map((key) => (ordering === relevance ? `p.${key.replace(/^p\./, '')}` : key));
    if (after) {
      const comparator = ordering.direction === 'asc' ? '>' : '<';
      rowsQuery.whereRaw(`(${keys.join(', ')}) ${comparator} (${ordering.types.map((type) => `?::${type}`).join(', ')})`, after);
    }
    for (const key of keys) rowsQuery.orderBy(key, ordering.direction);
    rowsQuery.limit(size + 1);

    const countQuery = knex('product as p').count<{ count: string }[]>({ count: '*' }).whereRaw(where.sql, where.bindings);
    const [rows, counted] = await Promise.all([
      ctx.em.getConnection().execute<Record<string, unknown>[]>(rowsQuery),
      ctx.em.getConnection().execute<{ count: string }[]>(countQuery),
    ]);
    // Plain objects, not managed entities: a page is only read, and hydrating it into the identity map cost more than the rest of the request.
    const read = rowReader(ctx.em, Product);
    const cursors = new Map<Product, string>();
    const products = rows.map((row) => {
      const product = read(row);
      cursors.set(product, encodeCursor(ordering.name, ordering.valuesOf(product, row)));
      return product;
    });
    return { ...toConnection(products, size, (product) => cursors.get(product)!, Number(counted[0].count)), search };
  }

  /** The facets of a page, computed once however many times the query selects them. */
  facetsOf(ctx: CatalogContext, page: ProductPage): Promise<ProductFacet[]> {
    page.facetsOnce ??= this.facets(ctx, page.search);
    return page.facetsOnce;
  }

  /**
   * Every facet of a filter with its values' counts, in ONE statement
   * whatever the number of facets and active filters. A value's count is the
   * number of distinct products matching every other active filter plus
   * that value (Shopify's Filter.values.count): the base filters (search,
   * category, minPrice/maxPrice) always apply; each facet leaves its own
   * filter out. For the options, a variant's bit mask records which filtered
   * option names it satisfies; a value of option N counts the products with
   * a variant having that value and satisfying every other filtered name.
   */
  async facets(ctx: CatalogContext, search: ProductSearch): Promise<ProductFacet[]> {
    return toFacets(search, await this.facetRows(ctx, search));
  }

  /** The facet statement's rows (none for an unknown category: nothing matches). */
  async facetRows(ctx: CatalogContext, search: ProductSearch): Promise<FacetRow[]> {
    if (search.categoryIds?.length === 0) return [];
    const statement = facetStatement(search);
    return ctx.em.getConnection().execute<FacetRow[]>(ctx.em.getKnex().raw(statement.sql, statement.bindings));
  }
}

/** One row of the facet statement. */
export interface FacetRow {
  facet: 'total' | 'availability' | 'price' | 'option';
  name: string | null;
  value: string | null;
  count: number;
  position: number | null;
}

/** The filter as SQL over `product p`: the base filters, and with `facets` the facet filters too. */
function productConditions(search: ProductSearch, { facets }: { facets: boolean }): Sql {
  const parts = baseConditions(search);
  if (facets) {
    if (search.options.size > 0) parts.push(optionCondition(search.options));
    if (search.available != null) parts.push(availableCondition(search.available));
    if (search.priceRanges.length > 0) parts.push(priceRangeCondition(search.priceRanges, 'p.price_amount'));
  }
  return and(parts);
}

function baseConditions(search: ProductSearch): Sql[] {
  const parts: Sql[] = [];
  if (search.categoryIds) parts.push({ sql: 'p.category_id in (?)', bindings: [search.categoryIds] });
  if (search.minPrice != null) parts.push({ sql: 'p.price_amount >= ?', bindings: [search.minPrice] });
  if (search.maxPrice != null) parts.push({ sql: 'p.price_amount <= ?', bindings: [search.maxPrice] });
  if (search.search) parts.push({ sql: "p.search_vector @@ websearch_to_tsquery('english', ?)", bindings: [search.search] });
  return parts;
}

/** `o.name = N1 and o.value in (...)`, OR'ed over the names: a variant's option row matching the filter. */
function optionPairs(options: Map<string, string[]>): Sql {
  const entries = [...options];
  return {
    sql: entries.map(() => '(o.name = ? and o.value in (?))').join(' or '),
    bindings: entries.flatMap(([name, values]) => [name, values]),
  };
}

/**
 * One variant of the product has, for every filtered name, one of its values:
 * a variant has one row per option name (the primary key), so it matches when
 * its matching rows number the filtered names.
 */
function optionCondition(options: Map<string, string[]>): Sql {
  const pairs = optionPairs(options);
  // One name: any row of it with a wanted value is a matching variant, no grouping needed.
  if (options.size === 1) return { sql: `p.id in (select o.product_id from product_variant_option o where ${pairs.sql})`, bindings: pairs.bindings };
  return {
    sql: `p.id in (select o.product_id from product_variant_option o where ${pairs.sql} group by o.variant_id, o.product_id having count(*) = ?)`,
    bindings: [...pairs.bindings, options.size],
  };
}

function availableCondition(available: boolean): Sql {
  // No row: unavailable (inventory has not told catalog of any stock).
  return { sql: `${available ? '' : 'not '}exists (select 1 from product_availability a where a.product_id = p.id and a.available_quantity > 0)`, bindings: [] };
}

function priceRangeCondition(ranges: PriceRange[], column: string): Sql {
  const parts = ranges.map((range) => {
    const bounds: Sql[] = [];
    if (range.min != null) bounds.push({ sql: `${column} >= ?`, bindings: [range.min] });
    if (range.max != null) bounds.push({ sql: `${column} < ?`, bindings: [range.max] });
    return and(bounds);
  });
  return { sql: parts.map((part) => `(${part.sql})`).join(' or '), bindings: parts.flatMap((part) => part.bindings) };
}

function bucketExpression(column: string): string {
  const cases = PRICE_BUCKETS.filter((bucket) => bucket.max != null).map((bucket, i) => `when ${column} < ${bucket.max} then ${i}`);
  return `case ${cases.join(' ')} else ${PRICE_BUCKETS.length - 1} end`;
}

/**
 * The statement of `facets`: `base` is the products the base filters keep,
 * `f` flags each with whether it passes each facet filter, and each facet
 * counts the products passing every flag but its own. With option filters,
 * `vm` holds per variant the bit mask of the filtered names it satisfies
 * (bit i for the i-th name).
 */
function facetStatement(search: ProductSearch): Sql {
  const base = and(baseConditions(search));
  const names = [...search.options.keys()];
  const full = (1 << names.length) - 1;
  const bindings: Knex.RawBinding[] = [...base.bindings];
  const ctes = [
    `base as (
      select p.id, p.price_amount, coalesce(a.available_quantity, 0) > 0 as available
      from product p left join product_availability a on a.product_id = p.id
      where ${base.sql})`,
  ];
  // An option row's bit: bit i for the i-th filtered name (bound to `names` where used).
  const nameBit = `case o.name ${names.map((_, i) => `when ? then ${1 << i}`).join(' ')} else 0 end`;
  let optionOk = 'true';
  if (names.length > 0) {
    // Only the option rows the filter names (index product_variant_option_name_value_product_idx): a variant
    // without any misses every bit, which only matters for the own facet of a single filtered name (below).
    const pairs = optionPairs(search.options);
    if (names.length === 1) {
      // One name: a variant has at most one row of it (the primary key), so every matching row is a whole match.
      ctes.push(`vm as (select o.variant_id, o.product_id, 1 as mask from product_variant_option o where ${pairs.sql})`);
      bindings.push(...pairs.bindings);
    } else {
      ctes.push(`vm as (
      select o.variant_id, o.product_id, bit_or(${nameBit}) as mask
      from product_variant_option o
      where ${pairs.sql}
      group by o.variant_id, o.product_id)`);
      bindings.push(...names, ...pairs.bindings);
    }
    ctes.push(`op as (select distinct product_id as id from vm where mask = ${full})`);
    optionOk = 'op.id is not null';
  }
  const availableOk = search.available == null ? 'true' : `b.available = ${search.available ? 'true' : 'false'}`;
  const ranges = search.priceRanges.length > 0 ? priceRangeCondition(search.priceRanges, 'b.price_amount') : { sql: 'true', bindings: [] };
  ctes.push(`f as (
      select b.id, b.price_amount, b.available, ${optionOk} as option_ok, ${availableOk} as available_ok, (${ranges.sql}) as range_ok
      from base b${names.length > 0 ? ' left join op on op.id = b.id' : ''})`);
  bindings.push(...ranges.bindings);
  /*
   * The products having a value, option filter aside, come from the products'
   * option lists (one row per product and name, not one per variant): every
   * value listed has a variant (a product's variants are every combination of
   * its options), so that equals "has a variant with it", at a fraction of the rows.
   */
  const listed = (nameCondition: string) => `select po.product_id, po.name, v.value
        from product_option po join f on f.id = po.product_id cross join lateral unnest(po."values") as v(value)
        where f.available_ok and f.range_ok${nameCondition}`;
  if (names.length === 0) {
    ctes.push(`oc as (select name, value, count(*)::int as count from (${listed('')}) d group by name, value)`);
  } else {
    // A value of option N: a variant with it satisfying every filtered name but N (N's own bit granted), so in vm
    // when two or more names are filtered; with one name, its own facet is its values over the whole base set.
    bindings.push(...names);
    let others = '';
    let ownFacet = '';
    if (names.length === 1) {
      others = ' and o.name <> ?';
      ownFacet = `\n        union all\n        ${listed(' and po.name = ?')}`;
      bindings.push(names[0], names[0]);
    }
    // Distinct (product, name, value) first, then a count per value: hash aggregates, no sorting of option rows by text.
    ctes.push(`oc as (
      select name, value, count(*)::int as count from (
        select distinct vm.product_id, o.name, o.value
        from vm join f on f.id = vm.product_id join product_variant_option o on o.variant_id = vm.variant_id
        where f.available_ok and f.range_ok and (vm.mask | ${nameBit}) = ${full}${others}${ownFacet}) d
      group by name, value)`);
  }
  // An option's display order: its values on the product listing the most of them (lowest id on a tie), found through product_option_display_idx.
  ctes.push(`od as (
      select n.name, (select po."values" from product_option po where po.name = n.name order by cardinality(po."values") desc, po.product_id limit 1) as display
      from (select distinct name from oc) n)`);
  const sql = `with ${ctes.join(',\n    ')}
    select 'total' as facet, null::text as name, null::text as value, (count(*) filter (where option_ok and available_ok and range_ok))::int as count, null::int as position from f
    union all
    select 'availability', null, available::text, count(*)::int, null from f where option_ok and range_ok group by available
    union all
    select 'price', null, (${bucketExpression('price_amount')})::text, count(*)::int, null from f where option_ok and available_ok group by 3
    union all
    select 'option', oc.name, oc.value, oc.count, array_position(od.display, oc.value::text) from oc join od on od.name = oc.name`;
  return { sql, bindings };
}

/** `{"min":2500,"max":5000}`-style equality of a filter's range and a bucket (no min = 0). */
const sameRange = (range: PriceRange, bucket: { min: number; max: number | null }) => (range.min ?? 0) === bucket.min && range.max === bucket.max;

function facet(id: string, label: string, type: ProductFacetType, values: ProductFacetValue[]): ProductFacet {
  return Object.assign(new ProductFacet(), { id, label, type, values });
}

function facetValue(fields: ProductFacetValue): ProductFacetValue {
  return Object.assign(new ProductFacetValue(), fields);
}

/** The facets from the statement's rows: options by name, then availability, then price. */
export function toFacets(search: ProductSearch, rows: FacetRow[]): ProductFacet[] {
  const byName = new Map<string, FacetRow[]>();
  const availability = new Map<string, number>();
  const prices = new Map<string, number>();
  for (const row of rows) {
    if (row.facet === 'option') (byName.get(row.name!) ?? byName.set(row.name!, []).get(row.name!)!).push(row);
    else if (row.facet === 'availability') availability.set(row.value!, Number(row.count));
    else if (row.facet === 'price') prices.set(row.value!, Number(row.count));
  }
  const facets: ProductFacet[] = [];
  for (const name of [...byName.keys()].sort((a, b) => a.localeCompare(b, 'en'))) {
    const values = byName
      .get(name)!
      .filter((row) => Number(row.count) > 0)
      .sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || a.value!.localeCompare(b.value!, 'en'))
      .map((row) =>
        facetValue({
          id: `option.${name}.${row.value}`,
          label: row.value!,
          count: Number(row.count),
          selected: search.options.get(name)?.includes(row.value!) ?? false,
          input: JSON.stringify({ options: [{ name, value: row.value }] }),
        }),
      );
    if (values.length > 0) facets.push(facet(`option.${name}`, name, ProductFacetType.LIST, values));
  }
  facets.push(
    facet(
      'availability',
      'Availability',
      ProductFacetType.BOOLEAN,
      [true, false].map((available) =>
        facetValue({
          id: `availability.${available}`,
          label: available ? 'In stock' : 'Out of stock',
          count: availability.get(String(available)) ?? 0,
          selected: search.available === available,
          input: JSON.stringify({ available }),
        }),
      ),
    ),
  );
  const format = (amount: number) => money(amount, PRICE_LABEL_CURRENCY).formatted;
  facets.push(
    facet(
      'price',
      'Price',
      ProductFacetType.PRICE_RANGE,
      PRICE_BUCKETS.map((bucket, i) =>
        facetValue({
          id: `price.${bucket.min}-${bucket.max ?? ''}`,
          label: bucket.max == null ? `${format(bucket.min)} and above` : `${format(bucket.min)} – ${format(bucket.max)}`,
          count: prices.get(String(i)) ?? 0,
          selected: search.priceRanges.some((range) => sameRange(range, bucket)),
          input: JSON.stringify({ priceRanges: [bucket.max == null ? { min: bucket.min } : { min: bucket.min, max: bucket.max }] }),
        }),
      ),
    ),
  );
  return facets;
}

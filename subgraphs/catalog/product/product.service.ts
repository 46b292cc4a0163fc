import type { Knex } from '@mikro-orm/postgresql';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection, type CursorValue } from '../../../lib/connection';
import { badUserInput } from '../../../lib/errors';
import { isUuid } from '../../../lib/loaders';
import type { CatalogContext } from '../catalog.context';
import { CategoryService } from '../category/category.service';
import { Product } from './product.entity';
import { ProductSort, type ProductFilter } from './product.inputs';

export interface ProductPageArgs {
  filter?: ProductFilter | null;
  sort?: ProductSort | null;
  first?: number | null;
  after?: string | null;
}

type Direction = 'asc' | 'desc';

/** One keyset ordering: the SQL sort keys and how to read them back off a row. */
interface Ordering {
  name: string;
  direction: Direction;
  /** SQL expressions, most significant first; the last is always the id. */
  keys: string[];
  /** Casts for cursor parameters, so compared values have the column's exact type. */
  casts: string[];
  valuesOf(product: Product, row: Record<string, unknown>): CursorValue[];
}

const orderings: Record<Exclude<ProductSort, ProductSort.RELEVANCE>, Ordering> = {
  NEWEST: {
    name: 'NEWEST',
    direction: 'desc',
    keys: ['p.created_at', 'p.id'],
    casts: ['timestamptz', 'uuid'],
    valuesOf: (product) => [product.createdAt.toISOString(), product.id],
  },
  PRICE_ASC: {
    name: 'PRICE_ASC',
    direction: 'asc',
    keys: ['p.price_amount', 'p.id'],
    casts: ['integer', 'uuid'],
    valuesOf: (product) => [product.priceAmount, product.id],
  },
  PRICE_DESC: {
    name: 'PRICE_DESC',
    direction: 'desc',
    keys: ['p.price_amount', 'p.id'],
    casts: ['integer', 'uuid'],
    valuesOf: (product) => [product.priceAmount, product.id],
  },
  NAME_ASC: {
    name: 'NAME_ASC',
    direction: 'asc',
    keys: ['p.name', 'p.id'],
    casts: ['text', 'uuid'],
    valuesOf: (product) => [product.name, product.id],
  },
};

const relevance: Ordering = {
  name: 'RELEVANCE',
  direction: 'desc',
  keys: ['search_rank', 'p.id'],
  casts: ['real', 'uuid'],
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

export class ProductService {
  private readonly categories = new CategoryService();

  /**
   * A page of products with keyset pagination: the cursor carries the sort
   * keys of the last edge, so a page costs one indexed range scan however
   * deep it is, plus one count for `totalCount`.
   */
  async page(ctx: CatalogContext, args: ProductPageArgs): Promise<Connection<Product>> {
    const size = pageSize(args.first);
    const filter = args.filter ?? {};
    const search = filter.search?.trim() || null;
    const ordering = args.sort === ProductSort.RELEVANCE && search ? relevance : orderings[args.sort === ProductSort.RELEVANCE || !args.sort ? ProductSort.NEWEST : args.sort];

    if (filter.minPrice != null && filter.minPrice < 0) throw badUserInput('"minPrice" must not be negative', { argumentName: 'filter.minPrice' });
    if (filter.maxPrice != null && filter.maxPrice < 0) throw badUserInput('"maxPrice" must not be negative', { argumentName: 'filter.maxPrice' });
    if (filter.minPrice != null && filter.maxPrice != null && filter.minPrice > filter.maxPrice) {
      throw badUserInput('"minPrice" must not exceed "maxPrice"', { argumentName: 'filter' });
    }
    const after = args.after ? decodeCursor(args.after, ordering.name, ordering.keys.length) : null;

    let categoryIds: string[] | null = null;
    if (filter.categoryId != null) {
      categoryIds = isUuid(filter.categoryId) ? await this.categories.subtreeIds(ctx, filter.categoryId) : [];
      if (categoryIds.length === 0) return toConnection([], size, () => '', 0);
    }

    const knex = ctx.em.getKnex();
    const applyFilter = (query: Knex.QueryBuilder) => {
      if (categoryIds) query.whereIn('p.category_id', categoryIds);
      if (filter.minPrice != null) query.where('p.price_amount', '>=', filter.minPrice);
      if (filter.maxPrice != null) query.where('p.price_amount', '<=', filter.maxPrice);
      if (search) query.whereRaw("p.search_vector @@ websearch_to_tsquery('english', ?)", [search]);
      return query;
    };

    const pageQuery = applyFilter(knex('product as p').select(eagerColumns(ctx).map((column) => `p.${column}`)));
    if (ordering === relevance) {
      pageQuery.select(knex.raw("ts_rank(p.search_vector, websearch_to_tsquery('english', ?)) as search_rank", [search]));
    }
    let rowsQuery: Knex.QueryBuilder = pageQuery;
    if (ordering === relevance) {
      // The rank is computed, so keyset on it needs a derived table.
      rowsQuery = knex.select('*').from(pageQuery.as('p'));
    }
    if (after) {
      const comparator = ordering.direction === 'asc' ? '>' : '<';
      const keys = ordering.keys.map((key) => (ordering === relevance ? `p.${key.replace(/^p\./, '')}` : key));
      rowsQuery.whereRaw(`(${keys.join(', ')}) ${comparator} (${ordering.casts.map((cast) => `?::${cast}`).join(', ')})`, after);
    }
    for (const key of ordering.keys) {
      rowsQuery.orderBy(ordering === relevance ? `p.${key.replace(/^p\./, '')}` : key, ordering.direction);
    }
    rowsQuery.limit(size + 1);

    const countQuery = applyFilter(knex('product as p').count<{ count: string }[]>({ count: '*' }));
    const [rows, counted] = await Promise.all([
      ctx.em.getConnection().execute<Record<string, unknown>[]>(rowsQuery),
      ctx.em.getConnection().execute<{ count: string }[]>(countQuery),
    ]);
    const cursors = new Map<Product, string>();
    const products = rows.map((row) => {
      const product = ctx.em.map(Product, row);
      cursors.set(product, encodeCursor(ordering.name, ordering.valuesOf(product, row)));
      return product;
    });
    return toConnection(products, size, (product) => cursors.get(product)!, Number(counted[0].count));
  }

  async bySlug(ctx: CatalogContext, slug: string): Promise<Product | null> {
    return ctx.em.findOne(Product, { slug });
  }
}

import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/postgresql';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection, type CursorType, type CursorValue } from '../../../lib/connection';
import { rowReader, type EntityManager } from '../../../lib/database';
import { badUserInput, notFound } from '../../../lib/errors';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { slugify } from '../../../lib/slug';
import { isUuid } from '../../../lib/uuid';
import type { CatalogContext } from '../catalog.context';
import { Category } from '../category/category.entity';
import { CategoryService } from '../category/category.service';
import { Product } from './product.entity';
import { ProductSort, type CreateProductInput, type ProductFilter, type UpdateProductInput } from './product.inputs';
import {
  checkPriceAmount,
  normalizeCurrency,
  normalizeDescription,
  normalizeImageUrl,
  normalizeName,
  normalizeSku,
  PRODUCT_LIMITS,
} from './product.validation';

/** The slug a name starts from: URL-safe, bounded, never empty (a name of only symbols or non-Latin script). */
export function baseSlug(name: string): string {
  return slugify(name).slice(0, PRODUCT_LIMITS.slug).replace(/-+$/, '') || 'product';
}

/** `base`, or `base-2`, `base-3` ...: the first one not in `taken`. */
export function firstFreeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}

function violatedConstraint(error: unknown): string | undefined {
  return error instanceof UniqueConstraintViolationException ? (error as unknown as { constraint?: string }).constraint : undefined;
}

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
    const after = args.after ? decodeCursor(args.after, ordering.name, ordering.types) : null;

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
      rowsQuery.whereRaw(`(${keys.join(', ')}) ${comparator} (${ordering.types.map((type) => `?::${type}`).join(', ')})`, after);
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
    // Plain objects, not managed entities: a page is only read, and hydrating it into the identity map cost more than the rest of the request.
    const read = rowReader(ctx.em, Product);
    const cursors = new Map<Product, string>();
    const products = rows.map((row) => {
      const product = read(row);
      cursors.set(product, encodeCursor(ordering.name, ordering.valuesOf(product, row)));
      return product;
    });
    return toConnection(products, size, (product) => cursors.get(product)!, Number(counted[0].count));
  }

  async bySlug(ctx: CatalogContext, slug: string): Promise<Product | null> {
    return ctx.em.findOne(Product, { slug });
  }

  /**
   * Validates everything before writing. SKU uniqueness is settled by the
   * unique index (a racing duplicate gets the same BAD_USER_INPUT as one the
   * pre-check sees); slugs are chosen under a transaction lock per base slug.
   * The product and its `product.changed` event commit together.
   */
  async create(ctx: CatalogContext, input: CreateProductInput): Promise<Product> {
    const fields = {
      sku: normalizeSku(input.sku),
      name: normalizeName(input.name),
      description: normalizeDescription(input.description),
      priceAmount: checkPriceAmount(input.priceAmount),
      currency: normalizeCurrency(input.currency ?? 'USD'),
      imageUrl: input.imageUrl == null ? null : normalizeImageUrl(input.imageUrl),
    };
    const category = await this.existingCategory(ctx, input.categoryId);
    await this.assertSkuFree(ctx.em, fields.sku);

    const base = baseSlug(fields.name);
    try {
      return await ctx.em.transactional(async (tx) => {
        // Creates of equally named products take turns choosing a number; others do not wait.
        await tx.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`product-slug:${base}`], 'run', tx.getTransactionContext());
        const slug = firstFreeSlug(base, await this.slugsLike(tx, base));
        const product = tx.create(Product, { ...fields, slug, category: tx.getReference(Category, category.id) });
        recordEvent(tx, Topics.PRODUCT_CHANGED, product.id, {
          productId: product.id,
          change: 'created',
          categoryId: category.id,
          previousCategoryId: null,
          changedAt: product.createdAt.toISOString(),
        });
        return product;
      });
    } catch (error) {
      if (violatedConstraint(error) === 'product_sku_unique') throw this.skuTaken(fields.sku);
      throw error;
    }
  }

  /**
   * Omitted and null fields stay as they are, except imageUrl, which null
   * removes. The slug is kept on rename: it is the product's address, and
   * links and bookmarks to it must keep working. The input is checked first;
   * then, in one transaction, the product row is locked (concurrent changes
   * of one product queue up, so each event names the category its change
   * replaced, and events of a product are in commit order), changed, and its
   * `product.changed` event recorded. A change that changes nothing writes
   * nothing and records no event.
   */
  async update(ctx: CatalogContext, id: string, input: UpdateProductInput): Promise<Product> {
    if (!isUuid(id)) throw notFound('Product', id);
    const changes: Partial<Pick<Product, 'name' | 'description' | 'priceAmount' | 'imageUrl'>> = {};
    if (input.name != null) changes.name = normalizeName(input.name);
    if (input.description != null) changes.description = normalizeDescription(input.description);
    if (input.priceAmount != null) changes.priceAmount = checkPriceAmount(input.priceAmount);
    if (input.imageUrl !== undefined) changes.imageUrl = input.imageUrl === null ? null : normalizeImageUrl(input.imageUrl);
    const category = input.categoryId != null ? await this.existingCategory(ctx, input.categoryId) : null;

    return ctx.em.transactional(async (tx) => {
      const product = await tx.findOne(Product, { id: id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!product) throw notFound('Product', id);
      const previousCategoryId = product.category.id;
      const moved = category !== null && category.id !== previousCategoryId;
      const changed = moved || (Object.keys(changes) as (keyof typeof changes)[]).some((field) => changes[field] !== product[field]);
      if (!changed) return product;
      tx.assign(product, changes);
      if (moved) product.category = tx.getReference(Category, category.id);
      recordEvent(tx, Topics.PRODUCT_CHANGED, product.id, {
        productId: product.id,
        change: 'updated',
        categoryId: product.category.id,
        previousCategoryId: moved ? previousCategoryId : null,
        changedAt: new Date().toISOString(),
      });
      return product;
    });
  }

  private async existingCategory(ctx: CatalogContext, categoryId: string): Promise<Category> {
    // PostgreSQL prints uuids in lower case, and the loader matches rows by that text.
    const category = await ctx.loaders.categoryById.load(categoryId.toLowerCase());
    if (!category) throw badUserInput(`categoryId "${categoryId}" is not an existing category`, { argumentName: 'input.categoryId' });
    return category;
  }

  private async assertSkuFree(em: EntityManager, sku: string): Promise<void> {
    if ((await em.count(Product, { sku })) > 0) throw this.skuTaken(sku);
  }

  private skuTaken(sku: string) {
    return badUserInput(`sku "${sku}" is already used by another product`, { argumentName: 'input.sku' });
  }

  /** Slugs that `base` could collide with: itself and its numbered variants. */
  private async slugsLike(em: EntityManager, base: string): Promise<Set<string>> {
    // A base slug holds only [a-z0-9-], so it needs no LIKE escaping.
    const rows = await em.find(Product, { $or: [{ slug: base }, { slug: { $like: `${base}-%` } }] }, { fields: ['slug'] });
    return new Set(rows.map((row) => row.slug));
  }
}

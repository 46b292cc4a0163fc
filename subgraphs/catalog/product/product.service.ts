import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { type EntityManager } from '../../../lib/database';
import { badUserInput, notFound } from '../../../lib/errors';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { slugify } from '../../../lib/slug';
import { isUuid } from '../../../lib/uuid';
import type { CatalogContext } from '../catalog.context';
import { Category } from '../category/category.entity';
import { Product } from './product.entity';
import { checkWeightGrams, DEFAULT_WEIGHT_GRAMS, normalizeOptions, variantSkus } from '../product-variant/product-option.validation';
import { ProductVariantService } from '../product-variant/product-variant.service';
import { type CreateProductInput, type UpdateProductInput } from './product.inputs';
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

export class ProductService {
  private readonly variants = new ProductVariantService();

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
    const options = normalizeOptions(input.options);
    const weightGrams = input.weightGrams == null ? DEFAULT_WEIGHT_GRAMS : checkWeightGrams(input.weightGrams, 'input.weightGrams');
    const skus = variantSkus(fields.sku, options);
    const category = await this.existingCategory(ctx, input.categoryId);
    await this.assertSkuFree(ctx.em, fields.sku);
    await this.variants.assertSkusFree(ctx.em, skus, options.length > 0 ? 'input.options' : 'input.sku');

    const base = baseSlug(fields.name);
    try {
      return await ctx.em.transactional(async (tx) => {
        // Creates of equally named products take turns choosing a number; others do not wait.
        await tx.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`product-slug:${base}`], 'run', tx.getTransactionContext());
        const slug = firstFreeSlug(base, await this.slugsLike(tx, base));
        const product = tx.create(Product, { ...fields, slug, category: tx.getReference(Category, category.id) });
        // Every product has at least its default variant (id = the product's id), created with it.
        this.variants.createFor(tx, product, options, skus, weightGrams);
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
      if (violatedConstraint(error) === 'product_variant_sku_key') {
        throw badUserInput(`A variant SKU of this product is already used by another product's variant`, { argumentName: options.length > 0 ? 'input.options' : 'input.sku' });
      }
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
      const repriced = changes.priceAmount !== undefined && changes.priceAmount !== product.priceAmount;
      tx.assign(product, changes);
      if (moved) product.category = tx.getReference(Category, category.id);
      // The product's price is its default variant's price: both change in this transaction.
      if (repriced) await this.variants.setDefaultPrice(tx, product.id, product.priceAmount);
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

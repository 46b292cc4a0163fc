import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '../../../lib/database';
import { badUserInput, notFound } from '../../../lib/errors';
import { Topics } from '../../../lib/events';
import { recordEvent } from '../../../lib/outbox';
import { isUuid } from '../../../lib/uuid';
import type { CatalogContext } from '../catalog.context';
import { Product } from '../product/product.entity';
import { checkPriceAmount } from '../product/product.validation';
import { ProductOption } from './product-option.entity';
import { combinations, variantTitle } from '../../../lib/variant-naming';
import { checkWeightGrams, type OptionSpec } from './product-option.validation';
import { ProductVariantOption } from './product-variant-option.entity';
import { ProductVariant } from './product-variant.entity';
import type { UpdateProductVariantInput } from './product-variant.inputs';
import type { SelectedOption } from './selected-option';

export class ProductVariantService {
  /**
   * A new product's options and variants, in the product's transaction: every
   * combination of the option values (first option slowest), the first one
   * the default variant with the product's id, all at the product's price.
   * `skus` are the variants' SKUs in that order (variantSkus).
   */
  createFor(tx: EntityManager, product: Product, options: readonly OptionSpec[], skus: readonly string[], weightGrams: number): ProductVariant[] {
    const productRef = tx.getReference(Product, product.id);
    options.forEach((option, position) => tx.create(ProductOption, { product: productRef, position, name: option.name, values: [...option.values] }));
    const now = new Date();
    return combinations(options).map((values, position) => {
      const variant = tx.create(ProductVariant, {
        ...(position === 0 ? { id: product.id } : {}),
        product: productRef,
        position,
        sku: skus[position],
        title: variantTitle(values),
        priceAmount: product.priceAmount,
        currency: product.currency,
        weightGrams,
        createdAt: now,
        updatedAt: now,
      });
      values.forEach((value, index) => tx.create(ProductVariantOption, { variant, name: options[index].name, value, productId: product.id }));
      return variant;
    });
  }

  /** Refuses SKUs another product's variant already has (a racing duplicate hits the unique index instead). */
  async assertSkusFree(em: EntityManager, skus: readonly string[], argumentName: string): Promise<void> {
    const taken = await em.find(ProductVariant, { sku: { $in: [...skus] } }, { fields: ['sku'], limit: 1 });
    if (taken.length > 0) throw badUserInput(`sku "${taken[0].sku}" is already used by another product's variant`, { argumentName });
  }

  /** Keeps the default variant's price equal to its product's, in the transaction that changes the product's. */
  async setDefaultPrice(tx: EntityManager, productId: string, priceAmount: number): Promise<void> {
    await tx.nativeUpdate(ProductVariant, { id: productId }, { priceAmount, updatedAt: new Date() });
  }

  /**
   * Changes a variant's price or weight. Like a product update it locks the
   * product row first, so changes of one product queue up and its
   * `product.changed` events are in commit order. The default variant's price
   * is the product's price, so both change together. A change that changes
   * nothing writes nothing and records no event.
   */
  async update(ctx: CatalogContext, id: string, input: UpdateProductVariantInput): Promise<ProductVariant> {
    if (!isUuid(id)) throw notFound('ProductVariant', id);
    const changes: Partial<Pick<ProductVariant, 'priceAmount' | 'weightGrams'>> = {};
    if (input.priceAmount != null) changes.priceAmount = checkPriceAmount(input.priceAmount);
    if (input.weightGrams != null) changes.weightGrams = checkWeightGrams(input.weightGrams, 'input.weightGrams');
    const variantId = id.toLowerCase();

    return ctx.em.transactional(async (tx) => {
      const found = await tx.findOne(ProductVariant, { id: variantId }, { fields: ['product'], refresh: true });
      if (!found) throw notFound('ProductVariant', id);
      const product = await tx.findOne(Product, { id: found.product.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const variant = await tx.findOne(ProductVariant, { id: variantId }, { refresh: true });
      if (!product || !variant) throw notFound('ProductVariant', id);
      const changed = (Object.keys(changes) as (keyof typeof changes)[]).some((field) => changes[field] !== variant[field]);
      if (!changed) return variant;
      tx.assign(variant, changes);
      if (variant.position === 0 && changes.priceAmount !== undefined) product.priceAmount = changes.priceAmount;
      recordEvent(tx, Topics.PRODUCT_CHANGED, product.id, {
        productId: product.id,
        change: 'updated',
        categoryId: product.category.id,
        previousCategoryId: null,
        changedAt: new Date().toISOString(),
      });
      return variant;
    });
  }

  /** The product's options in display order. */
  async options(ctx: CatalogContext, productId: string): Promise<ProductOption[]> {
    return ctx.loaders.optionsByProductId.load(productId);
  }

  /** The product's variants, default first. */
  async variants(ctx: CatalogContext, productId: string): Promise<ProductVariant[]> {
    return ctx.loaders.variantsByProductId.load(productId);
  }

  async defaultVariant(ctx: CatalogContext, productId: string): Promise<ProductVariant> {
    const [first] = await this.variants(ctx, productId);
    if (!first || first.position !== 0) throw new Error(`Product ${productId} has no default variant`);
    return first;
  }

  /** A variant's option values in the order of its product's options. */
  async selectedOptions(ctx: CatalogContext, variant: ProductVariant): Promise<SelectedOption[]> {
    const [rows, options] = await Promise.all([ctx.loaders.variantOptionsByVariantId.load(variant.id), ctx.loaders.optionsByProductId.load(variant.product.id)]);
    const order = new Map(options.map((option) => [option.name, option.position]));
    return [...rows]
      .sort((a, b) => (order.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.name) ?? Number.MAX_SAFE_INTEGER) || a.name.localeCompare(b.name))
      .map((row) => ({ name: row.name, value: row.value }));
  }

  /**
   * The variant with exactly these values: every option of the product named
   * once, names and values compared as they are (case-sensitive). Null when
   * a name is unknown, missing or repeated, or no variant has the values.
   */
  async bySelectedOptions(ctx: CatalogContext, productId: string, selected: readonly SelectedOption[]): Promise<ProductVariant | null> {
    const [options, variants] = await Promise.all([this.options(ctx, productId), this.variants(ctx, productId)]);
    if (selected.length !== options.length) return null;
    const wanted = new Map<string, string>();
    for (const { name, value } of selected) {
      if (wanted.has(name)) return null;
      wanted.set(name, value);
    }
    if (options.some((option) => !wanted.has(option.name))) return null;
    if (options.length === 0) return variants[0] ?? null;
    const rows = await Promise.all(variants.map((variant) => ctx.loaders.variantOptionsByVariantId.load(variant.id)));
    const index = rows.findIndex((values) => values.length === wanted.size && values.every((row) => wanted.get(row.name) === row.value));
    return index >= 0 ? variants[index] : null;
  }

  /** The lowest and highest variant price, in minor units. */
  async priceRange(ctx: CatalogContext, product: Product): Promise<{ min: number; max: number }> {
    const variants = await this.variants(ctx, product.id);
    if (variants.length === 0) return { min: product.priceAmount, max: product.priceAmount };
    const prices = variants.map((variant) => variant.priceAmount);
    return { min: Math.min(...prices), max: Math.max(...prices) };
  }
}

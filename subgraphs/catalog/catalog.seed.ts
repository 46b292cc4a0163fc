import { randomUUID } from 'node:crypto';
import type { EntityManager } from '../../lib/database';
import { demoCatalog, type DemoProduct, type DemoVariant } from '../../lib/demo-data';
import type { Logger } from '../../lib/logger';
import { Category } from './category/category.entity';
import { Product } from './product/product.entity';
import { ProductVariant } from './product-variant/product-variant.entity';

/** What the variants migration gave every product it found: a default variant that the demo data should replace. */
const MIGRATION_DEFAULT = { title: 'Default', weightGrams: 500 };

/**
 * Inserts the demo categories, products, options, variants and variant
 * options that are missing; existing rows are left alone, except a demo
 * product's default variant that still has what the variants migration gave
 * it (the product's SKU, "Default", 500 g): it gets the demo's SKU, title and
 * weight, as a database seeded before variants existed would otherwise lack
 * them (a product with options has a default variant such as "JACK-0025-S-BLACK").
 */
export async function seedCatalog(em: EntityManager, log: Logger): Promise<void> {
  const { categories, products, variants } = demoCatalog();
  await em.transactional(async (tx) => {
    const knownCategories = new Set((await tx.find(Category, {}, { fields: ['id'] })).map((c) => c.id));
    for (const demo of categories) {
      if (knownCategories.has(demo.id)) continue;
      tx.create(Category, {
        id: demo.id,
        name: demo.name,
        slug: demo.slug,
        parent: demo.parentId ? tx.getReference(Category, demo.parentId) : null,
        createdAt: new Date(Date.UTC(2026, 0, 1)),
      });
    }
    const knownProducts = new Set((await tx.find(Product, {}, { fields: ['id'] })).map((p) => p.id));
    let added = 0;
    for (const demo of products) {
      if (knownProducts.has(demo.id)) continue;
      // Options are rows of their own (seedVariants).
      const { categoryId, options: _options, ...columns } = demo;
      tx.create(Product, { ...columns, category: tx.getReference(Category, categoryId), updatedAt: demo.createdAt });
      added += 1;
    }
    const variantCounts = await seedVariants(tx, products, variants);
    log.info({ categories: categories.length - knownCategories.size, products: added, ...variantCounts }, 'seeded catalog demo data');
  });
}

async function seedVariants(tx: EntityManager, products: DemoProduct[], variants: DemoVariant[]): Promise<Record<string, number>> {
  // The products created above must be in the table before the variants' rows refer to them.
  await tx.flush();
  const productIds = products.map((product) => product.id);
  const createdAt = new Map(products.map((product) => [product.id, product.createdAt]));
  // Every demo product is in the database by now (seeded above or before), and a product's SKU never changes.
  const skus = new Map(products.map((product) => [product.id, product.sku]));
  // What there is of the demo products' variants, to add only what is missing: rows, not entities (about a thousand of each).
  const rows = <T>(sql: string, params: unknown[] = []) => tx.getConnection().execute<T[]>(sql, params as never[], 'all', tx.getTransactionContext());
  const existing = new Map(
    (await rows<{ id: string; position: number; sku: string; title: string; weight_grams: number }>(
      `select id, position, sku, title, weight_grams from product_variant where product_id = any(string_to_array(?, ',')::uuid[])`,
      [productIds.join(',')],
    )).map((row) => [row.id, row]),
  );
  const takenSkus = new Set((await rows<{ sku: string }>('select sku from product_variant')).map((row) => row.sku));
  const withOptions = new Set((await rows<{ product_id: string }>('select distinct product_id from product_option')).map((row) => row.product_id));
  const variantOptions = new Set(
    (await rows<{ variant_id: string; name: string }>(`select variant_id, name from product_variant_option where product_id = any(string_to_array(?, ',')::uuid[])`, [productIds.join(',')])).map(
      (row) => `${row.variant_id}:${row.name}`,
    ),
  );

  const optionRows = products
    .filter((product) => product.options.length > 0 && !withOptions.has(product.id))
    .flatMap((product) => product.options.map((option, position) => ({ id: randomUUID(), product_id: product.id, position, name: option.name, values: option.values })));
  const variantRows: Record<string, unknown>[] = [];
  const optionValueRows: Record<string, unknown>[] = [];
  let defaultVariantsUpdated = 0;
  for (const demo of variants) {
    const current = existing.get(demo.id);
    if (current) {
      const fromMigration =
        current.position === 0 && current.sku === skus.get(demo.productId) && current.title === MIGRATION_DEFAULT.title && current.weight_grams === MIGRATION_DEFAULT.weightGrams;
      const differs = current.sku !== demo.sku || current.title !== demo.title || current.weight_grams !== demo.weightGrams;
      if (fromMigration && differs && (current.sku === demo.sku || !takenSkus.has(demo.sku))) {
        await tx.nativeUpdate(ProductVariant, { id: demo.id }, { sku: demo.sku, title: demo.title, weightGrams: demo.weightGrams, updatedAt: new Date() });
        takenSkus.delete(current.sku);
        takenSkus.add(demo.sku);
        defaultVariantsUpdated += 1;
      }
    } else {
      // A SKU someone else took first keeps its owner; the demo variant is left out.
      if (takenSkus.has(demo.sku)) continue;
      const at = createdAt.get(demo.productId)!;
      variantRows.push({
        id: demo.id,
        product_id: demo.productId,
        position: demo.position,
        sku: demo.sku,
        title: demo.title,
        price_amount: demo.priceAmount,
        currency: demo.currency,
        weight_grams: demo.weightGrams,
        created_at: at.toISOString(),
        updated_at: at.toISOString(),
      });
      takenSkus.add(demo.sku);
    }
    for (const { name, value } of demo.selectedOptions) {
      if (!variantOptions.has(`${demo.id}:${name}`)) optionValueRows.push({ variant_id: demo.id, product_id: demo.productId, name, value });
    }
  }
  // One statement per table (rows as a JSON document): the demo has about 900 variants and 2000 option values, too many for one entity each in the seed's time.
  const insert = async (table: string, columns: string, rowsOf: Record<string, unknown>[]) => {
    if (rowsOf.length === 0) return;
    const names = columns.split(',').map((column) => column.trim().split(' ')[0]);
    await tx
      .getConnection()
      .execute(`insert into ${table} (${names.join(', ')}) select ${names.join(', ')} from jsonb_to_recordset(?::jsonb) as r(${columns})`, [JSON.stringify(rowsOf)], 'run', tx.getTransactionContext());
  };
  await insert('product_option', 'id uuid, product_id uuid, position int, name text, "values" text[]', optionRows);
  await insert('product_variant', 'id uuid, product_id uuid, position int, sku text, title text, price_amount int, currency text, weight_grams int, created_at timestamptz, updated_at timestamptz', variantRows);
  await insert('product_variant_option', 'variant_id uuid, product_id uuid, name text, value text', optionValueRows);
  return { options: optionRows.length, variants: variantRows.length, defaultVariantsUpdated, variantOptions: optionValueRows.length };
}

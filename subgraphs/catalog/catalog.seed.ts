import type { EntityManager } from '../../lib/database';
import { demoCatalog } from '../../lib/demo-data';
import type { Logger } from '../../lib/logger';
import { Category } from './category/category.entity';
import { Product } from './product/product.entity';

/** Inserts the demo categories and products that are missing; existing rows are left alone. */
export async function seedCatalog(em: EntityManager, log: Logger): Promise<void> {
  const { categories, products } = demoCatalog();
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
      const { categoryId, ...fields } = demo;
      tx.create(Product, { ...fields, category: tx.getReference(Category, categoryId), updatedAt: demo.createdAt });
      added += 1;
    }
    log.info({ categories: categories.length - knownCategories.size, products: added }, 'seeded catalog demo data');
  });
}

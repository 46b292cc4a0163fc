import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader } from '../../lib/loaders';
import { Category } from './category/category.entity';
import { Product } from './product/product.entity';

export function createCatalogLoaders(em: EntityManager) {
  return {
    productById: entityLoader(em, Product),
    categoryById: entityLoader(em, Category),
    childrenByParentId: groupLoader(
      (parentIds: readonly string[]) => em.find(Category, { parent: { $in: [...parentIds] } }, { orderBy: { name: 'asc', id: 'asc' } }),
      (category) => category.parent!.id,
    ),
  };
}

export type CatalogLoaders = ReturnType<typeof createCatalogLoaders>;

import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader } from '../../lib/loaders';
import { Category } from './category/category.entity';
import { Product } from './product/product.entity';
import { ProductOption } from './product-variant/product-option.entity';
import { ProductVariantOption } from './product-variant/product-variant-option.entity';
import { ProductVariant } from './product-variant/product-variant.entity';

export function createCatalogLoaders(em: EntityManager) {
  return {
    productById: entityLoader(em, Product),
    categoryById: entityLoader(em, Category),
    childrenByParentId: groupLoader(
      (parentIds: readonly string[]) => em.find(Category, { parent: { $in: [...parentIds] } }, { orderBy: { name: 'asc', id: 'asc' } }),
      (category) => category.parent!.id,
    ),
    variantById: entityLoader(em, ProductVariant),
    /** Each product's variants, default (position 0) first. */
    variantsByProductId: groupLoader(
      (productIds: readonly string[]) => em.find(ProductVariant, { product: { $in: [...productIds] } }, { orderBy: { position: 'asc' } }),
      (variant) => variant.product.id,
    ),
    /** Each product's options in display order. */
    optionsByProductId: groupLoader(
      (productIds: readonly string[]) => em.find(ProductOption, { product: { $in: [...productIds] } }, { orderBy: { position: 'asc' } }),
      (option) => option.product.id,
    ),
    /** Each variant's option values (unordered: ProductVariantService.selectedOptions orders them by the options). */
    variantOptionsByVariantId: groupLoader(
      (variantIds: readonly string[]) => em.find(ProductVariantOption, { variant: { $in: [...variantIds] } }),
      (row) => row.variant.id,
    ),
  };
}

export type CatalogLoaders = ReturnType<typeof createCatalogLoaders>;

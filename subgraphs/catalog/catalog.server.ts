import { OutboxEvent } from '../../lib/outbox';
import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps } from '../../lib/subgraph';
import type { CatalogContext } from './catalog.context';
import { createCatalogLoaders, type CatalogLoaders } from './catalog.loaders';
import { seedCatalog } from './catalog.seed';
import { Category } from './category/category.entity';
import { CategoryResolver } from './category/category.resolver';
import { catalogMigrations } from './migrations';
import { Product } from './product/product.entity';
import { ProductResolver } from './product/product.resolver';

export const catalogSubgraph: SubgraphDefinition<CatalogLoaders> = {
  name: 'catalog',
  database: { name: 'catalog', entities: [Product, Category, OutboxEvent], migrations: catalogMigrations },
  resolvers: [ProductResolver, CategoryResolver],
  referenceResolvers: {
    Product: (reference, ctx: CatalogContext) => ctx.loaders.productById.load(reference.id),
    Category: (reference, ctx: CatalogContext) => ctx.loaders.categoryById.load(reference.id),
  },
  createLoaders: createCatalogLoaders,
  seed: seedCatalog,
  // product.changed and category.changed (lib/events.ts), for caches of public catalog data.
  publishesEvents: true,
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(catalogSubgraph, deps);
}

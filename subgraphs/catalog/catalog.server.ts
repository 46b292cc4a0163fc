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
import { ProductFacetResolver } from './product/product-facet.resolver';
import { startAvailabilityProjection } from './availability/availability-projection';
import { ProductAvailability } from './availability/product-availability.entity';
import { seedAvailability } from './availability/product-availability';
import { ProductOption } from './product-variant/product-option.entity';
import { ProductOptionsResolver } from './product-variant/product-options.resolver';
import { ProductVariantOption } from './product-variant/product-variant-option.entity';
import { ProductVariant } from './product-variant/product-variant.entity';
import { ProductVariantResolver } from './product-variant/product-variant.resolver';

export const catalogSubgraph: SubgraphDefinition<CatalogLoaders> = {
  name: 'catalog',
  database: { name: 'catalog', entities: [Product, Category, ProductOption, ProductVariant, ProductVariantOption, ProductAvailability, OutboxEvent], migrations: catalogMigrations },
  resolvers: [ProductResolver, CategoryResolver, ProductOptionsResolver, ProductVariantResolver, ProductFacetResolver],
  referenceResolvers: {
    Product: (reference, ctx: CatalogContext) => ctx.loaders.productById.load(reference.id),
    Category: (reference, ctx: CatalogContext) => ctx.loaders.categoryById.load(reference.id),
    ProductVariant: (reference, ctx: CatalogContext) => ctx.loaders.variantById.load(reference.id),
  },
  createLoaders: createCatalogLoaders,
  // The availability projection's demo rows need the demo products (see seedAvailability).
  seed: async (em, log) => {
    await seedCatalog(em, log);
    await seedAvailability(em, log);
  },
  // product.changed and category.changed (lib/events.ts), for caches of public catalog data.
  publishesEvents: true,
  // The availability projection follows inventory's stock.changed events (lib/events.ts).
  startBackgroundTasks: (context) => [
    startAvailabilityProjection({ orm: context.orm, logger: context.logger, inventory: context.clients.inventory, events: context.events }),
  ],
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(catalogSubgraph, deps);
}

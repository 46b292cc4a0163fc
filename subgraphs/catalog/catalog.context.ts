import type { SubgraphContext } from '../../lib/subgraph';
import type { CatalogLoaders } from './catalog.loaders';

export type CatalogContext = SubgraphContext<CatalogLoaders>;

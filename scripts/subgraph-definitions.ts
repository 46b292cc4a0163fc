import type { SubgraphDefinition, SubgraphName } from '../lib/subgraph';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';

/** Every subgraph, in start order. */
export const subgraphDefinitions: Partial<Record<SubgraphName, SubgraphDefinition<any>>> = {
  catalog: catalogSubgraph,
};

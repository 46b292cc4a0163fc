import 'reflect-metadata';
import { runSubgraphMain } from '../../lib/subgraph';
import { catalogSubgraph } from './catalog.server';

runSubgraphMain(catalogSubgraph).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import 'reflect-metadata';
import { runSubgraphMain } from '../../lib/subgraph';
import { inventorySubgraph } from './inventory.server';

runSubgraphMain(inventorySubgraph).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

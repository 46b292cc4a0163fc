import 'reflect-metadata';
import { runSubgraphMain } from '../../lib/subgraph';
import { cartSubgraph } from './cart.server';

runSubgraphMain(cartSubgraph).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

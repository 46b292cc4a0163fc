import 'reflect-metadata';
import { runSubgraphMain } from '../../lib/subgraph';
import { ordersSubgraph } from './orders.server';

runSubgraphMain(ordersSubgraph).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import 'reflect-metadata';
import { runSubgraphMain } from '../../lib/subgraph';
import { usersSubgraph } from './users.server';

runSubgraphMain(usersSubgraph).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import '../../lib/instrument';
import 'reflect-metadata';
import { runMain } from '../../lib/entry-point';
import { runSubgraphMain } from '../../lib/subgraph';
import { inventorySubgraph } from './inventory.server';

runMain(() => runSubgraphMain(inventorySubgraph));

import '../../lib/instrument';
import 'reflect-metadata';
import { runMain } from '../../lib/entry-point';
import { runSubgraphMain } from '../../lib/subgraph';
import { ordersSubgraph } from './orders.server';

runMain(() => runSubgraphMain(ordersSubgraph));

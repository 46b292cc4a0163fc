import '../../lib/instrument';
import 'reflect-metadata';
import { runMain } from '../../lib/entry-point';
import { runSubgraphMain } from '../../lib/subgraph';
import { cartSubgraph } from './cart.server';

runMain(() => runSubgraphMain(cartSubgraph));

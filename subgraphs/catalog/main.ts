import '../../lib/instrument';
import 'reflect-metadata';
import { runMain } from '../../lib/entry-point';
import { runSubgraphMain } from '../../lib/subgraph';
import { catalogSubgraph } from './catalog.server';

runMain(() => runSubgraphMain(catalogSubgraph));

import '../../lib/instrument';
import 'reflect-metadata';
import { runMain } from '../../lib/entry-point';
import { runSubgraphMain } from '../../lib/subgraph';
import { usersSubgraph } from './users.server';

runMain(() => runSubgraphMain(usersSubgraph));

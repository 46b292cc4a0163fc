import type { SubgraphContext } from '../../lib/subgraph';
import type { UsersLoaders } from './users.loaders';

export type UsersContext = SubgraphContext<UsersLoaders>;

import type { SubgraphContext } from '../../lib/subgraph';
import type { UsersConfig } from './users.config';
import type { UsersLoaders } from './users.loaders';

export type UsersContext = SubgraphContext<UsersLoaders, UsersConfig>;

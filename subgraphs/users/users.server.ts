import { createSubgraphServer, type SubgraphDefinition, type SubgraphDeps } from '../../lib/subgraph';
import { AuthResolver } from './account/auth.resolver';
import { RefreshToken } from './account/refresh-token.entity';
import { User } from './account/user.entity';
import { UserResolver } from './account/user.resolver';
import { UserService } from './account/user.service';
import { AddressResolver } from './address/address.resolver';
import { UserAddress } from './address/user-address.entity';
import { PostalAddress } from '../../lib/address';
import { usersMigrations } from './migrations';
import type { UsersContext } from './users.context';
import { createUsersLoaders, type UsersLoaders } from './users.loaders';
import { seedUsers } from './users.seed';
import { usersSettings, type UsersConfig } from './users.config';

const userService = new UserService();

export const usersSubgraph: SubgraphDefinition<UsersLoaders, UsersConfig> = {
  name: 'users',
  env: usersSettings,
  database: { name: 'users', entities: [User, UserAddress, PostalAddress, RefreshToken], migrations: usersMigrations },
  resolvers: [UserResolver, AuthResolver, AddressResolver],
  referenceResolvers: {
    User: (reference, ctx: UsersContext) => userService.visible(ctx, reference.id),
  },
  createLoaders: createUsersLoaders,
  seed: seedUsers,
};

export function createServer(deps: SubgraphDeps) {
  return createSubgraphServer(usersSubgraph, deps);
}

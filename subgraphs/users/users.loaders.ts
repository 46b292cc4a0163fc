import type { EntityManager } from '../../lib/database';
import { entityLoader, groupLoader } from '../../lib/loaders';
import { User } from './account/user.entity';
import { UserAddress } from './address/user-address.entity';

export function createUsersLoaders(em: EntityManager) {
  return {
    userById: entityLoader(em, User),
    /** Saved addresses per user id, oldest first. */
    addressesByUserId: groupLoader(
      (userIds: readonly string[]) =>
        em.find(UserAddress, { user: { $in: [...userIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
      (address) => address.user.id,
    ),
  };
}

export type UsersLoaders = ReturnType<typeof createUsersLoaders>;

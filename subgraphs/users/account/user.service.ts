import { actsFor } from '../../../lib/identity';
import type { UsersContext } from '../users.context';
import type { UserAddress } from '../address/user-address.entity';
import type { User } from './user.entity';

export class UserService {
  /** The signed-in user; null when anonymous (or the account no longer exists). */
  async me(ctx: UsersContext): Promise<User | null> {
    return ctx.viewer ? ctx.loaders.userById.load(ctx.viewer.id) : null;
  }

  /**
   * A user as another subgraph's reference asks for it. Emails and addresses
   * are personal data, so only the user themself or an ADMIN gets the user;
   * anyone else gets null, decided before any query runs.
   */
  async visible(ctx: UsersContext, id: string): Promise<User | null> {
    const viewer = ctx.viewer;
    if (!actsFor(viewer, id)) return null;
    return ctx.loaders.userById.load(id);
  }

  async addresses(ctx: UsersContext, user: User): Promise<UserAddress[]> {
    return ctx.loaders.addressesByUserId.load(user.id);
  }
}

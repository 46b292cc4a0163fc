import { Ctx, Directive, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Address, toAddress } from '../../../lib/address';
import type { UsersContext } from '../users.context';
import { User } from './user.entity';
import { UserService } from './user.service';

@Resolver(() => User)
export class UserResolver {
  private readonly userService = new UserService();

  @Directive('@cacheControl(scope: PRIVATE)')
  @Query(() => User, { nullable: true, description: 'The signed-in user; null when anonymous' })
  async me(@Ctx() ctx: UsersContext): Promise<User | null> {
    return this.userService.me(ctx);
  }

  /** Demand control (docs/demand-control.md): an address book rarely holds more than a handful (home, work, family); 10 is the bound. */
  @Directive('@listSize(assumedSize: 10)')
  @FieldResolver(() => [Address], { description: 'Saved addresses, oldest first' })
  async addresses(@Root() user: User, @Ctx() ctx: UsersContext): Promise<Address[]> {
    return (await this.userService.addresses(ctx, user)).map((row) => toAddress(row.id, row.address));
  }
}

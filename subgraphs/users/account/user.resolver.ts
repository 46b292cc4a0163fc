import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Address, toAddress } from '../../../lib/address';
import type { UsersContext } from '../users.context';
import { User } from './user.entity';
import { UserService } from './user.service';

@Resolver(() => User)
export class UserResolver {
  private readonly userService = new UserService();

  @Query(() => User, { nullable: true, description: 'The signed-in user; null when anonymous' })
  async me(@Ctx() ctx: UsersContext): Promise<User | null> {
    return this.userService.me(ctx);
  }

  @FieldResolver(() => [Address], { description: 'Saved addresses, oldest first' })
  async addresses(@Root() user: User, @Ctx() ctx: UsersContext): Promise<Address[]> {
    return (await this.userService.addresses(ctx, user)).map((row) => toAddress(row.id, row.address));
  }
}

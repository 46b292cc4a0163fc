import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { CartContext } from '../cart.context';
import { Cart } from '../cart/cart.entity';
import { CartService } from '../cart/cart.service';
import { UserCart } from './user.type';

@Resolver(() => UserCart)
export class UserCartResolver {
  private readonly cartService = new CartService();

  @FieldResolver(() => Cart, {
    nullable: true,
    description: "The user's active cart; null if there is none, and null unless the viewer is that user or an ADMIN",
  })
  async cart(@Root() user: UserCart, @Ctx() ctx: CartContext): Promise<Cart | null> {
    return this.cartService.activeCartOfUser(ctx, user.id);
  }
}

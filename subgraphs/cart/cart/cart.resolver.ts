import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { notImplemented } from '../../../lib/errors';
import { Money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import { CartItem } from '../cart-item/cart-item.entity';
import { Cart } from './cart.entity';
import { AddToCartArgs, RemoveCartItemArgs, UpdateCartItemArgs } from './cart.inputs';
import { CartService } from './cart.service';

@Resolver(() => Cart)
export class CartResolver {
  private readonly cartService = new CartService();

  @Query(() => Cart, {
    nullable: true,
    description:
      "With an id: that cart, if it is a guest cart or the viewer's own (an ADMIN may see any). Without: the signed-in viewer's active cart. Null when there is no such active cart.",
  })
  async cart(
    @Ctx() ctx: CartContext,
    @Arg('id', () => ID, { nullable: true, description: "The cart's id; omit it for the signed-in user's cart" }) id?: string | null,
  ): Promise<Cart | null> {
    return id != null ? this.cartService.visibleById(ctx, id) : this.cartService.viewerCart(ctx);
  }

  @FieldResolver(() => [CartItem], { description: 'The lines, oldest first. Lines whose product is no longer sold are left out.' })
  async items(@Root() cart: Cart, @Ctx() ctx: CartContext): Promise<CartItem[]> {
    return this.cartService.items(ctx, cart);
  }

  @FieldResolver(() => Int, { description: 'Total number of units over all lines (sum of the quantities)' })
  async itemCount(@Root() cart: Cart, @Ctx() ctx: CartContext): Promise<number> {
    return this.cartService.itemCount(ctx, cart);
  }

  @FieldResolver(() => Money, { description: 'Sum of the line totals at current catalog prices' })
  async subtotal(@Root() cart: Cart, @Ctx() ctx: CartContext): Promise<Money> {
    return this.cartService.subtotal(ctx, cart);
  }

  @Mutation(() => Cart, {
    description: 'Adds units of a product to a cart (raising the quantity if the product is already in it). Anonymous with no cartId creates a guest cart.',
  })
  async addToCart(@Args(() => AddToCartArgs) _args: AddToCartArgs): Promise<Cart> {
    throw notImplemented('addToCart');
  }

  @Mutation(() => Cart, { description: 'Sets the quantity of a cart line; quantity 0 removes the line.' })
  async updateCartItem(@Args(() => UpdateCartItemArgs) _args: UpdateCartItemArgs): Promise<Cart> {
    throw notImplemented('updateCartItem');
  }

  @Mutation(() => Cart, { description: 'Removes a line from a cart.' })
  async removeCartItem(@Args(() => RemoveCartItemArgs) _args: RemoveCartItemArgs): Promise<Cart> {
    throw notImplemented('removeCartItem');
  }

  @Authorized()
  @Mutation(() => Cart, { description: "Folds a guest cart into the signed-in user's active cart and returns that cart. Signed in only." })
  async mergeGuestCart(@Arg('guestCartId', () => ID, { description: 'The guest cart to fold in' }) _guestCartId: string): Promise<Cart> {
    throw notImplemented('mergeGuestCart');
  }
}

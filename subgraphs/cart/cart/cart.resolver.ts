import { Arg, Args, Authorized, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import { CartItem } from '../cart-item/cart-item.entity';
import { Cart } from './cart.entity';
import { CartCheckoutService } from './cart-checkout.service';
import { CartLinesService } from './cart-lines.service';
import { CartMergeService } from './cart-merge.service';
import { AddToCartArgs, CompleteCheckoutArgs, RemoveCartItemArgs, UpdateCartItemArgs } from './cart.inputs';
import { CartService } from './cart.service';

@Resolver(() => Cart)
export class CartResolver {
  private readonly cartService = new CartService();
  private readonly linesService = new CartLinesService();
  private readonly mergeService = new CartMergeService();
  private readonly checkoutService = new CartCheckoutService();

  @Directive('@cacheControl(scope: PRIVATE)')
  @Query(() => Cart, {
    nullable: true,
    description:
      "With an id: that cart, if it is a guest cart (anyone holding a guest cart's id may read it) or the viewer's own (an ADMIN may see any). Without: the signed-in viewer's active cart. Null when there is no such active cart.",
  })
  async cart(
    @Ctx() ctx: CartContext,
    @Arg('id', () => ID, { nullable: true, description: "The cart's id; omit it for the signed-in user's cart" }) id?: string | null,
  ): Promise<Cart | null> {
    return id != null ? this.cartService.visibleById(ctx, id) : this.cartService.viewerCart(ctx);
  }

  /*
   * Demand control (docs/demand-control.md): one line per variant. A basket
   * averages 3 to 5 lines and rarely has more than a dozen, so 12 is the
   * typical upper size. Nothing enforces it: a bigger cart costs more than
   * estimated, which only means the estimate admitted it cheaply. The old 50
   * priced every cart as a wholesale order (10 times the typical one).
   */
  @Directive('@listSize(assumedSize: 12)')
  @FieldResolver(() => [CartItem], { description: 'The lines, oldest first, one per variant. Lines whose variant is no longer sold are left out.' })
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
    description:
      "Adds units of a product's variant (its default variant unless variantId says otherwise) to a cart and returns the cart; a variant already in it gets its quantity raised, another variant of the same product gets a line of its own. Without cartId: the signed-in user's active cart (created if there is none), or, anonymously, a new guest cart whose id is its only key (a bearer capability: keep it secret). NOT_FOUND for an unknown product or a cart the caller may not change; OUT_OF_STOCK when the line would exceed the variant's availableQuantity; BAD_USER_INPUT for a quantity below 1, a variantId that is not one of the product's variants, or a product in another currency than the cart's.",
  })
  async addToCart(@Ctx() ctx: CartContext, @Args(() => AddToCartArgs) args: AddToCartArgs): Promise<Cart> {
    return this.linesService.addToCart(ctx, args);
  }

  @Mutation(() => Cart, {
    description:
      "Sets the quantity of a cart line and returns the cart; quantity 0 removes the line. Raising it is checked against stock (OUT_OF_STOCK); a negative quantity is BAD_USER_INPUT; a line that is not in the cart is NOT_FOUND. Without cartId: the signed-in user's active cart.",
  })
  async updateCartItem(@Ctx() ctx: CartContext, @Args(() => UpdateCartItemArgs) args: UpdateCartItemArgs): Promise<Cart> {
    return this.linesService.updateCartItem(ctx, args);
  }

  @Mutation(() => Cart, {
    description: "Removes a line from a cart and returns the cart; NOT_FOUND when the line is not in it. Without cartId: the signed-in user's active cart.",
  })
  async removeCartItem(@Ctx() ctx: CartContext, @Args(() => RemoveCartItemArgs) args: RemoveCartItemArgs): Promise<Cart> {
    return this.linesService.removeCartItem(ctx, args);
  }

  @Authorized()
  @Mutation(() => Cart, {
    description:
      "Folds a guest cart into the signed-in user's active cart (created if there is none) and returns that cart; call it after signing in. Quantities of a variant in both add up, capped at the variant's availableQuantity (never below what the user's cart held); sold-out guest lines are left out. The guest cart's id stops working. NOT_FOUND for an unknown, already merged or user-owned cart. Signed in only.",
  })
  async mergeGuestCart(
    @Ctx() ctx: CartContext,
    @Arg('guestCartId', () => ID, { description: 'The guest cart to fold in' }) guestCartId: string,
  ): Promise<Cart> {
    return this.mergeService.mergeGuestCart(ctx, guestCartId);
  }

  @Authorized()
  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      "Marks the cart CHECKED_OUT by this order (so it is no longer the user's active cart: the cart is emptied for the user). With lines (what the order bought), only those are checked out: anything the cart held beyond them, added while the checkout ran, moves to the owner's active cart (created if needed). Idempotent for the same orderId; only the cart's owner (viewer forwarded) may do it. Internal: called by orders at the end of a checkout.",
  })
  async completeCheckout(@Ctx() ctx: CartContext, @Args(() => CompleteCheckoutArgs) args: CompleteCheckoutArgs): Promise<boolean> {
    return this.checkoutService.completeCheckout(ctx, args.cartId, args.orderId, args.lines);
  }
}

import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Role } from '../../../lib/identity';
import { money, Money } from '../../../lib/money';
import type { CartContext } from '../cart.context';
import { Cart } from '../cart/cart.entity';
import { DiscountCode } from './discount-code.entity';
import { ApplyDiscountCodeArgs, CreateDiscountCodeInput } from './discount-code.inputs';
import { DiscountCodeService } from './discount-code.service';

@Resolver(() => DiscountCode)
export class DiscountCodeResolver {
  private readonly discountCodeService = new DiscountCodeService();

  @FieldResolver(() => Money, { nullable: true, description: 'The subtotal from which the code applies; null: any' })
  minimumSubtotal(@Root() code: DiscountCode): Money | null {
    return code.minimumSubtotalAmount == null ? null : money(code.minimumSubtotalAmount, code.currency);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => DiscountCode, {
    description:
      'Creates a discount code. BAD_USER_INPUT (argumentName: the input field) for a code that is not 3-32 letters, digits, "_" or "-", or already exists (case ignored), a PERCENTAGE value outside 1-100, a FIXED_AMOUNT value below 1, a limit below 1, or endsAt not after startsAt. ADMIN only.',
  })
  async createDiscountCode(
    @Ctx() ctx: CartContext,
    @Arg('input', () => CreateDiscountCodeInput, { description: 'The code and its rules' }) input: CreateDiscountCodeInput,
  ): Promise<DiscountCode> {
    return this.discountCodeService.create(ctx, input);
  }

  @Mutation(() => Cart, {
    description:
      "Applies a discount code to a cart (case ignored) and returns the cart; it replaces a code applied before. DISCOUNT_CODE_INVALID (extensions.reason UNKNOWN, EXPIRED or NOT_STARTED) for a code that cannot be used; a code the cart does not qualify for yet (e.g. its minimum subtotal) is applied and listed with applicable false. Usage limits are checked at checkout. The same cart rules as updateCartItem.",
  })
  async applyDiscountCode(@Ctx() ctx: CartContext, @Args(() => ApplyDiscountCodeArgs) args: ApplyDiscountCodeArgs): Promise<Cart> {
    return this.discountCodeService.apply(ctx, args.cartId, args.code);
  }

  @Mutation(() => Cart, { description: "Removes the discount code applied to a cart (nothing to do when there is none) and returns the cart. The same cart rules as updateCartItem." })
  async removeDiscountCode(
    @Ctx() ctx: CartContext,
    @Arg('cartId', () => ID, { nullable: true, description: "The cart: a guest cart or the viewer's own; omit it for the signed-in user's cart" }) cartId?: string | null,
  ): Promise<Cart> {
    return this.discountCodeService.remove(ctx, cartId);
  }
}

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { badUserInput, ErrorCode, graphQLError } from '../../../lib/errors';
import { isCurrencyCode } from '../../../lib/money';
import { isUuid } from '../../../lib/uuid';
import type { CartContext } from '../cart.context';
import { cartNotFound, inCartTransaction, lockCartToChange } from '../cart/cart.access';
import type { Cart } from '../cart/cart.entity';
import type { DiscountRule } from '../pricing/cart-cost';
import { DiscountCode, DiscountKind } from './discount-code.entity';
import type { CreateDiscountCodeInput } from './discount-code.inputs';

const CODE = /^[A-Z0-9_-]{3,32}$/;

/** Why a code cannot be applied at all (a code that merely does not apply to this cart now is applied, as not applicable). */
type DiscountCodeInvalidReason = 'UNKNOWN' | 'EXPIRED' | 'NOT_STARTED';

function discountCodeInvalid(code: string, reason: DiscountCodeInvalidReason) {
  const why = { UNKNOWN: 'does not exist', EXPIRED: 'has expired', NOT_STARTED: 'is not valid yet' }[reason];
  return graphQLError(ErrorCode.DISCOUNT_CODE_INVALID, `Discount code ${code} ${why}`, { reason, argumentName: 'code' });
}

/** The stored form of a code: trimmed, upper case. */
function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

export function discountRuleOf(code: DiscountCode): DiscountRule {
  return {
    code: code.code,
    kind: code.kind,
    value: code.value,
    currency: code.currency,
    minimumSubtotal: code.minimumSubtotalAmount,
    startsAt: code.startsAt,
    endsAt: code.endsAt,
  };
}

export class DiscountCodeService {
  /** ADMIN (checked by the resolver): validates every field, then stores the code upper-cased. */
  async create(ctx: CartContext, input: CreateDiscountCodeInput): Promise<DiscountCode> {
    const code = normalizeCode(input.code);
    const field = (name: string) => ({ argumentName: `input.${name}` });
    if (!CODE.test(code)) throw badUserInput(`"code" must be 3-32 letters, digits, "_" or "-", got "${input.code}"`, field('code'));
    if (!Number.isInteger(input.value)) throw badUserInput(`"value" must be a whole number, got ${input.value}`, field('value'));
    if (input.kind === DiscountKind.PERCENTAGE && (input.value < 1 || input.value > 100)) {
      throw badUserInput(`A PERCENTAGE code's "value" is a percentage from 1 to 100, got ${input.value}`, field('value'));
    }
    if (input.kind === DiscountKind.FIXED_AMOUNT && input.value < 1) {
      throw badUserInput(`A FIXED_AMOUNT code's "value" is an amount in minor units, at least 1; got ${input.value}`, field('value'));
    }
    const currency = (input.currency ?? 'USD').trim().toUpperCase();
    if (!isCurrencyCode(currency)) throw badUserInput(`"currency" must be an ISO 4217 code such as "USD", got "${input.currency}"`, field('currency'));
    if (input.minimumSubtotal != null && input.minimumSubtotal < 0) {
      throw badUserInput(`"minimumSubtotal" is an amount in minor units, at least 0; got ${input.minimumSubtotal}`, field('minimumSubtotal'));
    }
    for (const name of ['usageLimit', 'usageLimitPerCustomer'] as const) {
      const limit = input[name];
      if (limit != null && limit < 1) throw badUserInput(`"${name}" must be at least 1 (omit it for no limit), got ${limit}`, field(name));
    }
    if (input.startsAt && input.endsAt && input.endsAt <= input.startsAt) {
      throw badUserInput('"endsAt" must be after "startsAt"', field('endsAt'));
    }
    const em = ctx.em.fork();
    const row = em.create(DiscountCode, {
      code,
      kind: input.kind,
      value: input.value,
      currency,
      minimumSubtotalAmount: input.minimumSubtotal ?? null,
      startsAt: input.startsAt ?? null,
      endsAt: input.endsAt ?? null,
      usageLimit: input.usageLimit ?? null,
      usageLimitPerCustomer: input.usageLimitPerCustomer ?? null,
    });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw badUserInput(`Discount code ${code} already exists`, field('code'));
      throw error;
    }
    return row;
  }

  /**
   * Applies a code to a cart (the same access rules as the line changes),
   * replacing the one applied before. Unknown, expired and not-yet-valid
   * codes are DISCOUNT_CODE_INVALID; a code this cart does not meet now (its
   * minimum subtotal, its currency) is applied anyway and shown as not
   * applicable, so it starts to count when the cart grows.
   */
  async apply(ctx: CartContext, cartId: string | null | undefined, rawCode: string): Promise<Cart> {
    const code = normalizeCode(rawCode);
    if (cartId != null && !isUuid(cartId)) throw cartNotFound(cartId);
    const row = CODE.test(code) ? await ctx.em.fork().findOne(DiscountCode, { code }) : null;
    if (!row) throw discountCodeInvalid(code || rawCode, 'UNKNOWN');
    const now = new Date();
    if (row.startsAt && now < row.startsAt) throw discountCodeInvalid(code, 'NOT_STARTED');
    if (row.endsAt && now >= row.endsAt) throw discountCodeInvalid(code, 'EXPIRED');
    return this.setCode(ctx, cartId, row.id);
  }

  async remove(ctx: CartContext, cartId: string | null | undefined): Promise<Cart> {
    if (cartId != null && !isUuid(cartId)) throw cartNotFound(cartId);
    return this.setCode(ctx, cartId, null);
  }

  private setCode(ctx: CartContext, cartId: string | null | undefined, codeId: string | null): Promise<Cart> {
    return inCartTransaction(
      ctx,
      async (tx) => {
        const { cart } = await lockCartToChange(ctx, tx, cartId, false);
        if (cart.discountCodeId !== codeId) {
          cart.discountCodeId = codeId;
          cart.updatedAt = new Date();
        }
        return cart;
      },
      (cart) => [cart],
    );
  }

  /** The code applied to the cart, or null (also when it was deleted meanwhile). */
  async appliedCode(ctx: CartContext, cart: Cart): Promise<DiscountCode | null> {
    return cart.discountCodeId ? ctx.loaders.discountCodeById.load(cart.discountCodeId) : null;
  }
}

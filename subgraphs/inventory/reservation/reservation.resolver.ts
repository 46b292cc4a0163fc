import { Args, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { InventoryContext } from '../inventory.context';
import { OrderReservationArgs, ReserveStockArgs } from './reservation.inputs';
import { ReservationService } from './reservation.service';

/**
 * Checkout's stock operations. They are @inaccessible: not in the public API,
 * called by orders with the internal credential only, so they carry no role
 * check of their own (orders forwards the shopper, or no one for its sweeps).
 */
@Resolver()
export class ReservationResolver {
  private readonly reservationService = new ReservationService();

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      'Reserves every line for the order or nothing (OUT_OF_STOCK, extensions.productIds = the products of the short variants, extensions.variantIds = the short variants). Idempotent per orderId: an ACTIVE or COMMITTED reservation for it is answered true without change; a RELEASED one is BAD_USER_INPUT.',
  })
  async reserveStock(@Ctx() ctx: InventoryContext, @Args(() => ReserveStockArgs) args: ReserveStockArgs): Promise<boolean> {
    return this.reservationService.reserve(ctx, args);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      'For a paid order whose reservation lapsed before it was committed (RELEASED by expiry): takes every line again or nothing (OUT_OF_STOCK, extensions.productIds = the products of the short variants, extensions.variantIds = the short variants); the reservation is then ACTIVE with a new expiry, ready to commit. Idempotent per orderId: ACTIVE or COMMITTED is true without change; no reservation at all is reserved as reserveStock does; RESTOCKED is BAD_USER_INPUT. The caller makes sure the order is still sold.',
  })
  async renewReservation(@Ctx() ctx: InventoryContext, @Args(() => ReserveStockArgs) args: ReserveStockArgs): Promise<boolean> {
    return this.reservationService.renew(ctx, args);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      "Gives the order's stock back: an ACTIVE reservation stops reserving; a COMMITTED one returns its units to onHand (a cancelled PAID order). Idempotent; an unknown orderId is true.",
  })
  async releaseReservation(@Ctx() ctx: InventoryContext, @Args(() => OrderReservationArgs) { orderId }: OrderReservationArgs): Promise<boolean> {
    return this.reservationService.release(ctx, orderId);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      'Turns the ACTIVE reservation into a sale: onHand and reserved both drop by the quantities. Idempotent (COMMITTED is true); RELEASED or unknown is BAD_USER_INPUT with extensions.reservationStatus (the status, or null for none).',
  })
  async commitReservation(@Ctx() ctx: InventoryContext, @Args(() => OrderReservationArgs) { orderId }: OrderReservationArgs): Promise<boolean> {
    return this.reservationService.commit(ctx, orderId);
  }
}

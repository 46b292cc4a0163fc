import { ArgsType, Directive, Field, ID, InputType, Int } from 'type-graphql';

/** Reservations last long enough for a payment round trip, not for a forgotten tab. */
export const DEFAULT_RESERVATION_TTL_SECONDS = 900;

@InputType({ description: 'Units of one product variant to reserve for an order. Internal: only sibling services use it.' })
@Directive('@inaccessible')
export class StockLineInput {
  @Field(() => ID, { description: "Catalog's product id: the product the variant belongs to" })
  productId!: string;

  @Field(() => Int, { description: 'Units to hold, at least 1; lines of the same variant add up' })
  quantity!: number;

  // Last and optional, so callers from before variants keep working: their lines name products, i.e. default variants.
  @Field(() => ID, { nullable: true, description: "Catalog's variant id; null or omitted: the product's default variant (whose id is the product's)" })
  variantId?: string | null;
}

@ArgsType()
export class ReserveStockArgs {
  @Field(() => ID, { description: 'The order the stock is held for; also the idempotency key' })
  orderId!: string;

  @Field(() => [StockLineInput], { description: 'Variants and quantities, all reserved or none' })
  lines!: StockLineInput[];

  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_RESERVATION_TTL_SECONDS,
    description: 'Seconds until an uncommitted reservation is released by itself (1 to 86400)',
  })
  ttlSeconds?: number | null;
}

@ArgsType()
export class OrderReservationArgs {
  @Field(() => ID, { description: 'The order whose reservation this is' })
  orderId!: string;
}

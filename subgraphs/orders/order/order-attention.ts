import { registerEnumType } from 'type-graphql';

/** Why a paid order needs a person. Stored as text; the migration's check constraint keeps the column to these values. */
export enum OrderAttentionReason {
  STOCK_UNAVAILABLE = 'STOCK_UNAVAILABLE',
}

registerEnumType(OrderAttentionReason, {
  name: 'OrderAttentionReason',
  description: 'Why a paid order cannot be fulfilled as it stands and needs attention',
  valuesConfig: {
    STOCK_UNAVAILABLE: {
      description:
        "The payment was taken, but the order's stock reservation lapsed before the shop could confirm it, and the products are no longer in stock. The shop takes the stock by itself as soon as there is enough again; until then the order waits for restocking, or for an operator to cancel it",
    },
  },
});

import { Arg, ID, Resolver, Root, Subscription, type SubscriptionHandlerData } from 'type-graphql';
import { entityReference } from '../../../lib/entity-references';
import { changedVariantIds, Topics, type StockChangedEvent } from '../../../lib/events';
import { ProductStock } from '../product/product-stock';
import { StockChange } from './stock-change';

interface StockChangedArgs {
  productIds?: string[] | null;
}

@Resolver(() => StockChange)
export class StockChangeResolver {
  /**
   * Fed by the outbox relay through the event bus. Filtering by product
   * happens here, next to the events, so a subscriber receives only what it
   * watches; the gateway adds the fields other subgraphs own.
   */
  @Subscription(() => StockChange, {
    description: 'Availability changes of the given products, or of every product when productIds is null. Public.',
    topics: Topics.STOCK_CHANGED,
    filter: ({ payload, args }: SubscriptionHandlerData<StockChangedEvent, StockChangedArgs>) =>
      !args.productIds || args.productIds.includes(payload.productId),
  })
  stockChanged(
    @Root() event: StockChangedEvent,
    @Arg('productIds', () => [ID], { nullable: true, description: 'Products to watch; null watches every product' }) _productIds?: string[] | null,
  ): StockChange {
    const change = new StockChange();
    change.product = entityReference(ProductStock, event.productId);
    change.availableQuantity = event.availableQuantity;
    change.inStock = event.inStock;
    change.changedAt = new Date(event.changedAt);
    change.variantIds = changedVariantIds(event);
    return change;
  }
}

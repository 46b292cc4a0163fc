import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { notImplemented } from '../../../lib/errors';
import { StockChange } from './stock-change';

@Resolver(() => StockChange)
export class StockChangeResolver {
  @Subscription(() => StockChange, {
    description: "Availability changes of the given products, or of every product when productIds is null",
    subscribe: () => {
      throw notImplemented('stockChanged');
    },
  })
  stockChanged(
    @Root() change: StockChange,
    @Arg('productIds', () => [ID], { nullable: true, description: 'Products to watch; null watches every product' }) _productIds?: string[] | null,
  ): StockChange {
    return change;
  }
}
